"""Builders for the task types that hold other tasks or start workflows.

Nested bodies are plain lists of tasks, so a definition reads top to bottom the way the workflow
runs, and a generated import (deploy-dsl import) nests the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel

from deploy_dsl.contracts import body_problems
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.findings import Code
from deploy_dsl.schemas import ANY, LEAF, MapOf, Schema
from deploy_dsl.tasks import CompileOptions, Task

__all__ = [
    "Decision",
    "DoWhile",
    "DynamicFork",
    "Fork",
    "Join",
    "SubWorkflow",
    "Switch",
    "WorkflowTarget",
]


def _task_list(owner: str, what: str, tasks: Sequence[Task]) -> list[Task]:
    items = list(tasks)
    for item in items:
        if not isinstance(item, Task):
            raise DefinitionError(f"{owner}: {what} must hold tasks, got {item!r}")
    return items


class Switch(Task):
    """Runs the tasks of the case whose key equals the evaluated value, else `default`.

    `value` (a reference) gives a value-param switch; `script` gives a javascript or graaljs
    one where `$` is the task's inputs. Case keys are compared with the value's string form.

    Args:
        ref: see Task.
        cases: the task list of each case, by case key.
        default: the tasks run when no case matches.
        value: the value to switch on (value-param).
        script: the expression to switch on (javascript or graaljs).
        evaluator: evaluatorType, when the default for `value` / `script` is not wanted.
        **kwargs: Task's arguments.
    """

    type = "SWITCH"
    output_schema: ClassVar[Schema] = {"evaluationResult": ANY, "selectedCase": LEAF}

    def __init__(
        self,
        ref: str,
        *,
        cases: Mapping[str, Sequence[Task]],
        default: Sequence[Task] = (),
        value: Ref | str | None = None,
        script: str | None = None,
        evaluator: Literal["value-param", "javascript", "graaljs"] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        if (value is None) == (script is None):
            raise DefinitionError(f"SWITCH {ref!r}: give exactly one of value= or script=")
        if not cases:
            raise DefinitionError(f"SWITCH {ref!r}: needs at least one case")
        self.cases = {str(k): _task_list(ref, f"case {k!r}", v) for k, v in cases.items()}
        self.default = _task_list(ref, "default", default)
        if value is not None:
            self.evaluator = evaluator or "value-param"
            self.expression = "switchCaseValue"
            self.inputs = {"switchCaseValue": value, **self.inputs}
        else:
            self.evaluator = evaluator or "graaljs"
            self.expression = str(script)

    def children(self) -> list[list[Task]]:
        return [*self.cases.values(), self.default]

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "evaluatorType": self.evaluator,
            "expression": self.expression,
            "decisionCases": {
                key: [task.to_wire(options) for task in tasks] for key, tasks in self.cases.items()
            },
            "defaultCase": [task.to_wire(options) for task in self.default],
        }


class Decision(Task):
    """Conductor's older SWITCH, kept so existing DECISION tasks import unchanged.

    `param` names the input whose value picks the case (caseValueParam); `script` is a
    javascript expression over `$`, the task's inputs (caseExpression). New definitions
    should use Switch.

    Args:
        ref: see Task.
        cases: the task list of each case, by case key.
        default: the tasks run when no case matches.
        param: the input whose value picks the case.
        script: the javascript expression that picks the case.
        **kwargs: Task's arguments.
    """

    type = "DECISION"
    output_schema: ClassVar[Schema] = {"caseOutput": ANY}

    def __init__(
        self,
        ref: str,
        *,
        cases: Mapping[str, Sequence[Task]],
        default: Sequence[Task] = (),
        param: str | None = None,
        script: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        if (param is None) == (script is None):
            raise DefinitionError(f"DECISION {ref!r}: give exactly one of param= or script=")
        if not cases:
            raise DefinitionError(f"DECISION {ref!r}: needs at least one case")
        self.cases = {str(k): _task_list(ref, f"case {k!r}", v) for k, v in cases.items()}
        self.default = _task_list(ref, "default", default)
        self.param = param
        self.script = script

    def children(self) -> list[list[Task]]:
        return [*self.cases.values(), self.default]

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "caseValueParam": self.param,
            "caseExpression": self.script,
            "decisionCases": {
                key: [task.to_wire(options) for task in tasks] for key, tasks in self.cases.items()
            },
            "defaultCase": [task.to_wire(options) for task in self.default],
        }


class Fork(Task):
    """Runs each branch in parallel; the next task must be a Join (see `Fork.join`).

    Args:
        ref: see Task.
        branches: the task lists that run in parallel.
        **kwargs: Task's arguments.
    """

    type = "FORK_JOIN"

    def __init__(self, ref: str, *, branches: Sequence[Sequence[Task]], **kwargs: Any) -> None:
        super().__init__(ref, **kwargs)
        if not branches:
            raise DefinitionError(f"FORK_JOIN {ref!r}: needs at least one branch")
        self.branches = [_task_list(ref, f"branch {i}", b) for i, b in enumerate(branches)]

    def children(self) -> list[list[Task]]:
        return list(self.branches)

    def branch_ends(self) -> list[str]:
        return [branch[-1].ref for branch in self.branches if branch]

    def join(self, ref: str, **kwargs: Any) -> Join:
        """The JOIN that waits for the last task of every branch; its output holds each
        branch end's output under that task's reference."""
        ends = [branch[-1] for branch in self.branches if branch]
        outputs = {end.ref: end.output_fields() for end in ends}
        return Join(ref, join_on=[end.ref for end in ends], outputs=outputs, **kwargs)

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {"forkTasks": [[t.to_wire(options) for t in b] for b in self.branches]}


class Join(Task):
    """Waits for the named tasks of the preceding fork; output is keyed by those references.

    Args:
        ref: see Task.
        join_on: the references to wait for (the last task of each branch); empty after a
            DynamicFork.
        outputs: the shape of its output (`Fork.join` and `DynamicFork.join` give it).
        **kwargs: Task's arguments.
    """

    type = "JOIN"

    def __init__(
        self, ref: str, *, join_on: Sequence[str] = (), outputs: Schema = ANY, **kwargs: Any
    ) -> None:
        super().__init__(ref, **kwargs)
        self.join_on = list(join_on)
        self.outputs = outputs

    def output_fields(self) -> Schema:
        return self.outputs

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {"joinOn": self.join_on}


class WorkflowTarget(Protocol):
    """Anything with a workflow's name and version: a Workflow or an ExternalWorkflow.

    Its input model, if it has one, checks what callers pass; its output schema types what
    they read back.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def input_model(self) -> type[BaseModel] | None: ...

    @property
    def output_schema(self) -> Schema: ...


class DynamicFork(Task):
    """Forks at run time; follow it with a Join whose join_on is empty.

    With `workflow`, one sub-workflow runs per item of `fork_inputs` (a list); otherwise the
    older form names the inputs holding the tasks and their inputs.

    Args:
        ref: see Task.
        workflow: the workflow to run once per item (a Workflow or ExternalWorkflow).
        fork_inputs: the list of inputs, one per sub-workflow (usually a reference).
        tasks_param: the older form: the input holding the tasks to fork.
        inputs_param: the older form: the input holding their inputs.
        **kwargs: Task's arguments.
    """

    type = "FORK_JOIN_DYNAMIC"

    def __init__(
        self,
        ref: str,
        *,
        workflow: WorkflowTarget | None = None,
        fork_inputs: Ref | Sequence[Any] | None = None,
        tasks_param: str | None = None,
        inputs_param: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        if (workflow is None) == (tasks_param is None):
            raise DefinitionError(
                f"FORK_JOIN_DYNAMIC {ref!r}: give workflow= (with fork_inputs=) or tasks_param="
            )
        if workflow is not None and fork_inputs is None:
            raise DefinitionError(f"FORK_JOIN_DYNAMIC {ref!r}: workflow= needs fork_inputs=")
        self.workflow = workflow
        self.fork_inputs = fork_inputs
        self.tasks_param = tasks_param
        self.inputs_param = inputs_param

    def wire_inputs(self, options: CompileOptions) -> dict[str, Any]:
        if self.workflow is None:
            return self.inputs
        return {
            "forkTaskWorkflow": self.workflow.name,
            "forkTaskWorkflowVersion": str(self.workflow.version),
            "forkTaskInputs": self.fork_inputs,
            **self.inputs,
        }

    def join(self, ref: str, **kwargs: Any) -> Join:
        """The JOIN after this fork: it waits for every forked task, and its output holds each
        one's output under the forked task's reference (with `workflow`, typed by that
        workflow's output)."""
        item: Schema = getattr(self.workflow, "output_schema", ANY)
        return Join(ref, outputs=MapOf(item), **kwargs)

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "dynamicForkTasksParam": self.tasks_param,
            "dynamicForkTasksInputParamName": self.inputs_param,
        }


class DoWhile(Task):
    """Runs `body` until `condition` (a script over `$.<ref>` values) is false.

    Args:
        ref: see Task.
        condition: loopCondition, evaluated after each iteration.
        body: the tasks of one iteration.
        evaluator: evaluatorType of the condition, when not the server's default.
        **kwargs: Task's arguments (`inputs` are visible to the condition).
    """

    type = "DO_WHILE"

    def __init__(
        self,
        ref: str,
        *,
        condition: str,
        body: Sequence[Task],
        evaluator: Literal["value-param", "javascript", "graaljs"] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ref, **kwargs)
        if not body:
            raise DefinitionError(f"DO_WHILE {ref!r}: needs at least one task in its body")
        self.condition = condition
        self.body = _task_list(ref, "body", body)
        self.evaluator = evaluator

    @property
    def iteration(self) -> Ref:
        """`${<ref>.output.iteration}`: the number of the current (or last) iteration."""
        return DoWhile.iteration_of(self.ref)

    def output_fields(self) -> Schema:
        return {"iteration": LEAF}

    @staticmethod
    def iteration_of(ref: str) -> Ref:
        """The iteration reference of a loop not built yet, for use inside its own body."""
        return Ref(f"{ref}.output.iteration", LEAF)

    def children(self) -> list[list[Task]]:
        return [self.body]

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        return {
            "evaluatorType": self.evaluator,
            "loopCondition": self.condition,
            "loopOver": [task.to_wire(options) for task in self.body],
        }


class SubWorkflow(Task):
    """Starts another workflow and waits for it; its output is the child's output.

    Args:
        ref: see Task.
        workflow: the workflow to start (a Workflow or ExternalWorkflow).
        latest: start whatever version is newest when the task runs, not `workflow.version`.
        **kwargs: Task's arguments (`inputs` are the child's input).
    """

    type = "SUB_WORKFLOW"

    def __init__(
        self, ref: str, *, workflow: WorkflowTarget, latest: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(ref, name=kwargs.pop("name", None) or workflow.name, **kwargs)
        self.workflow = workflow
        # Without a version the server starts whatever version is newest when the task runs.
        self.latest = latest

    def output_fields(self) -> Schema:
        schema: Schema = getattr(self.workflow, "output_schema", ANY)
        return schema

    def problems(self) -> Iterator[tuple[Code, str]]:
        model: type[BaseModel] | None = getattr(self.workflow, "input_model", None)
        if model is None:
            return
        what = f"the input of {self.workflow.name}"
        for problem in body_problems(model, self.inputs, what):
            yield Code.SUB_WORKFLOW_INPUT, problem

    def wire_fields(self, options: CompileOptions) -> dict[str, Any]:
        version = None if self.latest else self.workflow.version
        return {"subWorkflowParam": {"name": self.workflow.name, "version": version}}
