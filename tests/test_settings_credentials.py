"""Settings for Orkes credentials and the local cluster's ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_dsl.client.settings import SettingsError, load_settings


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
        "CLUSTER_CONDUCTOR_PORT",
        "CLUSTER_WORKER_PORT",
        "CLUSTER_POSTGRES_PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ORKES_SECRET", "", "ORKES_SECRET: is set but empty (here or as CONDUCTOR_AUTH_SECRET)"),
        ("ORKES_SECRET", "   ", "ORKES_SECRET: is set but empty"),
        ("ORKES_KEY", "", "ORKES_KEY: is set but empty (here or as CONDUCTOR_AUTH_KEY)"),
        ("CONDUCTOR_AUTH_SECRET", "", "ORKES_SECRET: is set but empty"),
    ],
)
def test_an_empty_credential_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv("ORKES_BASE_URL", "https://team.orkesconductor.example")
    monkeypatch.setenv("ORKES_KEY", "key-id")
    monkeypatch.setenv("ORKES_SECRET", "s3cret")
    if variable.startswith("CONDUCTOR_AUTH_"):  # the SDK's name counts when ours is unset
        monkeypatch.delenv(variable.replace("CONDUCTOR_AUTH_", "ORKES_"))
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert named in str(error.value)
    assert "s3cret" not in str(error.value)


def test_an_empty_secret_in_dotenv_is_refused() -> None:
    Path(".env").write_text("ORKES_BASE_URL=https://x.example\nORKES_KEY=k\nORKES_SECRET=\n")
    with pytest.raises(SettingsError, match="ORKES_SECRET: is set but empty"):
        load_settings()


def test_cluster_ports_default_clear_of_the_single_node() -> None:
    settings = load_settings()
    cluster = (
        settings.cluster_conductor_port,
        settings.cluster_worker_port,
        settings.cluster_postgres_port,
    )
    assert cluster == (8180, 3180, 15432)
    assert not {settings.local_conductor_port, settings.local_worker_port} & set(cluster)


def test_cluster_ports_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTER_CONDUCTOR_PORT", "18904")
    monkeypatch.setenv("CLUSTER_WORKER_PORT", "18906")
    monkeypatch.setenv("CLUSTER_POSTGRES_PORT", "18950")
    settings = load_settings()
    assert (settings.cluster_conductor_port, settings.cluster_postgres_port) == (18904, 18950)
    monkeypatch.setenv("CLUSTER_POSTGRES_PORT", "99999")
    with pytest.raises(SettingsError, match="CLUSTER_POSTGRES_PORT"):
        load_settings()
