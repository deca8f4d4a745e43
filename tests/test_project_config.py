"""`[tool.deploy-dsl]` in pyproject.toml: which definitions on a server the project owns."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_dsl.workspace.config import ConfigError, ProjectConfig, load_config, pyproject_for


def _pyproject(directory: Path, table: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(f'[project]\nname = "x"\n\n[tool.deploy-dsl]\n{table}\n', encoding="utf-8")
    return path


def test_strings_and_lists(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'owner-email = "a@example.com"\nname-prefix = ["app_", "ops_"]')
    config = load_config(".", cwd=tmp_path)
    assert config == ProjectConfig(
        ("a@example.com",), ("app_", "ops_"), tmp_path / "pyproject.toml"
    )
    assert config.states_ownership


def test_the_pyproject_beside_a_definitions_directory(tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    path = _pyproject(tmp_path, 'name-prefix = "app_"')
    assert pyproject_for(str(tmp_path / "defs")) == path  # the directory's parent
    inner = _pyproject(tmp_path / "defs", 'name-prefix = "inner_"')
    assert load_config(str(tmp_path / "defs")).name_prefixes == ("inner_",)
    assert pyproject_for(str(tmp_path / "defs")) == inner


def test_no_pyproject_or_no_table_states_nothing(tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    assert load_config(str(tmp_path / "defs")) == ProjectConfig()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert not load_config(str(tmp_path / "defs")).states_ownership


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("owner-email = 3", "owner-email must be a non-empty string or a list of them, not 3"),
        ('name-prefix = [""]', "name-prefix must be a non-empty string"),
        (
            'owner_email = "a@example.com"',
            "unknown key(s) owner_email; known: name-prefix, owner-email",
        ),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_file(
    tmp_path: Path, table: str, message: str
) -> None:
    path = _pyproject(tmp_path, table)
    with pytest.raises(ConfigError) as error:
        load_config(".", cwd=tmp_path)
    assert str(error.value).startswith(f"{path}: [tool.deploy-dsl] ")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_invalid_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.deploy-dsl\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(".", cwd=tmp_path)
