"""A TaskDef for every worker step: HTTP tasks are retried only per the TaskDef of their name."""

from __future__ import annotations

from typing import get_args

from definitions.common import OWNER_EMAIL
from deploy_dsl.canary import PROMETHEUS_QUERY_TASK
from deploy_dsl.dsl import RetryPolicy, TaskDef
from worker.contract import StepName

__all__ = [
    "POLL_TIMEOUT_SECONDS",
    "PROMETHEUS_QUERY",
    "PROVISIONING_WAIT",
    "ROLLBACK_STEPS",
    "STEP_TASKDEFS",
    "WORKER_STEPS",
]

# Every step of the worker's contract but the provisioning wait, which has a TaskDef of its own.
WORKER_STEPS = tuple(step for step in get_args(StepName) if step != "wait_infrastructure_created")

# Ten 1 s retries ride out a worker restart without making a real failure slow to surface.
_STEP_RETRY = RetryPolicy(count=10, delay_seconds=1, logic="FIXED")
# Putting traffic back must outlast an outage, not surface it: 1, 2, 4 ... 512 s between
# attempts, about 17 minutes in all (Conductor's EXPONENTIAL_BACKOFF doubles each retry).
ROLLBACK_STEPS = frozenset(
    {
        "rollback_deployment",
        "restore_previous_traffic",
        "cleanup_failed_resources",
        "notify_failure",
    }
)
_ROLLBACK_RETRY = RetryPolicy(count=10, delay_seconds=1, logic="EXPONENTIAL_BACKOFF")

# After a crash the server's queue still holds the HTTP calls it had taken, unseen for an hour:
# a poll timeout times such an attempt out and RETRY schedules it again, so the deploy resumes
# (measured: a SIGKILLed pipeline completed about 30 s after the restart, against never). 15 s
# stays above the slowest call: readTimeOut 10 s, plus Retry-After and queue time.
POLL_TIMEOUT_SECONDS = 15

STEP_TASKDEFS = [
    TaskDef(
        step,
        owner_email=OWNER_EMAIL,
        description=f"POST /{step} on the deployment worker",
        retry=_ROLLBACK_RETRY if step in ROLLBACK_STEPS else _STEP_RETRY,
        timeout_seconds=120,
        response_timeout_seconds=30,
        poll_timeout_seconds=POLL_TIMEOUT_SECONDS,
        timeout_policy="RETRY",
    )
    for step in WORKER_STEPS
]

# The worker answers 503 with Retry-After until the infrastructure is ready. The HTTP task's
# client (Apache HttpClient 5 in Conductor 3.32) calls once more after Retry-After within the
# same attempt; a second 503 fails the attempt and the retries below take over, 1 s apart.
PROVISIONING_WAIT = TaskDef(
    "wait_infrastructure_created",
    owner_email=OWNER_EMAIL,
    description="POST /wait_infrastructure_created: 503 with Retry-After until provisioned",
    retry=_STEP_RETRY,
    timeout_seconds=300,
    response_timeout_seconds=30,
    poll_timeout_seconds=POLL_TIMEOUT_SECONDS,
    timeout_policy="RETRY",
)

# A canary analysis's query: no retry, since the analysis's next interval is the retry and an
# unanswered query counts as an inconclusive measurement (the task is optional); a query that
# hangs is cut by its readTimeOut (5 s), well within these; one timed out fails like the rest
# (RETRY with no retry left), which the optional task turns into an inconclusive measurement.
PROMETHEUS_QUERY = TaskDef(
    PROMETHEUS_QUERY_TASK,
    owner_email=OWNER_EMAIL,
    description="POST /api/v1/query on Prometheus, for a canary analysis",
    retry=RetryPolicy(count=0, delay_seconds=1, logic="FIXED"),
    timeout_seconds=30,
    response_timeout_seconds=15,
    timeout_policy="RETRY",
)
