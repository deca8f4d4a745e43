"""Worker state in one SQLite file (WAL) shared by every gunicorn process.

Each step call is one ``BEGIN IMMEDIATE`` transaction: read the snapshot, decide, write the new
state and the history entry. Writers queue on an flock on a file beside the database, so
concurrent calls from any process neither lose nor duplicate anything, and history order is
commit order. Readers (the GET endpoints) need no lock: WAL gives them a consistent snapshot.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, TextIO

from gevent import monkey

from worker import simulation
from worker.contract import StepRequest
from worker.models import Deployment, HistoryEntry
from worker.simulation import DEFAULT_RPS, Served
from worker.steps import Snapshot, StepOutcome, TrafficChange
from worker.traffic import Behaviour

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
    updated_at REAL NOT NULL,
    traffic_weight INTEGER NOT NULL DEFAULT 0
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
CREATE TABLE IF NOT EXISTS scope_faults (
    scope TEXT NOT NULL,
    step TEXT NOT NULL,
    fail INTEGER NOT NULL,
    PRIMARY KEY (scope, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS traffic (
    scope TEXT NOT NULL,
    env TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (scope, env)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS canary_traffic (
    scope TEXT NOT NULL,
    env TEXT NOT NULL,
    version TEXT NOT NULL,
    weight INTEGER NOT NULL,
    PRIMARY KEY (scope, env)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metered (
    scope TEXT NOT NULL,
    env TEXT NOT NULL,
    advanced_at REAL NOT NULL,
    changed_at REAL NOT NULL,
    PRIMARY KEY (scope, env)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS served (
    scope TEXT NOT NULL,
    env TEXT NOT NULL,
    version TEXT NOT NULL,
    requests REAL NOT NULL,
    errors REAL NOT NULL,
    duration_sum REAL NOT NULL,
    buckets TEXT NOT NULL,
    PRIMARY KEY (scope, env, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS traffic_faults (
    scope TEXT NOT NULL,
    version TEXT NOT NULL,
    error_rate REAL NOT NULL,
    latency REAL NOT NULL,
    PRIMARY KEY (scope, version)
) WITHOUT ROWID;
"""
# Columns added after the first release: a state directory made before gets them at start.
_ADDED_COLUMNS = {("deployments", "traffic_weight"): "INTEGER NOT NULL DEFAULT 0"}

# Column names are the dataclass field names, in field order, so rows map onto the dataclasses.
_DEPLOYMENT_FIELDS = tuple(f.name for f in fields(Deployment))
_DEPLOYMENT_COLUMNS = ", ".join(_DEPLOYMENT_FIELDS)
_HEALTHY_INDEX = _DEPLOYMENT_FIELDS.index("healthy")
_DEPLOYMENT_PLACEHOLDERS = ", ".join("?" for _ in _DEPLOYMENT_FIELDS)
_HISTORY_COLUMNS = ", ".join(f.name for f in fields(HistoryEntry))

# All a step decides on, in one statement (one round trip into SQLite instead of five): the
# versions live in the scope and env (stable, canary), a fault set for the scope's step at run
# time, the earlier calls of the step for the deployment (counted no further than faults need:
# 0 skips it), then the deployment's columns, all NULL when it does not exist. Parameters:
# ?1 deployment id, ?2 scope, ?3 env, ?4 step, ?5 the configured fault's count.
_SCOPE_FAIL = "(SELECT fail FROM scope_faults WHERE scope = ?2 AND step = ?4)"
_SNAPSHOT_QUERY = (
    "SELECT (SELECT version FROM traffic WHERE scope = ?2 AND env = ?3),"
    " (SELECT version FROM canary_traffic WHERE scope = ?2 AND env = ?3),"
    f" coalesce({_SCOPE_FAIL}, 0),"
    " (SELECT count(*) FROM (SELECT 1 FROM history WHERE deployment_id = ?1 AND step = ?4"
    f"  LIMIT max(?5, coalesce({_SCOPE_FAIL}, 0)))),"
    f" {', '.join(f'd.{name}' for name in _DEPLOYMENT_FIELDS)}"
    " FROM (SELECT ?1 AS id) LEFT JOIN deployments AS d ON d.deployment_id = id"
)


def _deployment(row: Any) -> Deployment:
    healthy = row[_HEALTHY_INDEX]
    if healthy is not None:  # SQLite stores 0 or 1
        row = (*row[:_HEALTHY_INDEX], bool(healthy), *row[_HEALTHY_INDEX + 1 :])
    return Deployment(*row)


class _ThreadConnection:
    """One thread's SQLite connection and lock file. A ``with`` block on it is one write
    transaction, taken under the cross-process lock.

    Plain ``__enter__``/``__exit__`` rather than ``@contextmanager``: this runs on every step
    call, and the generator machinery cost more than taking the lock.
    """

    __slots__ = ("db", "lock", "pid")

    def __init__(self, path: Path, lock_path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        # Mock state is disposable: no fsync, whose milliseconds at each checkpoint would
        # stall every writer queued behind the lock. A process crash still loses nothing.
        self.db.execute("PRAGMA synchronous=OFF")
        # flock locks belong to an open file, so each thread needs its own.
        self.lock: TextIO = lock_path.open("a")
        # Recorded in each history entry; the connection never crosses a fork, so neither does it.
        self.pid = os.getpid()

    def __enter__(self) -> sqlite3.Connection:
        # Writers queue on a kernel lock, which wakes the next one at once; SQLite's busy
        # handler would sleep 1 ms or more on each collision, which ruins throughput and p99.
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            fcntl.flock(self.lock, fcntl.LOCK_UN)
            raise
        return self.db

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        try:
            if exc_type is None:
                self.db.execute("COMMIT")
        finally:
            try:
                # Also after a failed COMMIT, so the next call does not find a transaction open.
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
            finally:
                # Whatever happened: a lock left held would stop every writer for good.
                fcntl.flock(self.lock, fcntl.LOCK_UN)


class Store:
    def __init__(self, db_path: Path, *, rps: float = DEFAULT_RPS) -> None:
        self._path = db_path
        self._rps = rps
        self._lock_path = db_path.with_name(db_path.name + ".lock")
        # sqlite3 connections must stay in their thread; one per thread is reused across
        # requests. Per OS thread even under gevent's patching (worker/serving.py): the
        # greenlets of a process share its thread and connection, which is safe because a
        # transaction never yields (SQLite and flock block the thread, they do not switch).
        self._local = monkey.get_original("threading", "local")()

    def initialize(self) -> None:
        """Create the file and schema; safe when every gunicorn process does it at once."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        thread = self._thread()
        # Switching to WAL needs an exclusive lock that the busy timeout does not always wait
        # for; it cannot run inside a transaction, so only the lock is taken.
        fcntl.flock(thread.lock, fcntl.LOCK_EX)
        try:
            thread.db.execute("PRAGMA journal_mode=WAL")
            thread.db.executescript(_SCHEMA)
            for (table, column), declaration in _ADDED_COLUMNS.items():
                present = {row[1] for row in thread.db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    thread.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        finally:
            fcntl.flock(thread.lock, fcntl.LOCK_UN)

    def _thread(self) -> _ThreadConnection:
        thread: _ThreadConnection | None = getattr(self._local, "connection", None)
        if thread is None:
            thread = self._local.connection = _ThreadConnection(self._path, self._lock_path)
        return thread

    def _connection(self) -> sqlite3.Connection:
        return self._thread().db

    def apply(
        self,
        step: str,
        request: StepRequest,
        count_calls_up_to: int,
        decide: Callable[[Snapshot], StepOutcome],
    ) -> StepOutcome:
        """Run ``decide`` on a snapshot and save its outcome and the history entry atomically."""
        key = request.key
        thread = self._thread()
        with thread as db:
            # The clock is read under the lock so timestamps follow history order.
            now = time.time()
            live_version, canary_version, scope_fail, prior_calls, *row = db.execute(
                _SNAPSHOT_QUERY, (key, request.scope, request.env, step, count_calls_up_to)
            ).fetchone()
            snapshot = Snapshot(
                now=now,
                deployment=None if row[0] is None else _deployment(row),
                live_version=live_version,
                prior_calls=prior_calls,
                scope_fail=scope_fail,
                canary_version=canary_version,
            )
            outcome = decide(snapshot)
            if outcome.deployment is not None:
                db.execute(
                    f"INSERT OR REPLACE INTO deployments ({_DEPLOYMENT_COLUMNS})"
                    f" VALUES ({_DEPLOYMENT_PLACEHOLDERS})",
                    [getattr(outcome.deployment, name) for name in _DEPLOYMENT_FIELDS],
                )
            if outcome.traffic is not None:
                self._set_traffic(db, request.scope, request.env, outcome.traffic, now)
            db.execute(
                "INSERT INTO history (deployment_id, scope, step, at, pid, status_code)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, request.scope, step, now, thread.pid, outcome.status_code),
            )
        return outcome

    def _set_traffic(
        self, db: sqlite3.Connection, scope: str, env: str, change: TrafficChange, now: float
    ) -> None:
        # The traffic served so far went by the old split: count it before the split changes.
        metered = simulation.advance(db, scope, env, now, self._rps)
        if change.version is None:
            db.execute("DELETE FROM traffic WHERE scope = ? AND env = ?", (scope, env))
        else:
            db.execute(
                "INSERT OR REPLACE INTO traffic (scope, env, version) VALUES (?, ?, ?)",
                (scope, env, change.version),
            )
        if change.canary is None:
            db.execute("DELETE FROM canary_traffic WHERE scope = ? AND env = ?", (scope, env))
        else:
            db.execute(
                "INSERT OR REPLACE INTO canary_traffic (scope, env, version, weight)"
                " VALUES (?, ?, ?, ?)",
                (scope, env, change.canary, change.canary_weight),
            )
        if metered or change.metered:
            simulation.meter(db, scope, env, now)

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

    def set_scope_fault(self, scope: str, step: str, fail: int) -> None:
        """From now on the first `fail` calls of `step` for each deployment of `scope` fail."""
        with self._thread() as db:
            db.execute(
                "INSERT OR REPLACE INTO scope_faults (scope, step, fail) VALUES (?, ?, ?)",
                (scope, step, fail),
            )

    def clear_scope_faults(self, scope: str) -> int:
        """Remove the scope's step faults and traffic faults; how many there were."""
        with self._thread() as db:
            cleared = db.execute("DELETE FROM scope_faults WHERE scope = ?", (scope,)).rowcount
            return int(cleared) + simulation.clear_behaviours(db, scope, time.time(), self._rps)

    def set_traffic_fault(self, scope: str, version: str, behaviour: Behaviour) -> None:
        """From now on the version's simulated requests in `scope` behave so (in every env)."""
        with self._thread() as db:
            simulation.set_behaviour(db, scope, version, behaviour, time.time(), self._rps)

    def served(self, idle_seconds: float) -> list[Served]:
        """Every metered scope's traffic advanced to now, and each version's counters: what a
        scrape reports. A scope whose split has not changed for `idle_seconds` is left out."""
        with self._thread() as db:
            return simulation.scrape(db, time.time(), self._rps, idle_seconds)

    def ping(self) -> None:
        self._connection().execute("SELECT 1 FROM deployments LIMIT 1").fetchall()
