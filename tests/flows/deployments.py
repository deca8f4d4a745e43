"""The worker's answers for one deployment, typed by its contract (worker/contract.py), and the
mocks of a whole deploy: what the flow tests build their runs from.

The tasks are the definitions' own objects, so the tests follow the definitions: a renamed or
re-typed step breaks here, in one place, with an error naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from definitions.common import DeploymentInput
from definitions.deploy_failed import deploy_failed_v1
from definitions.deploy_simple import (
    create_infrastructure,
    deploy_simple_v1,
    effective_status,
    swap_traffic,
    wait_infrastructure_created,
)
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.pipeline_simple import PipelineInput, Wave, deploy_wave
from definitions.rollback_deployment import rollback_deployment_v1
from deploy_dsl.dsl import AnyWorkflow, DynamicFork, Http, SetVariable, SubWorkflow, Task
from deploy_dsl.testing import Mock, at_iteration, find_task, responds
from worker.contract import (
    CreateInfrastructureAnswer,
    DeploymentStatusAnswer,
    EffectiveStatusAnswer,
    InfrastructureReadyAnswer,
    NotReadyAnswer,
    RecordedAnswer,
    SettledAnswer,
    StepAnswer,
    TrafficRestoredAnswer,
    TrafficSwappedAnswer,
)

__all__ = [
    "COMPENSATE",
    "COMPENSATE_ROLLBACK",
    "DEPLOYMENT_STATUS",
    "FINALIZE",
    "FINALIZE_DEPLOYMENT",
    "RECORD_FINALIZED",
    "RECORD_ROLLED_BACK",
    "ROLLBACK",
    "ROLLBACK_DEPLOYMENT",
    "Deployment",
    "fork_mocks",
    "forked_refs",
    "pipeline_input",
    "refs",
    "wave_mocks",
]

# The tasks of the deploy's SWITCH cases, which its module does not name.
FINALIZE = find_task(deploy_simple_v1, "finalize", SubWorkflow)
FINALIZE_DEPLOYMENT = find_task(deploy_simple_v1, "finalize_deployment", Http)
RECORD_FINALIZED = find_task(deploy_simple_v1, "record_finalized", SetVariable)
ROLLBACK = find_task(deploy_simple_v1, "rollback", SubWorkflow)
ROLLBACK_DEPLOYMENT = find_task(deploy_simple_v1, "rollback_deployment", Http)
RECORD_ROLLED_BACK = find_task(deploy_simple_v1, "record_rolled_back", SetVariable)

# deploy_failed_v1, the deploy's failure workflow: what the worker says, then a rollback.
DEPLOYMENT_STATUS = find_task(deploy_failed_v1, "deployment_status", Http)
COMPENSATE = find_task(deploy_failed_v1, "rollback", SubWorkflow)
COMPENSATE_ROLLBACK = find_task(deploy_failed_v1, "rollback_deployment", Http)

HEALTHY, UNHEALTHY = "success", "failure"


def refs(*tasks: Task) -> list[str]:
    return [task.ref for task in tasks]


@dataclass(frozen=True)
class Deployment:
    """One service deployed, and what the worker answers each step for it."""

    scope: str
    version: str = "1.2.3"
    env: str = "dev"

    @property
    def input(self) -> DeploymentInput:
        return DeploymentInput(scope=self.scope, version=self.version, env=self.env)

    @property
    def infrastructure_id(self) -> str:
        return f"infra-{self.scope}"

    def _says(self, step: str) -> dict[str, Any]:
        # The worker echoes the deployment id it was sent; a mock does not know the run's id.
        return {
            "step": step,
            "deploymentId": f"mocked-{self.scope}",
            "scope": self.scope,
            "version": self.version,
            "env": self.env,
        }

    def created(self) -> CreateInfrastructureAnswer:
        return CreateInfrastructureAnswer(
            **self._says("create_infrastructure"),
            infrastructureId=self.infrastructure_id,
            status="creating",
            created=True,
            readyAt="2030-01-01T00:00:01+00:00",
        )

    def not_ready(self) -> NotReadyAnswer:
        return NotReadyAnswer(
            **self._says("wait_infrastructure_created"),
            ready=False,
            status="creating",
            infrastructureId=self.infrastructure_id,
            retryAfterSeconds=1.0,
            error="not ready",
            detail={},
        )

    def ready(self) -> InfrastructureReadyAnswer:
        return InfrastructureReadyAnswer(
            **self._says("wait_infrastructure_created"),
            ready=True,
            status="ready",
            infrastructureId=self.infrastructure_id,
        )

    def swapped(self) -> TrafficSwappedAnswer:
        return TrafficSwappedAnswer(
            **self._says("swap_traffic"),
            status="traffic_swapped",
            infrastructureId=self.infrastructure_id,
            trafficVersion=self.version,
            previousVersion="1.0.0",
            trafficWeight=100,
        )

    def checked(self, status: str) -> dict[str, Any]:
        """effective_status's answer as JSON; `status` may be one the contract does not allow."""
        healthy = status == HEALTHY
        answer = EffectiveStatusAnswer(
            **self._says("effective_status"),
            healthy=healthy,
            status=HEALTHY if healthy else UNHEALTHY,
            reason="mocked",
            infrastructureId=self.infrastructure_id,
            trafficWeight=100,
        )
        return {**answer.model_dump(mode="json"), "status": status}

    def settled(self, step: str, outcome: str) -> SettledAnswer:
        return SettledAnswer.model_validate(
            {
                **self._says(step),
                "status": outcome,
                "outcome": outcome,
                "infrastructureId": self.infrastructure_id,
            }
        )

    def follow_up(self, step: str) -> StepAnswer:
        """The answer of a finalize or rollback step."""
        if step == "restore_previous_traffic":
            return TrafficRestoredAnswer(
                **self._says(step),
                status="traffic_restored",
                infrastructureId=self.infrastructure_id,
                restored=True,
                trafficVersion="1.0.0",
                previousVersion=self.version,
            )
        return RecordedAnswer(
            **self._says(step), status="done", infrastructureId=self.infrastructure_id
        )

    def status(self, *, traffic_moved: bool) -> DeploymentStatusAnswer:
        """deployment_status: what the worker knows when the deploy's failure workflow asks."""
        return DeploymentStatusAnswer(
            **self._says("deployment_status"),
            known=True,
            infrastructureId=self.infrastructure_id,
            trafficMoved=traffic_moved,
            outcome=None,
            needsRollback=traffic_moved,
            trafficWeight=100 if traffic_moved else 0,
        )

    def failure_mocks(self, *, traffic_moved: bool) -> dict[Task | AnyWorkflow, Any]:
        """The failure workflow (deploy_failed_v1): the worker says whether traffic moved; if it
        did, the rollback answers at once."""
        mocks: dict[Task | AnyWorkflow, Any] = {
            DEPLOYMENT_STATUS: responds(self.status(traffic_moved=traffic_moved))
        }
        if traffic_moved:
            mocks[COMPENSATE] = self.follow_up_mocks(rollback_deployment_v1)
            mocks[COMPENSATE_ROLLBACK] = responds(
                self.settled("rollback_deployment", "rolled_back")
            )
        return mocks

    def follow_up_mocks(self, workflow: AnyWorkflow) -> dict[Task, Mock]:
        """Every step of a finalize or rollback workflow answering at once."""
        return {step: responds(self.follow_up(step.name)) for step in workflow.tasks}

    def deploy_mocks(self, status: str = HEALTHY) -> dict[Task | AnyWorkflow, Any]:
        """A whole deploy: every step answers at once; effective_status says `status` (one
        outside the contract is sent as it is), then the branch it selects is answered."""
        check = responds(self.checked(status), off_contract=status not in (HEALTHY, UNHEALTHY))
        mocks: dict[Task | AnyWorkflow, Any] = {
            create_infrastructure: responds(self.created()),
            wait_infrastructure_created: responds(self.ready()),
            swap_traffic: responds(self.swapped()),
            effective_status: check,
        }
        if status == HEALTHY:
            mocks[FINALIZE] = self.follow_up_mocks(finalize_deployment_v1)
            mocks[FINALIZE_DEPLOYMENT] = responds(self.settled("finalize_deployment", "finalized"))
        else:
            mocks[ROLLBACK] = self.follow_up_mocks(rollback_deployment_v1)
            mocks[ROLLBACK_DEPLOYMENT] = responds(
                self.settled("rollback_deployment", "rolled_back")
            )
        return mocks


def pipeline_input(waves: Sequence[Sequence[Deployment]], *, halt: bool) -> PipelineInput:
    return PipelineInput(
        waves=[Wave(services=[d.input for d in wave]) for wave in waves], halt_on_rollback=halt
    )


def fork_mocks(
    fork: DynamicFork[Any],
    batches: Sequence[Sequence[Deployment]],
    unhealthy: frozenset[str] = frozenset(),
) -> dict[Any, Any]:
    """The deploys a dynamic fork in a loop starts, one list per iteration, one deploy per
    service in order; the scopes in `unhealthy` fail their check (and roll back)."""
    return {
        at_iteration(fork, number): [
            d.deploy_mocks(UNHEALTHY if d.scope in unhealthy else HEALTHY) for d in batch
        ]
        for number, batch in enumerate(batches, start=1)
    }


def wave_mocks(
    waves: Sequence[Sequence[Deployment]], unhealthy: frozenset[str] = frozenset()
) -> dict[Any, Any]:
    """The deploys each wave of pipeline_simple_v1 forks (see fork_mocks)."""
    return fork_mocks(deploy_wave, waves, unhealthy)


def forked_refs(fork: DynamicFork[Any], count: int, iteration: int) -> list[str]:
    """The references of the `count` sub-workflows a dynamic fork in a loop starts in one
    iteration: the first fork of an execution names its children `_<fork>_<i>`, later ones
    `_<fork>_<fork>_<i>` (ForkJoinDynamicTaskMapper.getMappedTasks), each `__<iteration>`."""
    children = "_".join([fork.ref] * (1 if iteration == 1 else 2))
    return [f"_{children}_{i}__{iteration}" for i in range(count)]
