"""Worker state in one SQLite file (WAL) shared by every gunicorn process.

Each step call is one ``BEGIN IMMEDIATE`` transaction: read the snapshot, decide, write the new
state and the history entry. Writers queue on SQLite's lock (busy timeout), so concurrent calls
from any process neither lose nor duplicate anything, and history order is commit order.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, TextIO

from worker.models import Deployment, HistoryEntry, StepRequest
from worker.steps import Snapshot, StepOutcome

__all__ = ["Store"]

BUSY_TIMEOUT_SECONDS = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
    deployment_id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    version TEXT NOT NULL,
    env TEXT NOT NULL,
    infrastructure_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    outcome TEXT,
    healthy INTEGER,
    traffic_version TEXT,
    previous_version TEXT,
    created_at REAL NOT NULL,
    ready_at REAL NOT NULL,
    updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY,
    deployment_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    step TEXT NOT NULL,
    at REAL NOT NULL,
    pid INTEGER NOT NULL,
    status_code INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_call ON history (deployment_id, step);
CREATE TABLE IF NOT EXISTS traffic (
    scope TEXT NOT NULL,
    env TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (scope, env)
) WITHOUT ROWID;
"""

# Column names are the dataclass field names, in field order, so rows map onto the dataclasses.
_DEPLOYMENT_FIELDS = tuple(f.name for f in fields(Deployment))
_DEPLOYMENT_COLUMNS = ", ".join(_DEPLOYMENT_FIELDS)
_HEALTHY_INDEX = _DEPLOYMENT_FIELDS.index("healthy")
_DEPLOYMENT_PLACEHOLDERS = ", ".join("?" for _ in _DEPLOYMENT_FIELDS)
_HISTORY_COLUMNS = ", ".join(f.name for f in fields(HistoryEntry))


def _deployment(row: Any) -> Deployment:
    healthy = row[_HEALTHY_INDEX]
    if healthy is not None:  # SQLite stores 0 or 1
        row = (*row[:_HEALTHY_INDEX], bool(healthy), *row[_HEALTHY_INDEX + 1 :])
    return Deployment(*row)


class Store:
    def __init__(self, db_path: Path) -> None:
        self._path = db_path
        self._lock_path = db_path.with_name(db_path.name + ".lock")
        # sqlite3 connections must stay in their thread; one per thread is reused across requests.
        self._local = threading.local()

    def initialize(self) -> None:
        """Create the file and schema; safe when every gunicorn process does it at once."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        # Switching to WAL needs an exclusive lock that the busy timeout does not always wait for.
        with self._locked() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        return self._thread_state()[0]

    def _thread_state(self) -> tuple[sqlite3.Connection, TextIO]:
        state: tuple[sqlite3.Connection, TextIO] | None = getattr(self._local, "state", None)
        if state is None:
            connection = sqlite3.connect(
                self._path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
            # Mock state is disposable: no fsync, whose milliseconds at each checkpoint would
            # stall every writer queued behind the lock. A process crash still loses nothing.
            connection.execute("PRAGMA synchronous=OFF")
            # flock locks belong to an open file, so each thread needs its own.
            state = (connection, self._lock_path.open("a"))
            self._local.state = state
        return state

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        connection, lock = self._thread_state()
        # Writers queue on a kernel lock, which wakes the next one at once; SQLite's busy
        # handler would sleep 1 ms or more on each collision, which ruins throughput and p99.
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield connection
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._locked() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def apply(
        self,
        step: str,
        request: StepRequest,
        count_calls_up_to: int,
        decide: Callable[[Snapshot], StepOutcome],
    ) -> StepOutcome:
        """Run ``decide`` on a snapshot and save its outcome and the history entry atomically."""
        key = request.key
        with self._write() as db:
            # The clock is read under the lock so timestamps follow history order.
            now = time.time()
            row = db.execute(
                f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments WHERE deployment_id = ?", (key,)
            ).fetchone()
            live = db.execute(
                "SELECT version FROM traffic WHERE scope = ? AND env = ?",
                (request.scope, request.env),
            ).fetchone()
            prior_calls = 0
            if count_calls_up_to > 0:
                # Bounded: a deployment with a long history must not slow every call down.
                (prior_calls,) = db.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM history"
                    " WHERE deployment_id = ? AND step = ? LIMIT ?)",
                    (key, step, count_calls_up_to),
                ).fetchone()
            snapshot = Snapshot(
                now=now,
                deployment=None if row is None else _deployment(row),
                live_version=None if live is None else live[0],
                prior_calls=prior_calls,
            )
            outcome = decide(snapshot)
            if outcome.deployment is not None:
                db.execute(
                    f"INSERT OR REPLACE INTO deployments ({_DEPLOYMENT_COLUMNS})"
                    f" VALUES ({_DEPLOYMENT_PLACEHOLDERS})",
                    [getattr(outcome.deployment, name) for name in _DEPLOYMENT_FIELDS],
                )
            if outcome.traffic is not None:
                self._set_traffic(db, request.scope, request.env, outcome.traffic.version)
            db.execute(
                "INSERT INTO history (deployment_id, scope, step, at, pid, status_code)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, request.scope, step, now, os.getpid(), outcome.status_code),
            )
        return outcome

    @staticmethod
    def _set_traffic(db: sqlite3.Connection, scope: str, env: str, version: str | None) -> None:
        if version is None:
            db.execute("DELETE FROM traffic WHERE scope = ? AND env = ?", (scope, env))
        else:
            db.execute(
                "INSERT OR REPLACE INTO traffic (scope, env, version) VALUES (?, ?, ?)",
                (scope, env, version),
            )

    def deployment(self, deployment_id: str) -> Deployment | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments WHERE deployment_id = ?",
                (deployment_id,),
            )
            .fetchone()
        )
        return None if row is None else _deployment(row)

    def history(
        self, deployment_id: str | None = None, scope: str | None = None
    ) -> list[HistoryEntry]:
        """Calls in commit order, optionally only those of one deployment or one scope."""
        clauses: list[str] = []
        params: list[str] = []
        for column, value in (("deployment_id", deployment_id), ("scope", scope)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT {_HISTORY_COLUMNS} FROM history{where} ORDER BY seq"
        rows = self._connection().execute(query, params).fetchall()
        return [HistoryEntry(*row) for row in rows]

    def ping(self) -> None:
        self._connection().execute("SELECT 1 FROM deployments LIMIT 1").fetchall()
