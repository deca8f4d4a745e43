"""The simulated traffic's state in the worker's SQLite file: which scopes are metered, each
version's counters, each version's behaviour. Every function runs inside the caller's write
transaction (Store holds the lock), so all gunicorn processes see one clock and one set of
counters, whichever of them a scrape reaches.

A scope is metered once its traffic moved by weight (a canary's swap_traffic with `weight`):
plain deploys stay out of the metrics, which keeps a scrape small however many deploys the
worker has seen.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from worker.traffic import DEFAULT_BEHAVIOUR, Behaviour, Counters, Split, served

__all__ = [
    "DEFAULT_IDLE_SECONDS",
    "DEFAULT_RPS",
    "Served",
    "advance",
    "clear_behaviours",
    "meter",
    "scrape",
    "set_behaviour",
]

# Requests a second each metered scope serves, split between its versions.
DEFAULT_RPS = 50.0
# A scope whose split has not changed for an hour drops out of the metrics.
DEFAULT_IDLE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Served:
    """One version's counters in one scope and env."""

    scope: str
    env: str
    version: str
    counters: Counters


def advance(db: sqlite3.Connection, scope: str, env: str, now: float, rps: float) -> bool:
    """Serve the scope's traffic from its last advance to `now` by its current split; False
    (and nothing done) when the scope is not metered."""
    row = db.execute(
        "SELECT advanced_at FROM metered WHERE scope = ? AND env = ?", (scope, env)
    ).fetchone()
    if row is None:
        return False
    elapsed = now - float(row[0])
    if elapsed > 0:
        for version, share in _split(db, scope, env).shares():
            counters = served(
                _counters(db, scope, env, version),
                rps * elapsed * share,
                _behaviour(db, scope, version),
            )
            _save(db, scope, env, version, counters)
        db.execute(
            "UPDATE metered SET advanced_at = ? WHERE scope = ? AND env = ?", (now, scope, env)
        )
    return True


def meter(db: sqlite3.Connection, scope: str, env: str, now: float) -> None:
    """From now on the scope's traffic is simulated (call after `advance`); its split changed."""
    db.execute(
        "INSERT INTO metered (scope, env, advanced_at, changed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (scope, env) DO UPDATE SET changed_at = excluded.changed_at",
        (scope, env, now, now),
    )


def set_behaviour(
    db: sqlite3.Connection, scope: str, version: str, behaviour: Behaviour, now: float, rps: float
) -> None:
    """The version's requests behave so from `now` on; what was served before keeps the old."""
    _advance_scope(db, scope, now, rps)
    db.execute(
        "INSERT OR REPLACE INTO traffic_faults (scope, version, error_rate, latency)"
        " VALUES (?, ?, ?, ?)",
        (scope, version, behaviour.error_rate, behaviour.latency),
    )


def clear_behaviours(db: sqlite3.Connection, scope: str, now: float, rps: float) -> int:
    """Every version of the scope behaves well again from `now` on; how many had faults."""
    _advance_scope(db, scope, now, rps)
    return int(db.execute("DELETE FROM traffic_faults WHERE scope = ?", (scope,)).rowcount)


def scrape(db: sqlite3.Connection, now: float, rps: float, idle_seconds: float) -> list[Served]:
    """Advance every scope metered and changed within `idle_seconds`, then read its counters."""
    pairs = db.execute(
        "SELECT scope, env FROM metered WHERE changed_at >= ? ORDER BY scope, env",
        (now - idle_seconds,),
    ).fetchall()
    found: list[Served] = []
    for scope, env in pairs:
        advance(db, scope, env, now, rps)
        rows = db.execute(
            "SELECT version, requests, errors, duration_sum, buckets FROM served"
            " WHERE scope = ? AND env = ? ORDER BY version",
            (scope, env),
        ).fetchall()
        for version, requests, errors, duration_sum, buckets in rows:
            counters = Counters(requests, errors, duration_sum, tuple(json.loads(buckets)))
            found.append(Served(scope, env, version, counters))
    return found


def _advance_scope(db: sqlite3.Connection, scope: str, now: float, rps: float) -> None:
    envs = db.execute("SELECT env FROM metered WHERE scope = ?", (scope,)).fetchall()
    for (env,) in envs:
        advance(db, scope, env, now, rps)


def _split(db: sqlite3.Connection, scope: str, env: str) -> Split:
    stable = db.execute(
        "SELECT version FROM traffic WHERE scope = ? AND env = ?", (scope, env)
    ).fetchone()
    canary = db.execute(
        "SELECT version, weight FROM canary_traffic WHERE scope = ? AND env = ?", (scope, env)
    ).fetchone()
    return Split(
        stable[0] if stable else None,
        canary[0] if canary else None,
        int(canary[1]) if canary else 0,
    )


def _behaviour(db: sqlite3.Connection, scope: str, version: str) -> Behaviour:
    row = db.execute(
        "SELECT error_rate, latency FROM traffic_faults WHERE scope = ? AND version = ?",
        (scope, version),
    ).fetchone()
    return DEFAULT_BEHAVIOUR if row is None else Behaviour(float(row[0]), float(row[1]))


def _counters(db: sqlite3.Connection, scope: str, env: str, version: str) -> Counters:
    row = db.execute(
        "SELECT requests, errors, duration_sum, buckets FROM served"
        " WHERE scope = ? AND env = ? AND version = ?",
        (scope, env, version),
    ).fetchone()
    if row is None:
        return Counters()
    return Counters(row[0], row[1], row[2], tuple(json.loads(row[3])))


def _save(db: sqlite3.Connection, scope: str, env: str, version: str, counters: Counters) -> None:
    db.execute(
        "INSERT OR REPLACE INTO served"
        " (scope, env, version, requests, errors, duration_sum, buckets)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            scope,
            env,
            version,
            counters.requests,
            counters.errors,
            counters.duration_sum,
            json.dumps(counters.buckets),
        ),
    )
