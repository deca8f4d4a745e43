"""The canary controls' builders (Analysis, Metric, CanarySteps): what they compile to, what they
refuse, how their results are typed, and that what they make passes the validator. (What their
scripts compute is in tests/test_canary_scripts.py; on the real engine in tests/flows/ and
against the real Prometheus in tests/e2e/test_canary.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from deploy_dsl.canary import ANALYSIS_INPUT, PAUSE_INPUT, PROMETHEUS_QUERY_TASK
from deploy_dsl.compiler import compile_project
from deploy_dsl.dsl import (
    MANUAL,
    Abort,
    Analysis,
    CanaryStep,
    CanarySteps,
    Http,
    Metric,
    PrometheusEndpoint,
    SetVariable,
    Task,
    TaskDef,
    Workflow,
    workflow_input,
)
from deploy_dsl.errors import DefinitionError, UnknownField
from deploy_dsl.project import Project
from deploy_dsl.task import CompileOptions
from deploy_dsl.wire import dump

OWNER = "o@example.com"


class In(BaseModel):
    scope: str
    interval: str = "10s"
    rule: str = "pause"
    pause: str = MANUAL


inputs = workflow_input(In)
ERRORS = Metric("error_rate", query=f'errors{{scope="{inputs.scope}"}}', success="result < 0.05")


def analysis(**overrides: Any) -> Analysis:
    given: dict[str, Any] = {"metrics": [ERRORS], "interval": "5s", "count": 2} | overrides
    return Analysis(**given)


def set_weight(ref: str, weight: int) -> Task:
    return Http(ref, name="swap", uri="http://w/swap", method="POST", body={"weight": weight})


def rolled_back(at: Abort) -> list[Task]:
    return [SetVariable(f"{at.ref}_undo", inputs={"undone": at.step})]


def canary(steps: Sequence[CanaryStep], **kwargs: Any) -> CanarySteps:
    return CanarySteps("c", steps=steps, set_weight=set_weight, **kwargs)


def compiled(steps: CanarySteps, options: CompileOptions | None = None) -> dict[str, Any]:
    workflow = Workflow(
        "wf", version=1, owner_email=OWNER, input=In, tasks=steps.tasks(on_abort=rolled_back)
    )
    return dump(workflow.compile(options or CompileOptions()).definition)


def by_ref(tasks: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every task, nested ones too, by reference."""
    found: dict[str, dict[str, Any]] = {}
    for task in tasks:
        found[task["taskReferenceName"]] = task
        nested = [task.get("loopOver") or [], task.get("defaultCase") or []]
        nested += list((task.get("decisionCases") or {}).values())
        for inner in nested:
            found |= by_ref(inner)
    return found


def test_a_step_moves_the_weight_then_measures_then_switches_on_the_verdict() -> None:
    definition = compiled(canary([CanaryStep(10, analysis())]))
    assert [t["taskReferenceName"] for t in definition["tasks"]] == [
        "c_1_traffic",
        "c_1_analysis_queries",
        "c_1_analysis",
        "c_1_verdict",
    ]
    tasks = by_ref(definition["tasks"])
    assert tasks["c_1_traffic"]["inputParameters"]["http_request"]["body"] == {"weight": 10}
    loop = tasks["c_1_analysis"]
    assert loop["loopCondition"] == "$.c_1_analysis_measure['result']['done'] == false"
    assert [t["taskReferenceName"] for t in loop["loopOver"]] == [
        "c_1_analysis_wait",
        "c_1_analysis_error_rate",
        "c_1_analysis_measure",
    ]
    query = tasks["c_1_analysis_error_rate"]
    assert (query["name"], query["type"], query["optional"]) == ("prometheus_query", "HTTP", True)
    assert query["inputParameters"]["http_request"] == {
        "uri": "http://localhost:9090/api/v1/query",
        "method": "POST",
        "body": "${c_1_analysis_queries.output.result.error_rate}",
        "contentType": "application/x-www-form-urlencoded",
        "accept": "application/json",
        "connectionTimeOut": 2000,
        "readTimeOut": 5000,
    }
    queries = tasks["c_1_analysis_queries"]["inputParameters"]["queries"]
    assert queries == {"error_rate": 'errors{scope="${workflow.input.scope}"}'}
    measure = tasks["c_1_analysis_measure"]["inputParameters"]
    assert measure[ANALYSIS_INPUT] == {"analysis": "c_1_analysis", "where": "step 1 (10%)"}
    assert measure["previous"] == "${c_1_analysis_measure.output.result}"
    assert "function (result) { return (result < 0.05); }" in measure["expression"]
    verdict = tasks["c_1_verdict"]
    assert verdict["inputParameters"] == {
        "switchCaseValue": "${c_1_analysis_measure.output.result.verdict}"
    }
    assert sorted(verdict["decisionCases"]) == ["failed", "inconclusive"]


def test_an_abort_rolls_back_then_ends_failed_naming_the_failure() -> None:
    tasks = by_ref(compiled(canary([CanaryStep(10, analysis())]))["tasks"])
    failed = [t["taskReferenceName"] for t in tasks["c_1_verdict"]["decisionCases"]["failed"]]
    assert failed == ["c_1_failed_undo", "c_1_failed_end"]
    end = tasks["c_1_failed_end"]["inputParameters"]
    assert end["terminationStatus"] == "FAILED"
    assert end["terminationReason"] == "${c_1_analysis_measure.output.result.reason}"
    assert end["workflowOutput"]["failure"] == "${c_1_analysis_measure.output.result.failure}"
    assert end["workflowOutput"]["abortedAt"] == {"step": 1, "weight": 10}


def test_an_inconclusive_analysis_pauses_or_aborts_as_it_says() -> None:
    paused = by_ref(compiled(canary([CanaryStep(10, analysis())]))["tasks"])
    held = [t["taskReferenceName"] for t in paused["c_1_verdict"]["decisionCases"]["inconclusive"]]
    assert held == ["c_1_held", "c_1_held_decision", "c_1_held_go"]
    marker = paused["c_1_held"]["inputParameters"][PAUSE_INPUT]
    assert marker["why"] == "${c_1_analysis_measure.output.result.reason}"
    assert paused["c_1_held"]["type"] == "WAIT"
    aborting = by_ref(
        compiled(canary([CanaryStep(10, analysis(on_inconclusive="abort"))]))["tasks"]
    )
    cases = aborting["c_1_verdict"]["decisionCases"]["inconclusive"]
    assert [t["taskReferenceName"] for t in cases] == [
        "c_1_inconclusive_undo",
        "c_1_inconclusive_end",
    ]
    by_input = by_ref(
        compiled(canary([CanaryStep(10, analysis(on_inconclusive=inputs.rule))]))["tasks"]
    )
    rule = by_input["c_1_rule"]
    assert rule["inputParameters"] == {"switchCaseValue": "${workflow.input.rule}"}
    assert rule["defaultCase"][0]["taskReferenceName"] == "c_1_held"


def test_pauses_timed_manual_or_from_an_input() -> None:
    tasks = compiled(canary([CanaryStep(10, pause="30s"), CanaryStep(50, pause=MANUAL)]))["tasks"]
    found = by_ref(tasks)
    assert found["c_1_pause"]["inputParameters"] == {"duration": "30s"}
    assert found["c_2_pause"]["inputParameters"][PAUSE_INPUT]["weight"] == 50
    go = found["c_2_pause_go"]
    assert go["inputParameters"] == {
        "switchCaseValue": "${c_2_pause_decision.output.result.promoted}"
    }
    assert [t["taskReferenceName"] for t in go["decisionCases"]["false"]] == [
        "c_2_pause_abort_undo",
        "c_2_pause_abort_end",
    ]
    kind = by_ref(compiled(canary([CanaryStep(10, pause=inputs.pause)]))["tasks"])["c_1_pause_kind"]
    assert sorted(kind["decisionCases"]) == ["manual", "timed"]
    assert kind["decisionCases"]["timed"][0]["inputParameters"] == {
        "duration": "${workflow.input.pause}"
    }


def test_register_queries_the_prometheus_of_the_settings() -> None:
    steps = canary([CanaryStep(10, analysis())])
    options = CompileOptions(prometheus_url="http://prom.internal:9191/")
    query = by_ref(compiled(steps, options)["tasks"])["c_1_analysis_error_rate"]
    assert (
        query["inputParameters"]["http_request"]["uri"] == "http://prom.internal:9191/api/v1/query"
    )
    fixed = canary([CanaryStep(10, analysis(prometheus="http://p:1/api/v1/query"))])
    query = by_ref(compiled(fixed, options)["tasks"])["c_1_analysis_error_rate"]
    assert query["inputParameters"]["http_request"]["uri"] == "http://p:1/api/v1/query"
    assert (
        PrometheusEndpoint("api/v1/query").url(options) == "http://prom.internal:9191/api/v1/query"
    )


def test_what_it_makes_passes_the_validator() -> None:
    steps = canary(
        [
            CanaryStep(10, analysis(interval=inputs.interval, on_inconclusive=inputs.rule)),
            CanaryStep(50, analysis(), pause=inputs.pause),
            CanaryStep(100, analysis(on_inconclusive="abort"), pause="1m"),
        ],
        subject=inputs.scope,
    )
    workflow = Workflow(
        "wf",
        version=1,
        owner_email=OWNER,
        input=In,
        tasks=steps.tasks(on_abort=rolled_back),
        output={"analyses": steps.results()},
    )
    taskdefs = [TaskDef(name, owner_email=OWNER) for name in ("swap", PROMETHEUS_QUERY_TASK)]
    result = compile_project(Project(workflows=[workflow], taskdefs=taskdefs))
    assert [f.message for f in result.findings] == []


def test_results_are_typed() -> None:
    run = analysis().run("a", where="step 1 (10%)")
    assert str(run.result.failure.metric) == "${a_measure.output.result.failure.metric}"
    assert str(run.result.measurements[0].readings[0].value) == (
        "${a_measure.output.result.measurements[0].readings[0].value}"
    )
    with pytest.raises(UnknownField, match="no field 'failur'"):
        run.result.failur  # noqa: B018


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Metric("error-rate", query="q", success="result < 1"), "letters, digits and '_'"),
        (lambda: Metric("e", query=" ", success="result < 1"), "query must be PromQL"),
        (lambda: Metric("e", query="q", success=""), "success must be a JavaScript expression"),
        (lambda: analysis(metrics=[]), "metrics must be a non-empty list of Metric"),
        (lambda: analysis(metrics=[ERRORS, ERRORS]), "metric 'error_rate' is measured twice"),
        (lambda: analysis(interval="5 sec ago"), "interval '5 sec ago' is not a duration"),
        (lambda: analysis(interval="0s"), "interval '0s' is not a duration"),
        (lambda: analysis(count=0), "count must be a whole number of at least 1"),
        (lambda: analysis(count=True), "count must be a whole number"),
        (lambda: analysis(failure_limit=-1), "failure_limit must be a whole number of at least 0"),
        (lambda: analysis(on_inconclusive="promote"), "on_inconclusive must be 'pause', 'abort'"),
        (lambda: canary([]), "steps must be a non-empty list of CanaryStep"),
        (lambda: canary([CanaryStep(0)]), "step 1: weight must be from 1 to 100, got 0"),
        (lambda: canary([CanaryStep(10), CanaryStep(101)]), "step 2: weight must be from 1 to 100"),
        (lambda: canary([CanaryStep(True)]), "step 1: weight must be a whole percentage"),
        (lambda: canary([CanaryStep(10, pause="later")]), "pause 'later' is neither 'manual'"),
        (
            lambda: CanarySteps(
                "c", steps=[CanaryStep(10)], set_weight=lambda ref, w: set_weight("x", w)
            ),
            "set_weight must return a task with the reference it is given (c_1_traffic)",
        ),
    ],
)
def test_mistakes_are_refused_where_they_are_written(make: Any, message: str) -> None:
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_on_abort_must_give_tasks() -> None:
    steps = canary([CanaryStep(10, analysis())])
    with pytest.raises(DefinitionError, match="on_abort must return tasks"):
        steps.tasks(on_abort=lambda at: ["not a task"])  # type: ignore[list-item]
