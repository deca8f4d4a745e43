"""What the project knows of one Conductor task type, as one record (pure).

Each module of `deploy_dsl.kinds` holds one task type: its builder, and a `KIND` that says how
the rest of the project treats it. The edges (validation, the importer, the docs, the flow-test
plugin, the gantt chart, plan) look a type up in the registry (`deploy_dsl.kinds.KINDS`) instead
of keeping sets of type names of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from deploy_dsl.checking import Placement, WorkflowScope
from deploy_dsl.task import Task
from deploy_dsl.wire import WorkflowTask

__all__ = [
    "MOCKED_RUNS",
    "Check",
    "FlowRun",
    "ImportPlan",
    "Importing",
    "Kind",
    "NextCheck",
    "Planned",
    "Shape",
    "Snippet",
    "WorkflowCall",
    "call_detail",
    "scalar_text",
]

# How a flow test runs a task of the type on the engine:
# - engine: the engine runs it itself (an operator, a script): never mocked;
# - worker: it waits for a worker's poll, which the test's hidden task domain keeps from
#   every worker; a mock answers it;
# - system: a system task the server's own workers would run (HTTP): it is queued under an
#   isolation group nothing polls, and a mock answers it;
# - external: it waits to be completed from outside (a timer, a person); a mock answers it;
# - stand_in: it would act outside the engine (publish, start a workflow): the test runs a
#   HUMAN task in its place, with the same reference and inputs, and a mock answers that;
# - callee: it runs another workflow of the project, which the test runs with its own mocks.
FlowRun = Literal["engine", "worker", "system", "external", "stand_in", "callee"]
MOCKED_RUNS: Final = frozenset({"worker", "system", "external", "stand_in"})
# The node shape of the type in the docs' flowchart.
Shape = Literal[
    "box", "rounded", "stadium", "subroutine", "circle", "rhombus", "hexagon", "fork", "join"
]


class Snippet(Protocol):
    """Python source for one value, which also carries the value it stands for."""

    @property
    def value(self) -> Any: ...


class Importing(Protocol):
    """What a type's importer inverse asks of the importer: source code for the values it
    passes to the builder."""

    def value(self, value: Any) -> Snippet:
        """A JSON value as it is written in a definition: `${...}` strings become references."""
        ...

    def literal(self, value: Any) -> Snippet:
        """A JSON value written as it is."""
        ...

    def tasks(self, raw: list[Any]) -> Snippet:
        """A nested task list, imported task by task."""
        ...

    def mapping(self, items: Sequence[tuple[str, Snippet]]) -> Snippet:
        """A dict of already written values."""
        ...

    def sequence(self, items: Sequence[Snippet]) -> Snippet:
        """A list of already written values."""
        ...

    def workflow(self, name: str, version: int | None) -> Snippet:
        """The workflow a task calls: an imported module's, or an ExternalWorkflow."""
        ...

    def endpoint(self, uri: str) -> Snippet | None:
        """`WorkerEndpoint(path)` when the URI is the default worker's, else None."""
        ...

    def builder(self, name: str, arguments: Sequence[tuple[str, Snippet]], value: Any) -> Snippet:
        """A call of a public builder (`StateChangeEvent(...)`) whose result is `value`."""
        ...


@dataclass
class ImportPlan:
    """A builder and its type-specific arguments for one task.

    `owned_inputs` are the inputParameters the builder writes itself from its arguments (the
    rest go to `inputs=`); `nested` the WorkflowTask fields that `bodies` become (imported task
    by task, so never compared as a whole); `default_name` the task name the builder writes when
    given none; `constructor` a classmethod to call instead of the class (`Wait.for_signal`).
    """

    builder: BuilderClass
    kwargs: list[tuple[str, Snippet]] = field(default_factory=list)
    bodies: list[tuple[str, Snippet]] = field(default_factory=list)
    owned_inputs: frozenset[str] = frozenset()
    default_name: str | None = None
    nested: frozenset[str] = frozenset()
    constructor: str | None = None


# The builder class of a kind (`Kind.type` names the wire type inside the record).
BuilderClass = type[Task]
# A plan, or why the task's JSON does not fit its type's builder.
Planned = ImportPlan | str
Check = Callable[[WorkflowScope, Placement], None]
NextCheck = Callable[[WorkflowScope, WorkflowTask, WorkflowTask | None], None]


@dataclass(frozen=True)
class WorkflowCall:
    """A workflow a task starts by a fixed name.

    `version` None means whatever version is newest when the task runs.
    """

    name: str
    version: int | None
    how: Literal[
        "sub-workflow", "inline sub-workflow", "dynamic fork", "started", "failure workflow"
    ]

    @property
    def label(self) -> str:
        """`name vN`, or the name alone for whatever version is newest."""
        return self.name + (f" v{self.version}" if self.version is not None else "")


def call_detail(
    calls: Callable[[WorkflowTask], Iterator[WorkflowCall]],
) -> Callable[[WorkflowTask], str | None]:
    """The docs detail of a type whose tasks call a workflow: the workflow it calls."""

    def detail(task: WorkflowTask) -> str | None:
        call = next(calls(task), None)
        return None if call is None else call.label

    return detail


@dataclass(frozen=True)
class Kind:
    """One Conductor task type, everything the project does with it in one place.

    Args:
        type: the WorkflowTask `type`.
        builder: the builder class that writes it.
        summary: what a task of the type does, one line, for the docs.
        example: a few tasks as a definition would write them, a task of this type among
            them (a JOIN needs its fork); the registry's tests build, import and flow-test
            them.
        plan: the importer's inverse of the builder: the builder arguments that write a raw
            task of the type exactly, or why they cannot.
        check: the validator's per-task checks of the type.
        check_next: a check of the task with the one after it (a fork needs a JOIN next).
        unchecked: why the type has no check of its own, when it has none.
        detail: what the docs' one-line summary adds after the type (an endpoint, a case
            subject), if anything.
        calls: the workflows a task of the type starts.
        shape: its node shape in the flowchart.
        flow: how a flow test runs it (FlowRun).
        operator: whether the engine decides it at once, without a worker or a wait: no bar
            of its own in a gantt chart of an execution.
        named: whether its name says what runs (a worker's task name), so the docs show it.
        ends_workflow: whether the workflow ends at a task of the type (TERMINATE).
    """

    type: str
    builder: BuilderClass
    summary: str
    example: Callable[[], Sequence[Task]]
    plan: Callable[[dict[str, Any], dict[str, Any], Importing], Planned]
    check: Check | None = None
    check_next: NextCheck | None = None
    unchecked: str | None = None
    detail: Callable[[WorkflowTask], str | None] | None = None
    calls: Callable[[WorkflowTask], Iterator[WorkflowCall]] | None = None
    shape: Shape = "box"
    flow: FlowRun = "engine"
    operator: bool = False
    named: bool = False
    ends_workflow: bool = False


def scalar_text(value: Any) -> str | None:
    """A scalar as the docs show it (expressions stay `${...}`, booleans as JSON writes them);
    None for absent or structured values."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)
