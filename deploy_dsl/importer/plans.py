"""Which builder a Conductor task becomes, and its type-specific arguments.

A planner reads the raw task and either returns a Plan (the builder, its arguments, the inputs
it writes itself) or says why the task does not fit, so the importer falls back to GenericTask.
Nested bodies are planned through a callback that imports them as nested calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

from deploy_dsl.expressions import Ref
from deploy_dsl.flow import Decision, DoWhile, DynamicFork, Fork, Join, SubWorkflow, Switch
from deploy_dsl.importer.compare import OPTIONS
from deploy_dsl.importer.pycode import Call, DictNode, ListNode, Node, Str, literal
from deploy_dsl.importer.refs import Scope
from deploy_dsl.importer.targets import Targets, canonical_int
from deploy_dsl.tasks import (
    DEFAULT_WORKER_BASE_URL,
    GenericTask,
    Http,
    HttpMethod,
    Inline,
    JsonJq,
    SetVariable,
    Simple,
    Task,
    Terminate,
    TerminationStatus,
    Wait,
    WorkerEndpoint,
)

__all__ = ["Plan", "PlanResult", "Planner"]

_CASES = frozenset({"decisionCases", "defaultCase"})
_EVALUATORS = ("value-param", "javascript", "graaljs")
_HTTP_FIELDS = {
    "uri": "uri",
    "method": "method",
    "headers": "headers",
    "body": "body",
    "contentType": "content_type",
    "accept": "accept",
    "connectionTimeOut": "connection_timeout_ms",
    "readTimeOut": "read_timeout_ms",
}


@dataclass
class Plan:
    """A builder and its type-specific arguments for one task."""

    builder: type[Task]
    kwargs: list[tuple[str, Node]] = field(default_factory=list)
    bodies: list[tuple[str, Node]] = field(default_factory=list)
    owned_inputs: frozenset[str] = frozenset()
    default_name: str | None = None
    # the wire fields the bodies become: checked task by task, never carried in extra=
    nested: frozenset[str] = frozenset()
    # a classmethod of the builder to call instead of the builder itself (`Wait.for_signal`)
    constructor: str | None = None


PlanResult = tuple[Plan | None, str | None]


class Planner:
    """Plans tasks of one workflow module; `nested` imports a body (a raw task list)."""

    def __init__(
        self, scope: Scope, targets: Targets, nested: Callable[[list[Any]], ListNode]
    ) -> None:
        self.scope = scope
        self.targets = targets
        self._list = nested

    def plan(self, raw: dict[str, Any]) -> PlanResult:
        kind = raw.get("type", "SIMPLE")
        planner = _PLANNERS.get(kind) if isinstance(kind, str) else None
        if planner is None:
            return None, f"no builder for task type {kind!r}"
        return planner(self, raw, _inputs(raw))

    def generic(self, raw: dict[str, Any]) -> Plan:
        kind = raw.get("type")
        return Plan(GenericTask, [("task_type", Str(kind if isinstance(kind, str) else "SIMPLE"))])

    def _simple(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        return Plan(Simple), None

    def _set_variable(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        return Plan(SetVariable), None

    def _http(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        request = inputs.get("http_request")
        if not isinstance(request, dict) or not request.keys() <= _HTTP_FIELDS.keys():
            return None, "http_request has fields the Http builder does not write"
        if request.get("method") not in get_args(HttpMethod) or None in request.values():
            return None, "http_request has no method the Http builder knows, or a null field"
        kinds: dict[str, type] = {"headers": dict, "contentType": str, "accept": str}
        kinds |= {"connectionTimeOut": int, "readTimeOut": int}
        if any(k in request and type(request[k]) is not t for k, t in kinds.items()):
            return None, "http_request has a field of an unexpected type"
        uri = self._uri(request.get("uri"))
        if uri is None:
            return None, "http_request has no string uri"
        kwargs: list[tuple[str, Node]] = [("uri", uri)]
        for key, argument in _HTTP_FIELDS.items():
            if key in request and key != "uri" and (key, request[key]) != ("method", "GET"):
                value = request[key]
                node = literal(value) if key == "method" else self.scope.node(value)
                kwargs.append((argument, node))
        return Plan(Http, kwargs, owned_inputs=frozenset({"http_request"})), None

    def _uri(self, uri: Any) -> Node | None:
        if not isinstance(uri, str):
            return None
        base = DEFAULT_WORKER_BASE_URL + "/"
        path = uri[len(base) :]
        if uri.startswith(base) and path and "${" not in path:
            endpoint = WorkerEndpoint(path)
            if endpoint.url(OPTIONS) == uri:
                return Call("WorkerEndpoint", [Str(path)], [], endpoint)
        return self.scope.node(uri)

    def _inline(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        evaluator, script = inputs.get("evaluatorType"), inputs.get("expression")
        if evaluator not in ("graaljs", "javascript", "python") or not isinstance(script, str):
            return None, "INLINE needs a string expression and a known evaluatorType"
        kwargs: list[tuple[str, Node]] = [("script", Str(script))]
        if evaluator != "graaljs":
            kwargs.append(("evaluator", Str(evaluator)))
        return Plan(Inline, kwargs, owned_inputs=frozenset({"evaluatorType", "expression"})), None

    def _json_jq(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        query = inputs.get("queryExpression")
        if not isinstance(query, str):
            return None, "JSON_JQ_TRANSFORM needs a string queryExpression"
        owned = frozenset({"queryExpression"})
        return Plan(JsonJq, [("query", Str(query))], owned_inputs=owned), None

    def _terminate(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        status = inputs.get("terminationStatus")
        if not isinstance(status, str) or status not in get_args(TerminationStatus):
            return None, f"terminationStatus {status!r} is not one the Terminate builder takes"
        kwargs: list[tuple[str, Node]] = [("status", Str(status))]
        owned = {"terminationStatus"}
        for key, argument in (("terminationReason", "reason"), ("workflowOutput", "output")):
            if inputs.get(key) is not None:  # a null stays in inputs=, the builder drops it
                kwargs.append((argument, self.scope.node(inputs[key])))
                owned.add(key)
        return Plan(Terminate, kwargs, owned_inputs=frozenset(owned)), None

    def _wait(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        for key in ("duration", "until"):  # the builder takes one of them, not both
            if isinstance(inputs.get(key), str):
                return Plan(Wait, [(key, Str(inputs[key]))], owned_inputs=frozenset({key})), None
        # Neither: completed from outside (an approval gate, a canary's manual pause).
        return Plan(Wait, constructor="for_signal"), None

    def _join(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        join_on = raw.get("joinOn")
        kwargs: list[tuple[str, Node]] = []
        if isinstance(join_on, list) and join_on and all(isinstance(r, str) for r in join_on):
            kwargs.append(("join_on", literal(join_on)))
        return Plan(Join, kwargs), None

    def _sub_workflow(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        param = raw.get("subWorkflowParam")
        name = param.get("name") if isinstance(param, dict) else None
        version = param.get("version") if isinstance(param, dict) else None
        if not isinstance(name, str) or "${" in name:
            return None, "the sub-workflow name is computed at run time (no builder for that)"
        if version is not None and type(version) is not int:
            return None, f"sub-workflow version {version!r} is not a number"
        kwargs: list[tuple[str, Node]] = [("workflow", self.targets.resolve(name, version))]
        if version is None:
            kwargs.append(("latest", literal(True)))
        return Plan(SubWorkflow, kwargs, default_name=name), None

    def _dynamic_fork(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        tasks_param = raw.get("dynamicForkTasksParam")
        if isinstance(tasks_param, str):
            kwargs: list[tuple[str, Node]] = [("tasks_param", Str(tasks_param))]
            inputs_param = raw.get("dynamicForkTasksInputParamName")
            if isinstance(inputs_param, str):
                kwargs.append(("inputs_param", Str(inputs_param)))
            return Plan(DynamicFork, kwargs), None
        name, version = inputs.get("forkTaskWorkflow"), inputs.get("forkTaskWorkflowVersion")
        fork_inputs = self.scope.node(inputs.get("forkTaskInputs"))
        if not (isinstance(name, str) and "${" not in name and canonical_int(version)):
            return None, "a dynamic fork needs dynamicForkTasksParam or a fixed forkTaskWorkflow"
        if not isinstance(fork_inputs.value, Ref | list | str):
            return None, "forkTaskInputs is neither a list nor a reference"
        target = self.targets.resolve(name, int(version))
        kwargs = [("workflow", target), ("fork_inputs", fork_inputs)]
        owned = frozenset({"forkTaskWorkflow", "forkTaskWorkflowVersion", "forkTaskInputs"})
        return Plan(DynamicFork, kwargs, owned_inputs=owned), None

    def _cases(self, raw: dict[str, Any]) -> list[tuple[str, Node]] | None:
        """`cases=` and `default=` for SWITCH and DECISION; None if they are not task lists."""
        cases, default = raw.get("decisionCases"), raw.get("defaultCase", [])
        if not isinstance(cases, dict) or not cases or not isinstance(default, list):
            return None
        if not all(isinstance(branch, list) for branch in cases.values()):
            return None
        bodies: list[tuple[str, Node]] = [
            ("cases", DictNode([(Str(k), self._list(v)) for k, v in cases.items()]))
        ]
        if default:
            bodies.append(("default", self._list(default)))
        return bodies

    def _switch(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        evaluator, expression = raw.get("evaluatorType"), raw.get("expression")
        value = self.scope.node(inputs.get("switchCaseValue"))
        by_value = evaluator == "value-param" and expression == "switchCaseValue"
        if by_value and "switchCaseValue" in inputs and isinstance(value.value, Ref | str):
            kwargs: list[tuple[str, Node]] = [("value", value)]
            owned = frozenset({"switchCaseValue"})
        elif isinstance(expression, str):
            kwargs, owned = [("script", Str(expression))], frozenset()
            if evaluator in _EVALUATORS and evaluator != "graaljs":
                kwargs.append(("evaluator", Str(evaluator)))
        else:
            return None, "SWITCH has no string expression"
        bodies = self._cases(raw)
        if bodies is None:
            return None, "SWITCH has no decisionCases the Switch builder accepts"
        return Plan(Switch, kwargs, bodies, owned, nested=_CASES), None

    def _decision(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        param, script = raw.get("caseValueParam"), raw.get("caseExpression")
        if isinstance(param, str):
            kwargs: list[tuple[str, Node]] = [("param", Str(param))]
        elif isinstance(script, str):
            kwargs = [("script", Str(script))]
        else:
            return None, "DECISION has neither caseValueParam nor caseExpression"
        bodies = self._cases(raw)
        if bodies is None:
            return None, "DECISION has no decisionCases the Decision builder accepts"
        return Plan(Decision, kwargs, bodies, nested=_CASES), None

    def _fork(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        branches = raw.get("forkTasks")
        if not isinstance(branches, list) or not branches:
            return None, "FORK_JOIN has no forkTasks"
        if not all(isinstance(branch, list) for branch in branches):
            return None, "FORK_JOIN has a branch that is not a task list"
        body = ListNode([self._list(branch) for branch in branches])
        return Plan(Fork, bodies=[("branches", body)], nested=frozenset({"forkTasks"})), None

    def _do_while(self, raw: dict[str, Any], inputs: dict[str, Any]) -> PlanResult:
        condition, body = raw.get("loopCondition"), raw.get("loopOver")
        if not isinstance(condition, str) or not isinstance(body, list) or not body:
            return None, "DO_WHILE needs a string loopCondition and a non-empty loopOver"
        kwargs: list[tuple[str, Node]] = [("condition", Str(condition))]
        evaluator = raw.get("evaluatorType")
        if isinstance(evaluator, str) and evaluator in _EVALUATORS:
            kwargs.append(("evaluator", Str(evaluator)))
        body_node = self._list(body)
        return Plan(DoWhile, kwargs, [("body", body_node)], nested=frozenset({"loopOver"})), None


_Planner = Callable[[Planner, dict[str, Any], dict[str, Any]], PlanResult]
_PLANNERS: dict[str, _Planner] = {
    "SIMPLE": Planner._simple,
    "HTTP": Planner._http,
    "INLINE": Planner._inline,
    "JSON_JQ_TRANSFORM": Planner._json_jq,
    "SET_VARIABLE": Planner._set_variable,
    "TERMINATE": Planner._terminate,
    "WAIT": Planner._wait,
    "JOIN": Planner._join,
    "SUB_WORKFLOW": Planner._sub_workflow,
    "FORK_JOIN_DYNAMIC": Planner._dynamic_fork,
    "SWITCH": Planner._switch,
    "DECISION": Planner._decision,
    "FORK_JOIN": Planner._fork,
    "DO_WHILE": Planner._do_while,
}


def _inputs(raw: dict[str, Any]) -> dict[str, Any]:
    inputs = raw.get("inputParameters")
    return inputs if isinstance(inputs, dict) else {}
