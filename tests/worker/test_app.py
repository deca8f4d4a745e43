"""create_app with explicit settings (Flask's test client), and the settings themselves."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from worker_harness import REPO_ROOT

from worker.app import create_app
from worker.models import parse_step_request
from worker.settings import WorkerConfigError, WorkerSettings, load_settings
from worker.steps import Snapshot, StepOutcome
from worker.store import Store

BODY = {"scope": "svc-a", "version": "1.0.0", "env": "test"}


def _client(tmp_path: Path, healthy_scope_prefix: str = "svc-") -> FlaskClient:
    config = WorkerSettings(
        state_dir=tmp_path, provision_delay_seconds=0, healthy_scope_prefix=healthy_scope_prefix
    )
    return create_app(config).test_client()


@pytest.mark.parametrize(
    ("prefix", "scope", "healthy"),
    [("svc-", "svc-a", True), ("svc-", "api-a", False), ("team-", "team-a", True), ("", "x", True)],
)
def test_health_rule_follows_the_configured_prefix(
    tmp_path: Path, prefix: str, scope: str, healthy: bool
) -> None:
    client = _client(tmp_path, healthy_scope_prefix=prefix)
    body = BODY | {"scope": scope}
    client.post("/create_infrastructure", json=body)
    reply = client.post("/effective_status", json=body).get_json()
    assert reply["healthy"] is healthy
    assert reply["status"] == ("success" if healthy else "failure")


def test_state_survives_a_new_app_on_the_same_directory(tmp_path: Path) -> None:
    first = _client(tmp_path).post("/create_infrastructure", json=BODY).get_json()
    second = _client(tmp_path).post("/create_infrastructure", json=BODY).get_json()
    assert second["created"] is False
    assert second["infrastructureId"] == first["infrastructureId"]


def test_internal_error_is_json_without_details(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(tmp_path)

    def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Store, "apply", broken)
    reply = client.post("/create_infrastructure", json=BODY)
    assert reply.status_code == 500
    assert reply.get_json() == {"error": "internal error", "detail": "see the worker log"}
    assert "secret internals" not in reply.get_data(as_text=True)


def test_a_failed_decision_changes_nothing_and_releases_the_lock(tmp_path: Path) -> None:
    client = _client(tmp_path)
    client.post("/create_infrastructure", json=BODY)
    store = Store(tmp_path / "worker.sqlite3")
    request = parse_step_request(json.dumps(BODY).encode())

    def broken(snapshot: Snapshot) -> StepOutcome:
        raise RuntimeError("decision failed")

    with pytest.raises(RuntimeError):
        store.apply("effective_status", request, 0, broken)
    assert [entry.step for entry in store.history()] == ["create_infrastructure"]
    # Neither the flock nor a transaction was left behind: the next call goes through.
    with (tmp_path / "worker.sqlite3.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises at once if still held
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert client.post("/effective_status", json=BODY).status_code == 200
    assert len(store.history()) == 2


def test_default_state_dir_is_under_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKER_STATE_DIR", raising=False)
    assert WorkerSettings().state_dir == REPO_ROOT / ".state" / "worker"


def test_environment_is_read_with_the_worker_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WORKER_PORT", "3100")
    monkeypatch.setenv("WORKER_PROCESSES", "3")
    monkeypatch.setenv("WORKER_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("WORKER_PROVISION_DELAY_SECONDS", "0.25")
    monkeypatch.setenv("WORKER_HEALTHY_SCOPE_PREFIX", "app-")
    monkeypatch.setenv("WORKER_FAULTS", "notify_failure:fail=1")
    settings = load_settings()
    assert (settings.port, settings.processes, settings.state_dir) == (3100, 3, tmp_path)
    assert settings.provision_delay_seconds == 0.25
    assert settings.healthy_scope_prefix == "app-"
    assert settings.fault_plan["notify_failure"].fail == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WORKER_PORT", "http"),
        ("WORKER_PROCESSES", "0"),
        ("WORKER_CONNECTIONS", "0"),
        ("WORKER_HEADER_TIMEOUT_SECONDS", "0.5"),
        ("WORKER_BODY_TIMEOUT_SECONDS", "0"),
        ("WORKER_PROVISION_DELAY_SECONDS", "-1"),
        ("WORKER_FAULTS", "swap_traffic:fail=many"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(WorkerConfigError, match=name):
        load_settings()
