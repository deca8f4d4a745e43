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
without `server down` (its pid file is still there), waits RELEASE_AFTER seconds and then
makes every popped row that was reserved longer ago than that deliverable again, and deletes
the locks taken longer ago than that. RELEASE_AFTER is longer than any HTTP call of this
project's definitions can take (connect 2 s + read 10 s), so a live node cannot still be working
on such a row or lock: what is released was the dead node's, or was parked by a sweep (a
decider row waiting for its next sweep, which then just comes early). It is at-least-once: a
call that was in flight on the dead node runs again on a live one. One race remains, the one
Conductor's own processAllUnacks has: a row a live node popped (long after it was queued) in
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

__all__ = ["RELEASE_AFTER", "Released", "main", "release_sql", "release_stale_work"]

RELEASE_AFTER = 20.0
POLL_EVERY = 0.5


@dataclass(frozen=True)
class Released:
    messages: int
    queues: str  # the queues they were in, e.g. "HTTP,_deciderQueue"
    locks: int


def release_sql(older_than: float) -> str:
    """One statement (so one transaction): rows reserved, and locks taken, more than
    `older_than` seconds ago. A row's reservation time is `deliver_on - offset_time_seconds`:
    `setUnackTimeout` sets both together (deliver_on = now + offset); a lock's is
    `lease_expiration - lease` (PostgresLockDAO.acquireFromDb sets now + lease)."""
    seconds = float(older_than)
    lease = LOCK_LEASE_MS / 1000
    return (
        "WITH released AS ("
        " UPDATE queue_message SET popped = false, deliver_on = current_timestamp"
        " WHERE popped"
        " AND deliver_on - make_interval(secs => offset_time_seconds)"
        f" < current_timestamp - make_interval(secs => {seconds})"
        " RETURNING queue_name),"
        " unlocked AS ("
        " DELETE FROM locks"
        f" WHERE lease_expiration < current_timestamp + make_interval(secs => {lease - seconds})"
        " RETURNING lock_id)"
        " SELECT (SELECT count(*) FROM released),"
        " (SELECT coalesce(string_agg(DISTINCT queue_name, ','), '') FROM released),"
        " (SELECT count(*) FROM unlocked)"
    )


def release_stale_work(postgres: PostgresServer, older_than: float = RELEASE_AFTER) -> Released:
    row = postgres.query(release_sql(older_than)).strip().split("|")
    return Released(int(row[0]), row[1], int(row[2]))


def _log(line: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} keeper: {line}", flush=True)


def _node_pids(cluster: Path) -> dict[str, int | None]:
    return {
        pid_file.parent.name: read_number(pid_file)
        for pid_file in sorted(cluster.glob("node*/server.pid"))
    }


def watch(cluster: Path, postgres: PostgresServer, release_after: float) -> None:
    """Until SIGTERM: note each node that dies, release its work `release_after` s later."""
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
                due.append((now + release_after, name, pid))
                _log(f"{name} (pid {pid}) died; releasing what it held in {release_after:.0f}s")
        for entry in [d for d in due if d[0] <= now]:
            due.remove(entry)
            _, name, pid = entry
            try:
                released = release_stale_work(postgres, release_after)
            except DeployDslError as error:
                _log(f"could not release {name}'s work: {error}")
                continue
            _log(
                f"released {released.messages} queue message(s) ({released.queues or 'none'}) "
                f"and {released.locks} lock(s) held since before {release_after:.0f}s ago "
                f"({name}, pid {pid})"
            )
        time.sleep(POLL_EVERY)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__)
    parser.add_argument("cluster", type=Path, help="the cluster's state directory")
    parser.add_argument("--postgres-port", type=int, required=True)
    parser.add_argument("--release-after", type=float, default=RELEASE_AFTER)
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
    _log(f"watching {args.cluster} (release after {args.release_after:.0f}s)")
    watch(args.cluster, postgres, args.release_after)


if __name__ == "__main__":
    main()
