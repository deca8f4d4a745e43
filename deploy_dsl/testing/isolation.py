"""The compiled workflow, rewritten so that nothing in it can reach a real system (pure).

Why: HTTP is a system task. The test endpoint hides worker-polled tasks in a random task domain,
but WorkflowExecutorOps.setTaskDomains leaves system tasks out, so the server's own HTTP
workers poll the `HTTP` queue and call the real URL while the test applies its mocks
(AsyncSystemTaskExecutor.execute writes its own copy of the task after the call, over the
mock). Measured on deploy_simple_v1 as compiled: 20 runs, 21 real calls, 12 different results.

The rewrite, per task type:
- HTTP keeps its type and input (what a test asserts on) and gets an embedded `taskDefinition`:
  the project's TaskDef of its name plus an `isolationGroupId`. HTTPTaskMapper copies the group
  onto the task, so it is queued as `HTTP-<group>`, which only IsolatedTaskQueueProducer polls:
  off unless `conductor.app.isolatedSystemTaskEnabled`, and even then only for groups of
  registered TaskDefs. The embedded TaskDef also pins retries and timeouts to the project's
  values, whatever the server holds under that name.
- SUB_WORKFLOW gets its callee, rewritten the same way, inline (`subWorkflowParam.
  workflowDefinition`): nothing is registered.
- A failure workflow is started by the server by name when a workflow fails or times out: its
  rewritten copy is registered under a scratch name, as for dynamic forks, and named instead.
- FORK_JOIN_DYNAMIC over a workflow: ForkJoinDynamicTaskMapper.generateSubWorkflowWorkflowTask
  only passes (name, version), so the child is always loaded from the registry. The rewritten
  callee is registered under a scratch name, `flowtest.<name>.<digest of its content>`, never
  under the real one (e2e runs on the same server), with an owner of its own so that `plan`
  and `register --prune` never count it as the project's.
- Task types that would act outside the engine (EVENT, KAFKA_PUBLISH, START_WORKFLOW,
  DYNAMIC: their kind's flow is `stand_in`) become HUMAN tasks with the same reference and
  inputs, which the test's mocks complete. A task no kind knows (a GenericTask) is refused.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from deploy_dsl.canonical import canonical_json
from deploy_dsl.kinds import KINDS
from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.kinds.sub_workflow import SubWorkflow
from deploy_dsl.task import CompileOptions, Task
from deploy_dsl.testing.errors import FlowTestError
from deploy_dsl.testing.references import TaskIndex
from deploy_dsl.wire import dump
from deploy_dsl.workflow import AnyWorkflow, Workflow

__all__ = ["ISOLATION_GROUP", "SCRATCH_OWNER", "Isolated", "Isolator"]

ISOLATION_GROUP = "flowtest"
SCRATCH_PREFIX = "flowtest."
SCRATCH_OWNER = "flowtest@example.com"


@dataclass(frozen=True)
class Isolated:
    """A workflow ready for the test endpoint."""

    definition: dict[str, Any]  # sent inline as the request's workflowDef
    # Rewritten dynamic-fork callees to register first, by their scratch names.
    scratch: Mapping[str, dict[str, Any]] = field(default_factory=dict)


class Isolator:
    """Rewrites workflows; each Workflow object is compiled and rewritten once."""

    def __init__(
        self, taskdefs: Mapping[str, Mapping[str, Any]], options: CompileOptions | None = None
    ) -> None:
        self._taskdefs = taskdefs
        self._options = options or CompileOptions()
        self._done: dict[int, tuple[AnyWorkflow, Isolated]] = {}

    def isolate(self, workflow: AnyWorkflow) -> Isolated:
        cached = self._done.get(id(workflow))
        if cached is None:
            scratch: dict[str, dict[str, Any]] = {}
            definition = self._rewrite(workflow, scratch, ())
            # Keep the workflow referenced so that its id is never reused by another object.
            cached = self._done[id(workflow)] = (workflow, Isolated(definition, scratch))
        return cached[1]

    def _rewrite(
        self, workflow: AnyWorkflow, scratch: dict[str, dict[str, Any]], calling: tuple[str, ...]
    ) -> dict[str, Any]:
        if workflow.name in calling:  # validation reports cycles; never recurse forever here
            raise FlowTestError(f"{' > '.join(calling)} > {workflow.name}: a sub-workflow cycle")
        body = copy.deepcopy(dump(workflow.compile(self._options).definition))
        index = TaskIndex.of(workflow)
        for wire in _wire_tasks(body["tasks"]):
            task = index.by_ref[wire["taskReferenceName"]]
            self._rewrite_task(task, wire, scratch, (*calling, workflow.name))
        if body.get("failureWorkflow"):
            # The server starts it by name (WorkflowExecutorOps.terminateWorkflow), outside
            # the test request: only a registered, isolated copy can run nothing for real.
            where = f"{' > '.join((*calling, workflow.name))}: its failure workflow"
            failure = _project_workflow(workflow.failure_workflow, where)
            isolated = self._rewrite(failure, scratch, (*calling, workflow.name))
            name = _scratch_name(isolated)
            scratch[name] = {**isolated, "name": name, "ownerEmail": SCRATCH_OWNER}
            body["failureWorkflow"] = name
            body["failureWorkflowVersion"] = failure.version
        return body

    def _rewrite_task(
        self,
        task: Task,
        wire: dict[str, Any],
        scratch: dict[str, dict[str, Any]],
        calling: tuple[str, ...],
    ) -> None:
        where = f"{' > '.join(calling)} > {task.ref}"
        kind = KINDS.get(str(wire.get("type")))
        flow = kind.flow if kind is not None else None
        if flow == "system":
            wire["taskDefinition"] = {
                **self._taskdefs.get(task.name, {"name": task.name}),
                "isolationGroupId": ISOLATION_GROUP,
            }
        elif flow == "worker" and task.name in self._taskdefs:
            wire["taskDefinition"] = dict(self._taskdefs[task.name])
        elif flow == "stand_in":
            # A HUMAN task waits, acting on nothing, until the test's mock completes it; its
            # reference and inputs (as the engine resolves them) are the original's.
            wire["type"] = "HUMAN"
        elif isinstance(task, SubWorkflow) and task.workflow is not None:
            callee = _project_workflow(task.workflow, where)
            wire["subWorkflowParam"]["workflowDefinition"] = self._rewrite(callee, scratch, calling)
        elif isinstance(task, DynamicFork) and task.workflow is not None:
            forked = self._rewrite(_project_workflow(task.workflow, where), scratch, calling)
            name = _scratch_name(forked)
            scratch[name] = {**forked, "name": name, "ownerEmail": SCRATCH_OWNER}
            wire["inputParameters"]["forkTaskWorkflow"] = name
        elif flow == "callee":
            raise FlowTestError(
                f"{where}: a {wire.get('type')} that names no workflow of the project (an inline "
                "definition, or tasks named at run time) could run anything, HTTP included; "
                "flow tests run sub-workflows and forks over a project workflow only"
            )
        elif kind is None:
            raise FlowTestError(
                f"{where}: a {wire.get('type')} task has no kind of this project (GenericTask): "
                "it would act outside the engine and a flow test cannot stop it"
            )


def _project_workflow(target: Any, where: str) -> AnyWorkflow:
    if not isinstance(target, Workflow):
        raise FlowTestError(
            f"{where}: {getattr(target, 'name', target)} is not defined in this project: a flow "
            "test cannot see what it calls"
        )
    return target


def _scratch_name(definition: Mapping[str, Any]) -> str:
    """Named by content: two versions of a definition never share a scratch name, and runs of
    the same content (other sessions on the same server) reuse it."""
    digest = hashlib.sha256(canonical_json(dict(definition)).encode("utf-8")).hexdigest()
    return f"{SCRATCH_PREFIX}{definition['name']}.{digest[:12]}"


def _wire_tasks(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every WorkflowTask, nested ones included (the callees' are rewritten on their own)."""
    for task in tasks:
        yield task
        for case in (task.get("decisionCases") or {}).values():
            yield from _wire_tasks(case)
        yield from _wire_tasks(task.get("defaultCase") or [])
        yield from _wire_tasks(task.get("loopOver") or [])
        for branch in task.get("forkTasks") or []:
            yield from _wire_tasks(branch)
