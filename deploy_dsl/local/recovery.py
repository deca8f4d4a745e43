"""Before the local server starts on an existing database: give back the work a stopped (or
killed) server had taken from its queues.

`SqliteQueueDAO.pop` marks a message popped and moves its delivery time; only its unack sweep,
every 60 s after a 60 s grace, ever makes one deliverable again, and an HTTP call's message is
held for an hour. A server that died mid-deploy therefore left its HTTP calls and decider
wake-ups invisible to its successor. One node owns this database and it is not running yet, so
nothing popped can still be in flight: every popped message is released, and every workflow is
due for a decide at once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["release_taken_work"]

_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def release_taken_work(database: Path) -> int:
    """Releases popped messages and makes decider wake-ups due now; returns how many were
    popped. A database that does not exist yet, or has no queue table yet, is left alone."""
    if not database.is_file():
        return 0
    connection = sqlite3.connect(database, timeout=15)
    try:
        with connection:
            exists = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_message'"
            ).fetchone()
            if not exists:
                return 0
            released = connection.execute(
                f"UPDATE queue_message SET popped = 0, deliver_on = {_NOW} WHERE popped = 1"
            ).rowcount
            connection.execute(
                f"UPDATE queue_message SET deliver_on = {_NOW} WHERE queue_name = '_deciderQueue'"
            )
    finally:
        connection.close()
    return int(released)
