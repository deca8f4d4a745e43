"""Progressive delivery as building blocks: an analysis of Prometheus metrics and canary steps
of growing traffic weights, each judged by an analysis, with timed or manual pauses (pure).

Like the deployment controls (controls.py) they compile to ordinary Conductor tasks (HTTP to
Prometheus's query API, INLINE, DO_WHILE, WAIT, SWITCH, TERMINATE), which the validator checks
like any other; nothing needs a custom server. Their scripts are in canary_scripts.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from deploy_dsl.arguments import require
from deploy_dsl.canary_scripts import PAUSE_SCRIPT, QUERIES_SCRIPT, measure_script
from deploy_dsl.controls import previous_result
from deploy_dsl.durations import parse_duration
from deploy_dsl.errors import DefinitionError
from deploy_dsl.expressions import Ref
from deploy_dsl.kinds.do_while import DoWhile
from deploy_dsl.kinds.http import Http, PrometheusEndpoint
from deploy_dsl.kinds.inline import Inline
from deploy_dsl.kinds.switch import Switch
from deploy_dsl.kinds.terminate import Terminate
from deploy_dsl.kinds.wait import Wait
from deploy_dsl.schemas import Schema, model_schema
from deploy_dsl.task import Task

__all__ = [
    "ANALYSIS_INPUT",
    "MANUAL",
    "NO_PAUSE",
    "PAUSE_INPUT",
    "PROMETHEUS_QUERY_TASK",
    "Abort",
    "Analysis",
    "AnalysisResult",
    "AnalysisRun",
    "CanaryStep",
    "CanarySteps",
    "Measurement",
    "Metric",
    "MetricReading",
    "PauseDecision",
    "PauseVerdict",
    "PrometheusAnswer",
]

# A step's pause that waits for a person: `deploy-dsl promote` or `deploy-dsl abort`.
MANUAL: Final = "manual"
# A pause given by reference that is no pause. Not only null: a workflow's inputTemplate fills
# an input sent as null with its default (getWorkflowInput's putIfAbsent replaces a null), so a
# default of "manual" could not be turned off with null.
NO_PAUSE: Final = "none"
# The inputs that mark a canary's tasks for the CLI: a pause's WAIT (promote, abort and status
# look for it in progress) and an analysis's measurement (status prints its readings).
PAUSE_INPUT: Final = "canaryPause"
ANALYSIS_INPUT: Final = "canaryAnalysis"
# The TaskDef name of the HTTP tasks that query Prometheus (its retries and timeouts).
PROMETHEUS_QUERY_TASK: Final = "prometheus_query"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FORM: Final = "application/x-www-form-urlencoded"


class PrometheusData(BaseModel):
    """The `data` of an instant query's answer."""

    resultType: Literal["vector", "scalar", "matrix", "string"]
    result: list[Any] = Field(description="vector: [{metric, value: [time, 'text']}, ...]")


class PrometheusAnswer(BaseModel):
    """What Prometheus answers `POST /api/v1/query` with (its HTTP API's envelope): the model
    of the analysis's query tasks, so a flow test's mocked answer is checked against it.

    Args:
        status: `success` or `error`.
        data: the result, on success.
        errorType: on error, its kind (`bad_data`, `timeout`, ...).
        error: on error, what went wrong.
        warnings: warnings Prometheus attached.
    """

    model_config = ConfigDict(extra="forbid")

    status: Literal["success", "error"]
    data: PrometheusData | None = None
    errorType: str | None = None
    error: str | None = None
    warnings: list[str] | None = None


class MetricReading(BaseModel):
    """One metric in one measurement.

    Args:
        metric: the metric's name.
        value: the query's value (null with no data, an error, or an infinite value).
        condition: its success condition, as the definition wrote it.
        verdict: `passed`, `failed`, `no data` (no series, NaN) or `error` (Prometheus
            unreachable or refusing the query, more than one series).
        detail: what went wrong, or the raw value when it is not finite (`+Inf`).
    """

    metric: str
    value: float | None
    condition: str
    verdict: Literal["passed", "failed", "no data", "error"]
    detail: str | None


class Measurement(BaseModel):
    """One interval of an analysis.

    Args:
        number: the measurement's number, from 1.
        at: when it was taken (milliseconds since the epoch, the server's clock).
        verdict: `passed` (every metric passed), `failed` (one failed) or `inconclusive`.
        readings: each metric's reading.
    """

    number: int
    at: int
    verdict: Literal["passed", "failed", "inconclusive"]
    readings: list[MetricReading]


class AnalysisResult(BaseModel):
    """What an analysis found, after each measurement (its last is the analysis's result).

    Args:
        verdict: `running` until decided, then `passed`, `failed` or `inconclusive`.
        done: decided: the loop stops.
        passed: measurements that passed.
        failed: measurements that failed.
        inconclusive: measurements without an answer.
        failure: the reading that failed the analysis (metric, value, condition), if it did.
        reason: one line saying why it failed or was inconclusive, naming the metric, its
            value and the condition.
        where: the step it judged, as `step 1 (10%)`.
        measurements: every measurement so far.
    """

    verdict: Literal["running", "passed", "failed", "inconclusive"]
    done: bool
    passed: int
    failed: int
    inconclusive: int
    failure: MetricReading | None
    reason: str | None
    where: str
    measurements: list[Measurement]


class PauseDecision(BaseModel):
    """What a person sends to end a manual pause (`deploy-dsl promote` / `abort`).

    Args:
        promote: true to go on to the next step, false to abort.
        by: who decided.
        reason: why.
    """

    promote: bool | None = None
    by: str | None = None
    reason: str | None = None


class PauseVerdict(BaseModel):
    """A pause's reading of the decision: anything but a promotion aborts.

    Args:
        promoted: whether the canary goes on.
        by: who decided.
        reason: the reason they gave.
        message: `promoted at step 3 (50%) by alice`, `aborted at step 1 (10%) by bob: ...`.
    """

    promoted: bool
    by: str | None
    reason: str | None
    message: str = Field(description="'promoted at step 3 (50%) by alice', ...")


@dataclass(frozen=True)
class Metric:
    """One metric an analysis measures: a PromQL query whose value must meet a condition.

    Args:
        name: an identifier (letters, digits, `_`), unique in the analysis; names the reading.
        query: the PromQL, which must give one series or a scalar (aggregate with `sum`,
            `max`, ...); it may embed references (`f'...{{scope="{inputs.scope}"}}'`).
        success: a JavaScript expression over `result`, the query's value, true when it is
            good: `"result <= 0.05"`. It may embed references too.
    """

    name: str
    query: str
    success: str

    def __post_init__(self) -> None:
        owner = f"Metric {self.name!r}"
        require(owner, "name", self.name, str)
        require(owner, "query", self.query, str)
        require(owner, "success", self.success, str)
        if not _NAME.match(self.name):
            raise DefinitionError(
                f"{owner}: a metric's name is letters, digits and '_', not starting with a digit"
            )
        if not self.query.strip():
            raise DefinitionError(f"{owner}: query must be PromQL, not empty")
        if not self.success.strip():
            raise DefinitionError(
                f"{owner}: success must be a JavaScript expression over result, e.g. "
                "'result <= 0.05'"
            )


class Analysis:
    """Measures metrics in Prometheus at each interval and judges them: a template, run at each
    canary step (`run`).

    Each run is an INLINE that encodes the queries, then a DO_WHILE whose iteration waits
    `interval` (a WAIT), queries each metric (an HTTP POST to Prometheus's `/api/v1/query`,
    optional, named `prometheus_query` for its TaskDef) and judges the answers (an INLINE).
    It stops once more than `failure_limit` measurements failed (failed), more than
    `inconclusive_limit` had no answer (inconclusive: no data, or Prometheus unreachable), or
    `count` were taken (passed if one passed at least, else inconclusive).

    Args:
        metrics: what to measure.
        interval: how long to wait before each measurement (`"10s"`, or a reference to one);
            a query's window (`rate(...[30s])`) should cover it.
        count: measurements to take (a number, or a reference to one).
        failure_limit: failed measurements tolerated; one more fails the analysis.
        inconclusive_limit: measurements without an answer tolerated; one more makes the
            analysis inconclusive.
        on_inconclusive: what a canary step does when the analysis is inconclusive: `"pause"`
            for a person to promote or abort, `"abort"`, or a reference to either. It never
            promotes by itself.
        prometheus: where to query: a PrometheusEndpoint (the URL of the settings at
            `register`), a URL, or a reference to one.
        task_name: the TaskDef of the query tasks (retries, timeouts).
    """

    def __init__(
        self,
        *,
        metrics: Sequence[Metric],
        interval: str | Ref,
        count: int | Ref,
        failure_limit: int | Ref = 0,
        inconclusive_limit: int | Ref = 0,
        on_inconclusive: Literal["pause", "abort"] | Ref = "pause",
        prometheus: PrometheusEndpoint | str | Ref | None = None,
        task_name: str = PROMETHEUS_QUERY_TASK,
    ) -> None:
        owner = "Analysis"
        found = list(metrics)
        if not found or not all(isinstance(m, Metric) for m in found):
            raise DefinitionError(f"{owner}: metrics must be a non-empty list of Metric")
        names = [m.name for m in found]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise DefinitionError(f"{owner}: metric {twice[0]!r} is measured twice")
        require(owner, "interval", interval, str, Ref)
        if isinstance(interval, str) and not parse_duration(interval):
            raise DefinitionError(
                f"{owner}: interval {interval!r} is not a duration Conductor parses and waits "
                "for (whole numbers with units d, h, m, s, e.g. '10s', '1m 30s')"
            )
        _check_count(owner, "count", count, minimum=1)
        _check_count(owner, "failure_limit", failure_limit, minimum=0)
        _check_count(owner, "inconclusive_limit", inconclusive_limit, minimum=0)
        if not isinstance(on_inconclusive, Ref) and on_inconclusive not in ("pause", "abort"):
            raise DefinitionError(
                f"{owner}: on_inconclusive must be 'pause', 'abort' or a reference, got "
                f"{on_inconclusive!r}"
            )
        require(owner, "prometheus", prometheus, PrometheusEndpoint, str, Ref, optional=True)
        require(owner, "task_name", task_name, str)
        self.metrics = found
        self.interval = interval
        self.count = count
        self.failure_limit = failure_limit
        self.inconclusive_limit = inconclusive_limit
        self.on_inconclusive = on_inconclusive
        self.prometheus = prometheus if prometheus is not None else PrometheusEndpoint()
        self.task_name = task_name

    def run(self, ref: str, *, where: str) -> AnalysisRun:
        """The tasks of one run of the analysis, named after `ref`.

        Args:
            ref: the DO_WHILE's reference; the other tasks are `<ref>_queries`,
                `<ref>_wait`, `<ref>_<metric>` and `<ref>_measure`.
            where: what it judges, in its reasons: `"step 1 (10%)"`.
        """
        return AnalysisRun(self, ref, where)


class AnalysisRun:
    """One run of an Analysis (see Analysis.run): its tasks and its result."""

    def __init__(self, analysis: Analysis, ref: str, where: str) -> None:
        self.analysis = analysis
        self.queries = Inline(
            f"{ref}_queries",
            script=QUERIES_SCRIPT,
            inputs={"queries": {m.name: m.query for m in analysis.metrics}},
            result=dict[str, str],
            description="Encodes each metric's PromQL for POST /api/v1/query",
        )
        self.wait = Wait(
            f"{ref}_wait", duration=analysis.interval, description="The interval to measure"
        )
        self.query: dict[str, Http[PrometheusAnswer]] = {
            m.name: Http(
                f"{ref}_{m.name}",
                name=analysis.task_name,
                uri=analysis.prometheus,
                method="POST",
                body=self.queries.output.result[m.name],
                content_type=_FORM,
                accept="application/json",
                connection_timeout_ms=2000,
                read_timeout_ms=5000,
                # An unreachable Prometheus is an inconclusive measurement, not a failed run.
                optional=True,
                response=PrometheusAnswer,
                description=f"Queries {m.name}",
            )
            for m in analysis.metrics
        }
        measure_ref = f"{ref}_measure"
        self.measure = Inline(
            measure_ref,
            script=measure_script({m.name: m.success for m in analysis.metrics}),
            inputs={
                ANALYSIS_INPUT: {"analysis": ref, "where": where},
                "metrics": [m.name for m in analysis.metrics],
                "conditions": {m.name: m.success for m in analysis.metrics},
                "answers": {name: task.output.response for name, task in self.query.items()},
                "previous": previous_result(measure_ref, AnalysisResult),
                "count": analysis.count,
                "failureLimit": analysis.failure_limit,
                "inconclusiveLimit": analysis.inconclusive_limit,
                "where": where,
            },
            result=AnalysisResult,
            description="Judges the metrics; the analysis so far",
        )
        self.loop = DoWhile(
            ref,
            # DoWhile.evaluateCondition sees each body task's output under its reference.
            condition=f"$.{measure_ref}['result']['done'] == false",
            body=[self.wait, *self.query.values(), self.measure],
            description=f"Measures until the analysis at {where} is decided",
        )
        self.where = where

    @property
    def tasks(self) -> list[Task]:
        """The run's tasks in order: the queries' encoding, then the loop."""
        return [self.queries, self.loop]

    @property
    def result(self) -> AnalysisResult:
        """`${<ref>_measure.output.result}` after the loop: the AnalysisResult."""
        return self.measure.output.result


@dataclass(frozen=True)
class CanaryStep:
    """One step of a canary: move the weight, judge it, then pause.

    Args:
        weight: the percentage of the traffic the new version gets (1 to 100).
        analysis: the analysis run at this weight; None: none.
        pause: after the analysis, wait: a duration (`"30s"`), MANUAL (`"manual"`: until
            `deploy-dsl promote` or `abort`), or a reference to either (`"none"`, empty or
            null: no pause); None: no pause.
    """

    weight: int
    analysis: Analysis | None = None
    pause: str | Ref | None = None


@dataclass(frozen=True)
class Abort:
    """Where a canary aborts, for the tasks that roll it back (CanarySteps.tasks's on_abort).

    Args:
        ref: a prefix for the references of those tasks, unique to this place.
        step: the step's number, from 1.
        weight: the step's weight.
        reason: why it aborts (a reference to a line of text).
        analysis: the step's AnalysisResult, or None when a person aborted a manual step.
    """

    ref: str
    step: int
    weight: int
    reason: str | None
    analysis: AnalysisResult | None


OnAbort = Callable[[Abort], Sequence[Task]]


class CanarySteps:
    """Moves traffic to a new version step by step, judging each step with its analysis, and
    aborts at the first failed one.

    Step n compiles to the task `set_weight` gives (`<ref>_<n>_traffic`), the analysis's run
    (`<ref>_<n>_analysis`), a SWITCH on its verdict (`<ref>_<n>_verdict`: failed aborts;
    inconclusive pauses or aborts, as the analysis says) and its pause (`<ref>_<n>_pause`: a
    WAIT; a manual one also reads the decision and aborts unless promoted). An abort runs the
    tasks `on_abort` gives for that place, then a TERMINATE (FAILED) whose output names the
    step, the weight, the reason and the analysis, so the metric, its value and the condition
    it failed.

        canary = CanarySteps("canary", steps=[CanaryStep(10, analysis), CanaryStep(100, analysis)],
                             set_weight=lambda ref, weight: swap(ref, weight))
        tasks = [*canary.tasks(on_abort=lambda at: roll_back(at.ref))]

    Args:
        ref: the prefix of every task's reference.
        steps: the steps, in order; weights from 1 to 100.
        set_weight: gives the task that moves `weight` percent of the traffic to the new
            version, with the reference it is given.
        subject: what is released, shown by `deploy-dsl status` at a pause.
    """

    def __init__(
        self,
        ref: str,
        *,
        steps: Sequence[CanaryStep],
        set_weight: Callable[[str, int], Task],
        subject: str | Ref | None = None,
    ) -> None:
        owner = f"CanarySteps {ref!r}"
        found = list(steps)
        if not found or not all(isinstance(s, CanaryStep) for s in found):
            raise DefinitionError(f"{owner}: steps must be a non-empty list of CanaryStep")
        for number, step in enumerate(found, start=1):
            _check_step(owner, number, step)
        require(owner, "subject", subject, str, Ref, optional=True)
        self.ref = ref
        self.steps = found
        self.subject = subject
        self.traffic = [set_weight(f"{ref}_{n}_traffic", s.weight) for n, s in _numbered(found)]
        for task, (number, _) in zip(self.traffic, _numbered(found), strict=True):
            if not isinstance(task, Task) or task.ref != f"{ref}_{number}_traffic":
                raise DefinitionError(
                    f"{owner}: set_weight must return a task with the reference it is given "
                    f"({ref}_{number}_traffic)"
                )
        self.analyses: list[AnalysisRun | None] = [
            s.analysis.run(f"{ref}_{n}_analysis", where=_where(n, s.weight))
            if s.analysis is not None
            else None
            for n, s in _numbered(found)
        ]

    def results(self) -> list[AnalysisResult]:
        """Each analysed step's AnalysisResult, in order (for the workflow's output)."""
        return [run.result for run in self.analyses if run is not None]

    def tasks(
        self, *, on_abort: OnAbort, abort_output: Mapping[str, Any] | None = None
    ) -> list[Task]:
        """The steps' tasks, in order.

        Args:
            on_abort: gives the tasks that roll the canary back at one place (an Abort); the
                TERMINATE that ends the workflow follows them.
            abort_output: more fields for the aborted workflow's output, beside `abortedAt`
                (step, weight), `reason`, `failure` (the failed reading) and `analysis`.
        """
        extra = dict(abort_output or {})
        tasks: list[Task] = []
        for (number, step), traffic, run in zip(
            _numbered(self.steps), self.traffic, self.analyses, strict=True
        ):
            tasks.append(traffic)
            if run is not None:
                tasks += run.tasks
                tasks.append(self._verdict(number, step, run, on_abort, extra))
            if step.pause is not None:
                tasks += self._pause(number, step, step.pause, on_abort, extra)
        return tasks

    # -- one step ----------------------------------------------------------------------------

    def _verdict(
        self, number: int, step: CanaryStep, run: AnalysisRun, on_abort: OnAbort, extra: Any
    ) -> Switch:
        prefix = f"{self.ref}_{number}"
        reason, result = run.result.reason, run.result

        def abort(where: str) -> list[Task]:
            site = Abort(f"{prefix}_{where}", number, step.weight, reason, result)
            return self._abort(site, on_abort, extra)

        def hold() -> list[Task]:
            return self._manual(number, step, f"{prefix}_held", reason, on_abort, extra)

        rule = run.analysis.on_inconclusive
        if isinstance(rule, Ref):
            inconclusive: list[Task] = [
                Switch(
                    f"{prefix}_rule",
                    value=rule,
                    cases={"abort": abort("inconclusive")},
                    default=hold(),
                    description="An inconclusive analysis: abort or pause, as the input says",
                )
            ]
        else:
            inconclusive = abort("inconclusive") if rule == "abort" else hold()
        return Switch(
            f"{prefix}_verdict",
            value=run.result.verdict,
            cases={"failed": abort("failed"), "inconclusive": inconclusive},
            description=f"Goes on to the next step only if the analysis at {run.where} passed",
        )

    def _pause(
        self, number: int, step: CanaryStep, pause: str | Ref, on_abort: OnAbort, extra: Any
    ) -> list[Task]:
        prefix = f"{self.ref}_{number}_pause"
        if isinstance(pause, str) and pause != MANUAL:
            return [Wait(prefix, duration=pause, description="A timed pause")]
        manual = self._manual(number, step, prefix, None, on_abort, extra)
        if isinstance(pause, str):
            return manual
        timed = Wait(f"{prefix}_timed", duration=pause, description="A timed pause")
        return [
            Switch(
                f"{prefix}_kind",
                script=f"$.pause == null || $.pause === '' || $.pause == '{NO_PAUSE}' ? "
                f"'{NO_PAUSE}' : ($.pause == '{MANUAL}' ? '{MANUAL}' : 'timed')",
                inputs={"pause": pause},
                cases={MANUAL: manual, "timed": [timed]},
                description="The pause the input asks for: none, manual or timed",
            )
        ]

    def _manual(
        self,
        number: int,
        step: CanaryStep,
        ref: str,
        why: str | None,
        on_abort: OnAbort,
        extra: Any,
    ) -> list[Task]:
        """A WAIT a person ends (promote or abort), the verdict, and the abort unless promoted."""
        where = _where(number, step.weight)
        marker = {
            PAUSE_INPUT: {
                "step": number,
                "weight": step.weight,
                "subject": self.subject,
                "why": why if why is not None else f"a manual pause at {where}",
            }
        }
        wait = _PauseWait.for_signal(
            ref, inputs=marker, description="Waits for deploy-dsl promote / abort"
        )
        decision = Inline(
            f"{ref}_decision",
            script=PAUSE_SCRIPT,
            inputs={"decision": wait.output, "where": where},
            result=PauseVerdict,
            description="Reads the decision; anything but a promotion aborts",
        )
        verdict = decision.output.result
        site = Abort(f"{ref}_abort", number, step.weight, verdict.message, None)
        go = Switch(
            f"{ref}_go",
            value=verdict.promoted,
            cases={"false": self._abort(site, on_abort, extra)},
            description="Goes on only when promoted",
        )
        return [wait, decision, go]

    def _abort(self, site: Abort, on_abort: OnAbort, extra: Mapping[str, Any]) -> list[Task]:
        rollback = list(on_abort(site))
        if not all(isinstance(t, Task) for t in rollback):
            raise DefinitionError(f"CanarySteps {self.ref!r}: on_abort must return tasks")
        output = {
            **extra,
            "abortedAt": {"step": site.step, "weight": site.weight},
            "reason": site.reason,
            "failure": site.analysis.failure if site.analysis is not None else None,
            "analysis": site.analysis,
        }
        end = Terminate(
            f"{site.ref}_end", status="FAILED", reason=site.reason, output=output,
            description="The canary is aborted and rolled back",
        )  # fmt: skip
        return [*rollback, end]


class _PauseWait(Wait):
    """A manual pause's WAIT: its output is the person's decision."""

    def output_fields(self) -> Schema:
        return model_schema(PauseDecision)


def _numbered(steps: Sequence[CanaryStep]) -> list[tuple[int, CanaryStep]]:
    return list(enumerate(steps, start=1))


def _where(number: int, weight: int) -> str:
    return f"step {number} ({weight}%)"


def _check_step(owner: str, number: int, step: CanaryStep) -> None:
    where = f"{owner}: step {number}"
    if isinstance(step.weight, bool) or not isinstance(step.weight, int):
        raise DefinitionError(f"{where}: weight must be a whole percentage, got {step.weight!r}")
    if not 1 <= step.weight <= 100:
        raise DefinitionError(f"{where}: weight must be from 1 to 100, got {step.weight}")
    require(where, "analysis", step.analysis, Analysis, optional=True)
    require(where, "pause", step.pause, str, Ref, optional=True)
    if isinstance(step.pause, str) and step.pause != MANUAL and not parse_duration(step.pause):
        raise DefinitionError(
            f"{where}: pause {step.pause!r} is neither {MANUAL!r} nor a duration Conductor "
            "parses (e.g. '30s', '1m 30s')"
        )


def _check_count(owner: str, argument: str, value: object, *, minimum: int) -> None:
    if isinstance(value, Ref):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DefinitionError(
            f"{owner}: {argument} must be a whole number of at least {minimum} or a reference, "
            f"got {value!r}"
        )
