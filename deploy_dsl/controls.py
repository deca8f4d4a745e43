"""Deployment controls as building blocks: an approval gate, a failure threshold, a batched
fan-out (pure).

Each one composes the builders of deploy_dsl.kinds (WAIT, INLINE, SWITCH, DO_WHILE,
FORK_JOIN_DYNAMIC), so what it compiles to is ordinary Conductor JSON the validator checks like
any other. Their scripts run on the server (graaljs); control_scripts.py holds them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Generic, Unpack, cast

from pydantic import BaseModel, Field
from typing_extensions import TypeVar

from deploy_dsl.arguments import require
from deploy_dsl.control_scripts import (
    BATCH_SCRIPT,
    VERDICT_SCRIPT,
    threshold_script,
)
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref, Shape, ref_of, schema_of
from deploy_dsl.kinds.do_while import DoWhile
from deploy_dsl.kinds.fork_join_dynamic import DynamicFork
from deploy_dsl.kinds.inline import Inline
from deploy_dsl.kinds.join import Join
from deploy_dsl.kinds.sub_workflow import WorkflowTarget
from deploy_dsl.kinds.switch import Switch
from deploy_dsl.kinds.wait import Wait
from deploy_dsl.schemas import ANY, LEAF, ListOf, MapOf, Schema, annotation_schema, model_schema
from deploy_dsl.task import Task, TaskOptions

__all__ = [
    "APPROVAL_INPUT",
    "ApprovalDecision",
    "ApprovalGate",
    "ApprovalVerdict",
    "BatchedFanOut",
    "FailedRun",
    "FailureThreshold",
    "Tally",
    "previous_result",
]

# The input that marks a WAIT as an approval gate: `deploy-dsl approve` and `status` look for
# WAIT tasks in progress that carry it.
APPROVAL_INPUT: Final = "approval"
# "25%", "12.5%": a share of the items; a number is a count.
_PERCENTAGE = re.compile(r"\d+(\.\d+)?%\Z")


class ApprovalDecision(BaseModel):
    """What a person sends to complete a gate's WAIT (POST /api/tasks outputData); empty when
    the timeout completed it instead.

    Args:
        approved: true to go on, false to stop.
        by: who decided.
        reason: why.
    """

    approved: bool | None = None
    by: str | None = None
    reason: str | None = None


class ApprovalVerdict(BaseModel):
    """An ApprovalGate's reading of the decision (`gate.verdict`): a timeout, or a completion
    without a decision, is a rejection.

    Args:
        approved: whether the gate lets the workflow go on.
        timedOut: nobody decided: the timeout completed the WAIT.
        by: who decided, when someone did.
        reason: the reason they gave.
        message: one line for people: `approved by alice`, `rejected by bob: freeze`,
            `approval timed out after 30m`.
    """

    approved: bool
    timedOut: bool = Field(description="nobody decided: the timeout completed the WAIT")
    by: str | None
    reason: str | None
    message: str = Field(description="'approved by alice', 'rejected by bob: freeze', ...")


def previous_result(ref: str, result: type[Shape] | None = None) -> Shape:
    """`${<ref>.output.result}` of an INLINE that reads itself in a loop body: the result of
    the previous iteration, null in the first (getTaskInputV2 maps each reference to its
    latest iteration). The way to accumulate across the iterations of a DO_WHILE.

    Args:
        ref: the reference of the INLINE that reads it (in its own inputs).
        result: the type of that INLINE's result (its `result=`), which types the reference
            (for the type checker too; without it the reference is open).
    """
    schema: Schema = ANY if result is None else annotation_schema(result)
    # A Ref at run time, the result's type for the checker, as the INLINE's own output.
    return cast(Shape, Ref(f"{ref}.output.result", schema))


class _GateWait(Wait):
    """The gate's WAIT: its output is the person's decision."""

    def output_fields(self) -> Schema:
        return model_schema(ApprovalDecision)


class ApprovalGate:
    """Waits for a person to approve or reject, with an optional timeout that counts as a
    rejection.

    It compiles to a WAIT (marked with an `approval` input, so `deploy-dsl approve` and
    `deploy-dsl status` find it), an INLINE that reads the decision into a verdict
    (`verdict`, an ApprovalVerdict), and a SWITCH that runs `on_reject` unless the verdict
    approves. A person completes the WAIT through the task API with outputData
    `{approved: true|false, by, reason}` (`deploy-dsl approve ID`, `deploy-dsl reject ID
    --reason TEXT`); if the timeout passes first the WAIT completes with an empty output,
    which the verdict reads as "approval timed out".

        gate = ApprovalGate("approve_release", timeout="30m", subject="release 1.2")
        tasks = [*gate.tasks(on_reject=[Terminate("stop", status="FAILED",
                                                   reason=gate.verdict.message)]), deploy]

    Args:
        ref: the WAIT's reference; the verdict INLINE is `<ref>_verdict` and the SWITCH
            `<ref>_decision`.
        timeout: how long to wait, in Conductor's duration grammar (`"30m"`), or a reference
            to one; None, or a reference that resolves to null, waits until someone decides.
        subject: what is being approved, shown by `deploy-dsl status` and `approve` (a string
            may embed references: `f"wave {inputs.wave}"`).
        description: the WAIT's description, shown in the docs and the server's UI.
    """

    def __init__(
        self,
        ref: str,
        *,
        timeout: str | Ref | None = None,
        subject: str | Ref | None = None,
        description: str | None = None,
    ) -> None:
        owner = f"ApprovalGate {ref!r}"
        require(owner, "timeout", timeout, str, Ref, optional=True)
        require(owner, "subject", subject, str, Ref, optional=True)
        marker = {APPROVAL_INPUT: {"gate": ref, "subject": subject}}
        described = description or "Waits for a person: deploy-dsl approve / reject"
        if timeout is None:
            self.wait: Wait = _GateWait.for_signal(ref, inputs=marker, description=described)
        else:
            self.wait = _GateWait(ref, duration=timeout, inputs=marker, description=described)
        self.check = Inline(
            f"{ref}_verdict",
            script=VERDICT_SCRIPT,
            inputs={"decision": self.wait.output, "timeout": timeout},
            result=ApprovalVerdict,
            description="Reads the decision; a timeout is a rejection",
        )
        self.ref = ref

    @property
    def verdict(self) -> ApprovalVerdict:
        """`${<ref>_verdict.output.result}`: the ApprovalVerdict (approved, timedOut, by,
        reason, message)."""
        return self.check.output.result

    def tasks(self, *, on_reject: Sequence[Task], on_approve: Sequence[Task] = ()) -> list[Task]:
        """The gate's tasks, in order: the WAIT, the verdict, and the SWITCH over it.

        Args:
            on_reject: the tasks run when the verdict does not approve (a rejection, or the
                timeout); they may read `verdict`.
            on_approve: the tasks run when it approves; the tasks after the gate run either
                way unless `on_reject` ends the workflow.
        """
        if not on_reject:
            raise DefinitionError(
                f"ApprovalGate {self.ref!r}: on_reject needs at least one task (a rejection "
                "that changes nothing is not a gate)"
            )
        decision = Switch(
            f"{self.ref}_decision",
            value=self.verdict.approved,
            cases={"false": list(on_reject)},
            default=list(on_approve),
            description="Goes on only when approved",
        )
        return [self.wait, self.check, decision]


# What a fan-out runs per item, and what each run answers: the items' and the callee's output
# models to the type checker (Ref, open, when they are not declared).
Item = TypeVar("Item", default=Ref)
Answer = TypeVar("Answer", default=Ref)


class FailedRun(Generic[Item, Answer]):
    """One failed run in a Tally, as the type checker sees it. Never instantiated."""

    item: Item
    output: Answer


class Tally(Generic[Item, Answer]):
    """A FailureThreshold's `output.result` as the type checker sees it (the fields are
    described there). Never instantiated: a Ref at run time."""

    total: int
    started: int
    batches: int
    succeeded: list[Answer]
    failed: list[FailedRun[Item, Answer]]
    failures: int
    allowed: int
    exceeded: bool
    done: bool
    reason: str | None
    remaining: list[Item]


class FailureThreshold(Inline[Tally[Item, Answer]]):
    """Counts the failures of a fan-out's results and says whether they exceed what is
    tolerated: a count (`2`) or a percentage of the items (`"25%"`).

    An INLINE over a JOIN's output. Its `output.result` holds `total`, `started`, `batches`,
    `succeeded` (the outputs of the results that did not fail), `failed` (`{item, output}` of
    those that did), `failures`, `allowed`, `exceeded`, `done` (exceeded, or every item has
    started), `reason` (why it is exceeded, else null) and `remaining` (items never started).

    Args:
        ref: see Task.
        results: the JOIN's output (one entry per forked task, keyed by its reference; the
            index at the end of the key pairs it with `items`).
        items: the list that was forked, in order (each result's `item`).
        failed: a JavaScript expression over `item` and `output` that is true when that result
            is a failure, e.g. `"output.outcome !== 'finalized'"`.
        max_failures: the failures tolerated: a count, a percentage string of `out_of`, or a
            reference to either; more than that is `exceeded`.
        out_of: the whole list (or its length) the fan-out covers, when `items` is one batch
            of it; percentages, `done` and `remaining` count against it.
        accumulate: add to this task's own previous result (in a DO_WHILE body: one tally
            across the iterations).
        canary: true (or a reference to a boolean) when the first item is a canary: a failure
            in the first batch exceeds the threshold whatever `max_failures` allows.
        **options: TaskOptions (name, description, ...).
    """

    def __init__(
        self,
        ref: str,
        *,
        results: Mapping[str, Answer] | Ref,
        items: Sequence[Item] | Ref,
        failed: str,
        max_failures: int | str | Ref = 0,
        out_of: Sequence[Any] | int | Ref | None = None,
        accumulate: bool = False,
        canary: bool | Ref = False,
        **options: Unpack[TaskOptions],
    ) -> None:
        owner = f"FailureThreshold {ref!r}"
        require(owner, "results", results, Ref)
        require(owner, "failed", failed, str)
        require(owner, "accumulate", accumulate, bool)
        require(owner, "canary", canary, bool, Ref)
        if not failed.strip():
            raise DefinitionError(f"{owner}: failed must be a JavaScript expression")
        _check_max_failures(owner, max_failures)
        joined = schema_of(ref_of(results))
        output = joined.item if isinstance(joined, MapOf) else ANY
        item = _item_schema(items)
        schema: Schema = {
            "total": LEAF,
            "started": LEAF,
            "batches": LEAF,
            "succeeded": ListOf(output),
            "failed": ListOf({"item": item, "output": output}),
            "failures": LEAF,
            "allowed": LEAF,
            "exceeded": LEAF,
            "done": LEAF,
            "reason": LEAF,
            "remaining": ListOf(_item_schema(out_of) if out_of is not None else item),
        }
        inputs: dict[str, Any] = {
            "results": results,
            "items": items,
            "outOf": out_of if out_of is not None else items,
            "maxFailures": max_failures,
            "canary": canary,
            **dict(options.get("inputs") or {}),
        }
        if accumulate:
            inputs["previous"] = Ref(f"{ref}.output.result", schema)
        options["inputs"] = inputs
        super().__init__(ref, script=threshold_script(failed), **options)
        self.result_schema = schema


class BatchedFanOut(DoWhile, Generic[Item, Answer]):
    """Runs `workflow` once per item of `items`, at most `max_parallel` at a time, batch after
    batch, and stops early once the failures exceed `max_failures`.

    A DO_WHILE whose body picks the next batch (`<ref>_batch`), forks one sub-workflow per
    item of it (`<ref>_fork`, optional: a failed run does not fail the JOIN), joins them
    (`<ref>_join`) and tallies the results across batches (`<ref>_tally`, a
    FailureThreshold). `result` is the tally after the last batch. With `canary`, the first
    item runs alone first, and its failure stops the fan-out.

    Args:
        ref: the DO_WHILE's reference; the body's tasks are named after it.
        workflow: the workflow to run per item (a Workflow or ExternalWorkflow).
        items: the list of its inputs, one per run (usually a reference).
        failed: a JavaScript expression over `item` and `output` (the run's output) that is
            true when a run failed, e.g. `"output.outcome !== 'finalized'"`.
        max_parallel: at most this many runs at a time (a number or a reference); None, or a
            reference to null, runs them all at once.
        max_failures: the failures tolerated (a count, or a percentage string of the items
            such as `"25%"`, or a reference to either); one more ends the fan-out after its
            batch.
        canary: run the first item alone before the rest, and stop if it fails (True, or a
            reference to a boolean).
        **options: TaskOptions for the DO_WHILE.
    """

    def __init__(
        self,
        ref: str,
        *,
        workflow: WorkflowTarget[Answer],
        items: Sequence[Item] | Ref,
        failed: str,
        max_parallel: int | Ref | None = None,
        max_failures: int | str | Ref = 0,
        canary: bool | Ref = False,
        **options: Unpack[TaskOptions],
    ) -> None:
        owner = f"BatchedFanOut {ref!r}"
        require(owner, "max_parallel", max_parallel, int, Ref, optional=True)
        if isinstance(max_parallel, int) and max_parallel < 1:
            raise DefinitionError(f"{owner}: max_parallel must be at least 1, got {max_parallel}")
        model = workflow.input_model
        item: Any = list[model] if model is not None else None  # type: ignore[valid-type]
        self.batch = Inline(
            f"{ref}_batch",
            script=BATCH_SCRIPT,
            inputs={
                "items": items,
                "iteration": DoWhile.iteration_of(ref),
                "maxParallel": max_parallel,
                "canary": canary,
            },
            result=item,
            description="The items of this iteration's batch",
        )
        self.fork = DynamicFork(
            f"{ref}_fork",
            workflow=workflow,
            fork_inputs=self.batch.output.result,
            # ForkJoinDynamicTaskMapper copies the flag to every forked task: a run that fails
            # does not fail the JOIN, and the tally counts it against max_failures instead.
            optional=True,
        )
        self.join: Join[dict[str, Answer]] = self.fork.join(f"{ref}_join")
        self.tally: FailureThreshold[Item, Answer] = FailureThreshold(
            f"{ref}_tally",
            results=self.join.output,
            items=self.batch.output.result,
            failed=failed,
            max_failures=max_failures,
            out_of=items,
            accumulate=True,
            canary=canary,
            description="Failures so far against max_failures",
        )
        super().__init__(
            ref,
            # DoWhile.evaluateCondition sees each body task's output under its reference.
            condition=f"$.{self.tally.ref}['result']['done'] == false",
            body=[self.batch, self.fork, self.join, self.tally],
            **options,
        )

    @property
    def result(self) -> Tally[Item, Answer]:
        """The tally after the last batch (`<ref>_tally.output.result`; see FailureThreshold)."""
        return self.tally.output.result


def _check_max_failures(owner: str, value: object) -> None:
    if isinstance(value, Ref):
        return
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DefinitionError(
            f"{owner}: max_failures must be a count, a percentage such as '25%' or a "
            f"reference, got {type(value).__name__} {value!r:.60}"
        )
    if isinstance(value, int) and value < 0:
        raise DefinitionError(f"{owner}: max_failures must not be negative, got {value}")
    if isinstance(value, str) and (not _PERCENTAGE.match(value) or float(value.rstrip("%")) > 100):
        raise DefinitionError(
            f"{owner}: max_failures {value!r} is not a percentage from '0%' to '100%'"
        )


def _item_schema(items: object) -> Schema:
    if isinstance(items, Ref):
        schema = schema_of(items)
        return schema.item if isinstance(schema, ListOf) else ANY
    return ANY
