from __future__ import annotations

import pytest

from deploy_dsl.settings import Settings, SettingsError, api_url


@pytest.mark.parametrize(
    "base", ["http://h:8080", "http://h:8080/", "http://h:8080/api", "http://h:8080/api/"]
)
def test_api_url_ends_in_api_once(base: str) -> None:
    assert api_url(base) == "http://h:8080/api"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        "CONDUCTOR_BASE_URL",
        "CONDUCTOR_SERVER_URL",
        "ORKES_BASE_URL",
        "ORKES_KEY",
        "ORKES_SECRET",
        "CONDUCTOR_AUTH_KEY",
        "CONDUCTOR_AUTH_SECRET",
        "WORKER_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)  # fmt: skip
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_are_the_local_server_without_auth() -> None:
    connection = Settings().connection()
    assert connection.server_url == "http://localhost:8080/api"
    assert not connection.authenticated


def test_orkes_key_and_secret_select_orkes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORKES_BASE_URL", "https://team.orkesconductor.example")
    monkeypatch.setenv("ORKES_KEY", "key-id")
    monkeypatch.setenv("ORKES_SECRET", "s3cret")
    settings = Settings()
    connection = settings.connection()
    assert connection.server_url == "https://team.orkesconductor.example/api"
    assert connection.key_id == "key-id"
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(connection)


def test_the_sdk_names_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_SERVER_URL", "http://sdk:9/api")
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", "k")
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", "s")
    connection = Settings().connection()
    assert (connection.server_url, connection.key_id) == ("http://sdk:9/api", "k")


def test_half_the_credentials_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORKES_KEY", "k")
    with pytest.raises(SettingsError, match="both ORKES_KEY and ORKES_SECRET"):
        Settings().connection()


def test_dotenv_sets_the_worker_url(tmp_path: object) -> None:
    from pathlib import Path

    Path(".env").write_text("WORKER_BASE_URL=http://10.0.0.5:3000\n")
    assert Settings().compile_options().worker_base_url == "http://10.0.0.5:3000"
