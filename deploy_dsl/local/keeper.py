"""The local cluster's keeper: when a Conductor node dies, release the work it held.

Why: on Conductor OSS 3.32.3 with PostgreSQL queues, the other nodes give a dead node's work back
late or never (read from the boot jar):

- `PostgresQueueDAO.pop` marks a row `popped`; only `processAllUnacks` clears that, for rows
  whose `deliver_on` is 60 s past, run every 60 s (both hard-coded): 60-120 s for a decider row
  or a JOIN the dead node had popped.
- Before an HTTP (or SUB_WORKFLOW) task runs, `AsyncSystemTaskExecutor.reserveInflightMessage`
  moves its row's `deliver_on` `effectiveResponseTimeoutSeconds` ahead: the TaskModel's
  responseTimeoutSeconds, which `HTTPTaskMapper` never sets, so 3600 s. A call in flight on a
  node that dies is not retried for an hour.
- A workflow lock the node held (table `locks`) blocks that workflow until its lease ends.

No server property shortens any of these. So the keeper, when it sees a node's process gone
without `server down` (its pid file is still there), releases in two steps, each by how long
ago a row was reserved (`deliver_on - offset_time_seconds`) or a lock taken:

1. after INTERNAL_AFTER seconds, the decider and JOIN rows and the locks: work of the server
   itself, which decides again or evaluates again without calling anyone. The decides come at
   once, and one that finds a task SCHEDULED for longer than its TaskDef's pollTimeoutSeconds
   times it out and, with timeoutPolicy RETRY (this project's TaskDefs), schedules it anew:
   that is how an HTTP call lost with the node is made again, once.
2. after TASK_AFTER seconds, every task row still held: the calls of tasks without a poll
   timeout run again. One a decide has already retried is terminal by then, and
   AsyncSystemTaskExecutor drops it without calling. (Released at once, such a row would be
   called while the decide's retry is called too: a step run three times.)

Both windows are longer than any call of this project's definitions can take (connect 2 s +
read 10 s), so a live node cannot still be working on what is released: it was the dead node's,
or was parked by a sweep (a decider row waiting for its next sweep, which then comes early). It
is at-least-once: a call that was in flight on the dead node runs again. One race remains, the
one Conductor's own processAllUnacks has: a row a live node popped (long after it was queued) in
the milliseconds before it reserves it can be released and popped twice.

`python -m deploy_dsl.local.keeper CLUSTER_DIR --postgres-port N`; it logs one line per event.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from deploy_dsl.errors import DeployDslError
from deploy_dsl.local.node import LOCK_LEASE_MS
from deploy_dsl.local.postgres import PostgresServer, find_postgres
from deploy_dsl.local.processes import alive, read_number

__all__ = [
    "INTERNAL_AFTER",
    "INTERNAL_QUEUES",
    "TASK_AFTER",
    "Released",
    "main",
    "release_sql",
    "release_stale_work",
]

INTERNAL_AFTER = 20.0
TASK_AFTER = 40.0
# The queues whose rows are the server's own work: decides, and JOIN evaluations.
INTERNAL_QUEUES = ("_deciderQueue", "JOIN")
POLL_EVERY = 0.5


@dataclass(frozen=True)
class Released:
    messages: int
    queues: str  # the queues they were in, e.g. "HTTP,_deciderQueue"
    locks: int

    def __str__(self) -> str:
        return (
            f"released {self.messages} queue message(s) ({self.queues or 'none'}) and "
            f"{self.locks} lock(s)"
        )


def release_sql(internal_after: float, task_after: float) -> str:
    """One statement (so one transaction). A row's reservation time is `deliver_on -
    offset_time_seconds`: `setUnackTimeout` sets both together (deliver_on = now + offset); a
    lock's is `lease_expiration - lease` (PostgresLockDAO.acquireFromDb sets now + lease)."""
    internal, task, lease = float(internal_after), float(task_after), LOCK_LEASE_MS / 1000
    queues = ", ".join(f"'{name}'" for name in INTERNAL_QUEUES)
    reserved = "deliver_on - make_interval(secs => offset_time_seconds)"
    return (
        "WITH released AS ("
        " UPDATE queue_message SET popped = false, deliver_on = current_timestamp"
        f" WHERE popped AND {reserved} < current_timestamp - make_interval(secs =>"
        f" CASE WHEN queue_name IN ({queues}) THEN {internal} ELSE {task} END)"
        " RETURNING queue_name),"
        " unlocked AS ("
        " DELETE FROM locks"
        f" WHERE lease_expiration < current_timestamp + make_interval(secs => {lease - internal})"
        " RETURNING lock_id)"
        " SELECT (SELECT count(*) FROM released),"
        " (SELECT coalesce(string_agg(DISTINCT queue_name, ','), '') FROM released),"
        " (SELECT count(*) FROM unlocked)"
    )


def release_stale_work(
    postgres: PostgresServer,
    internal_after: float = INTERNAL_AFTER,
    task_after: float = TASK_AFTER,
) -> Released:
    row = postgres.query(release_sql(internal_after, task_after)).strip().split("|")
    return Released(int(row[0]), row[1], int(row[2]))


def _log(line: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} keeper: {line}", flush=True)


def _node_pids(cluster: Path) -> dict[str, int | None]:
    return {
        pid_file.parent.name: read_number(pid_file)
        for pid_file in sorted(cluster.glob("node*/server.pid"))
    }


def watch(cluster: Path, postgres: PostgresServer) -> None:
    """Until SIGTERM: note each node that dies, release its work in the two steps."""
    alive_before: dict[str, int] = {}
    due: list[tuple[float, str, int]] = []
    while True:
        now = time.monotonic()
        for name, pid in _node_pids(cluster).items():
            if pid is not None and alive(pid):
                alive_before[name] = pid
            elif pid is not None and alive_before.get(name) == pid:
                # Gone while its pid file stays: it died (`server down` removes the file).
                del alive_before[name]
                due += [(now + INTERNAL_AFTER, name, pid), (now + TASK_AFTER, name, pid)]
                _log(
                    f"{name} (pid {pid}) died; releasing the decides and locks it held in "
                    f"{INTERNAL_AFTER:.0f}s, its tasks in {TASK_AFTER:.0f}s"
                )
        for entry in [d for d in due if d[0] <= now]:
            due.remove(entry)
            _, name, pid = entry
            try:
                released = release_stale_work(postgres)
            except DeployDslError as error:
                _log(f"could not release {name}'s work: {error}")
                continue
            _log(f"{released} ({name}, pid {pid})")
        time.sleep(POLL_EVERY)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__)
    parser.add_argument("cluster", type=Path, help="the cluster's state directory")
    parser.add_argument("--postgres-port", type=int, required=True)
    args = parser.parse_args(argv)
    postgres = PostgresServer(
        find_postgres(),
        args.cluster / "postgres",
        args.cluster / "postgres.log",
        args.postgres_port,
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        _log("stopped")
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    _log(f"watching {args.cluster}")
    watch(args.cluster, postgres)


if __name__ == "__main__":
    main()
