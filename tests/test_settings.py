from __future__ import annotations

from pathlib import Path

import pytest

from deploy_dsl.client.settings import Settings, SettingsError, api_url, load_settings


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
        "CONDUCTOR_PORT",
        "WORKER_PORT",
        "CLUSTER_CONDUCTOR_PORT",
        "CLUSTER_WORKER_PORT",
        "CLUSTER_POSTGRES_PORT",
        "DASHBOARD_PORT",
        "DASHBOARD_HOST",
        "DASHBOARD_TOKEN",
        "PROMETHEUS_PORT",
        "PROMETHEUS_URL",
    ):
        monkeypatch.delenv(name, raising=False)  # fmt: skip
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_are_the_local_server_without_auth() -> None:
    connection = Settings().connection()
    assert connection.server_url == "http://localhost:8080/api"
    assert connection.key_id is None


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


def test_dotenv_sets_the_worker_url() -> None:
    Path(".env").write_text("WORKER_BASE_URL=http://10.0.0.5:3000\n")
    assert Settings().compile_options().worker_base_url == "http://10.0.0.5:3000"


def test_ports_set_the_local_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_PORT", "18080")
    monkeypatch.setenv("WORKER_PORT", "13000")
    settings = load_settings()
    assert (settings.local_conductor_port, settings.local_worker_port) == (18080, 13000)
    assert settings.connection().server_url == "http://localhost:18080/api"
    assert settings.compile_options().worker_base_url == "http://localhost:13000"


def test_ports_from_dotenv() -> None:
    Path(".env").write_text("CONDUCTOR_PORT=18080\nWORKER_PORT=13000\n")
    settings = load_settings()
    assert (settings.conductor_url, settings.worker_url) == (
        "http://localhost:18080",
        "http://localhost:13000",
    )


def test_a_local_url_gives_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_BASE_URL", "http://127.0.0.1:9090/api")
    assert load_settings().local_conductor_port == 9090


@pytest.mark.parametrize(
    ("name", "url", "port"),
    [("CONDUCTOR", "http://localhost:8080", "18080"), ("WORKER", "http://127.0.0.1:3000", "1")],
)
def test_a_url_and_a_port_that_disagree_are_refused(
    name: str, url: str, port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{name}_BASE_URL", url)
    monkeypatch.setenv(f"{name}_PORT", port)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "\n" not in message
    assert f"{name}_BASE_URL={url} is on port" in message and f"{name}_PORT={port}" in message


def test_a_remote_url_does_not_fix_the_local_port(monkeypatch: pytest.MonkeyPatch) -> None:
    # A remote server to talk to, and a local stack on another port: no contradiction.
    monkeypatch.setenv("CONDUCTOR_BASE_URL", "https://conductor.example.com")
    monkeypatch.setenv("CONDUCTOR_PORT", "18080")
    settings = load_settings()
    assert settings.conductor_url == "https://conductor.example.com"
    assert settings.local_conductor_port == 18080


def test_a_bad_port_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_PORT", "http://x")
    with pytest.raises(SettingsError, match="WORKER_PORT"):
        load_settings()


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


def test_the_dashboard_listens_on_loopback_with_a_token_made_at_start() -> None:
    settings = load_settings()
    assert (settings.dashboard_host, settings.dashboard_port) == ("127.0.0.1", 7070)
    assert settings.dashboard_token is None


def test_the_dashboard_settings_from_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("DASHBOARD_PORT=17070\nDASHBOARD_TOKEN=s3cret-token\n")
    settings = load_settings()
    assert settings.dashboard_port == 17070
    assert settings.dashboard_token is not None
    assert "s3cret-token" not in repr(settings)
    Path(".env").write_text("DASHBOARD_TOKEN=\n")
    with pytest.raises(SettingsError, match="DASHBOARD_TOKEN: is set but empty: unset it"):
        load_settings()


def test_prometheus_defaults_to_its_own_port_and_build_s_url() -> None:
    settings = Settings()
    assert (settings.local_prometheus_port, settings.prometheus_url) == (
        9090,
        "http://localhost:9090",
    )
    assert settings.compile_options().prometheus_url == "http://localhost:9090"


def test_prometheus_port_and_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_PORT", "9690")
    settings = Settings()
    assert settings.prometheus_url == "http://localhost:9690"
    assert settings.compile_options().prometheus_url == "http://localhost:9690"
    monkeypatch.delenv("PROMETHEUS_PORT")
    monkeypatch.setenv("PROMETHEUS_URL", "http://localhost:9191/")
    assert (Settings().local_prometheus_port, Settings().prometheus_url) == (
        9191,
        "http://localhost:9191",
    )
    monkeypatch.setenv("PROMETHEUS_PORT", "9690")
    with pytest.raises(
        SettingsError,
        match="PROMETHEUS_URL=http://localhost:9191/ is on port 9191 but PROMETHEUS_PORT=9690",
    ):
        load_settings()
