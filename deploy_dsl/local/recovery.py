"""Before the local server starts on an existing database: give back the work a stopped (or
killed) server had taken from its queues.

`SqliteQueueDAO.pop` marks a message popped and moves its delivery time; only its unack sweep,
every 60 s after a 60 s grace, ever makes one deliverable again, and an HTTP call's message is
held for an hour. A server that died mid-deploy therefore left its HTTP calls and decider
wake-ups invisible to its successor. One node owns this database and it is not running yet, so
nothing popped can still be in flight: every popped message is released, and every workflow is
due for a decide at once.

A running workflow can also have no wake-up at all: ExecutionDAOFacade.createWorkflow inserts the
workflow, then pushes its decider message, in two writes. A kill between them leaves a sub-workflow
that exists but is never decided, and its parent's restarted SUB_WORKFLOW task attaches to it
again (SubWorkflow.start derives the child's id from the task: startWorkflowIdempotent returns
the existing one as it is). Seen once in the crash test: the pipeline hung on a child with no
tasks. So each pending workflow without a decider message gets one, as Conductor's own
(deprecated, off by default) WorkflowRepairService.verifyAndRepairWorkflow would push it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["release_taken_work"]

_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
# workflow_pending holds every running workflow (SqliteExecutionDAO.addPendingWorkflow).
_REQUEUE_UNDECIDED = f"""
INSERT INTO queue_message (queue_name, message_id, deliver_on, priority, popped, payload)
SELECT '_deciderQueue', pending.workflow_id, {_NOW}, 0, 0, NULL
FROM workflow_pending AS pending
WHERE NOT EXISTS (
    SELECT 1 FROM queue_message AS queued
    WHERE queued.queue_name = '_deciderQueue' AND queued.message_id = pending.workflow_id
)
"""


def release_taken_work(database: Path) -> int:
    """Releases popped messages and makes decider wake-ups due now; returns how many were
    popped. A database that does not exist yet, or has no queue table yet, is left alone."""
    if not database.is_file():
        return 0
    connection = sqlite3.connect(database, timeout=15)
    try:
        with connection:
            if not _has_table(connection, "queue_message"):
                return 0
            released = connection.execute(
                f"UPDATE queue_message SET popped = 0, deliver_on = {_NOW} WHERE popped = 1"
            ).rowcount
            connection.execute(
                f"UPDATE queue_message SET deliver_on = {_NOW} WHERE queue_name = '_deciderQueue'"
            )
            if _has_table(connection, "workflow_pending"):
                connection.execute(_REQUEUE_UNDECIDED)
    finally:
        connection.close()
    return int(released)


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None
