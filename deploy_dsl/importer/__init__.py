"""`deploy-dsl import`: Conductor JSON to Python definition modules that build back to it.

`import_sources` is pure (data in, module texts out); reading files and writing the package
live in `sources` and `output`. Every generated definition was built and compiled while it was
generated and compared with its JSON, so what is written is what the JSON says, or a warning
names the field that differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from deploy_dsl.findings import Finding
from deploy_dsl.importer.compare import OPTIONS
from deploy_dsl.importer.names import MAX_STEM_LENGTH, Namespace, snake_case, unsafe_module_name
from deploy_dsl.importer.sources import ImportFailed, Source, Sources, read_sources
from deploy_dsl.importer.targets import Catalog, ModuleEntry, called_workflows
from deploy_dsl.importer.taskdefs import TASKDEFS_MODULE, taskdefs_module
from deploy_dsl.importer.workflows import import_workflow
from deploy_dsl.taskdef import TaskDef
from deploy_dsl.validation import Subject, validate
from deploy_dsl.workflow import ExternalWorkflow, Workflow

__all__ = ["ImportFailed", "ImportResult", "import_files", "import_sources"]

PACKAGE_DOCSTRING = '"""Definitions imported from Conductor JSON by `deploy-dsl import`."""\n'


@dataclass
class ImportResult:
    """The generated package (file name -> text) and what the import has to say about it."""

    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    taskdefs: list[TaskDef] = field(default_factory=list)
    externals: list[ExternalWorkflow] = field(default_factory=list)
    # workflow name -> the file it came from; origin -> the module stem it went to
    origins: dict[str, str] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)

    def findings(self) -> list[Finding]:
        """What the strict validation of `deploy-dsl build` will say about the import."""
        subject = Subject(
            workflows=[workflow.compile(OPTIONS).definition for workflow in self.workflows],
            taskdefs=[taskdef.to_wire() for taskdef in self.taskdefs],
            external_workflows=frozenset(external.name for external in self.externals),
            locations={(name, None): (origin,) for name, origin in self.origins.items()},
            strict=True,
        )
        return validate(subject)


def import_files(paths: list[Path]) -> ImportResult:
    """Reads the files and imports everything in them (see `import_sources`)."""
    return import_sources(read_sources(paths))


def import_sources(sources: Sources) -> ImportResult:
    """One module per workflow, a `taskdefs` module, and the package's `__init__.py`.

    A workflow that cannot be imported is reported in `errors` and left out; calls to it from
    the others then become ExternalWorkflow declarations.
    """
    reserved = frozenset({TASKDEFS_MODULE}) if sources.taskdefs else frozenset()
    stems = _module_stems(sources.workflows, reserved)
    errors = _unsafe_names(sources.workflows)
    while True:  # again without the failures, so that calls to them become external
        result, failed = _import_workflows(sources.workflows, stems, set(errors))
        if not failed:
            break
        errors |= failed
    result.errors = [errors[index] for index in sorted(errors)]
    if sources.taskdefs:
        text, taskdefs = taskdefs_module(sources.taskdefs, result.warnings.append)
        result.files[f"{TASKDEFS_MODULE}.py"] = text
        result.taskdefs = taskdefs
    result.files["__init__.py"] = PACKAGE_DOCSTRING
    result.files = dict(sorted(result.files.items()))
    return result


def _import_workflows(
    workflows: list[Source], stems: list[str], excluded: set[int]
) -> tuple[ImportResult, dict[int, str]]:
    entries = {
        index: ModuleEntry(stems[index], source.data["name"], _version(source), _outputs(source))
        for index, source in enumerate(workflows)
        if index not in excluded
    }
    catalog = Catalog()
    for entry in entries.values():
        catalog.add(entry)
    catalog.break_cycles(
        {e.stem: list(called_workflows(workflows[i].data.get("tasks"))) for i, e in entries.items()}
    )
    result = ImportResult()
    failed: dict[int, str] = {}
    for index, source in enumerate(workflows):
        if index not in entries:
            continue
        try:
            imported = import_workflow(source, entries[index], catalog, _warner(result, source))
        except ImportFailed as error:
            failed[index] = _located(str(error), source)
            continue
        result.files[f"{stems[index]}.py"] = imported.text
        result.workflows.append(imported.workflow)
        result.externals.extend(imported.externals)
        result.origins[imported.workflow.name] = source.origin
        result.modules[source.origin] = stems[index]
    return result, failed


def _located(message: str, source: Source) -> str:
    """An import error that names its file and its workflow, once each."""
    name = source.data["name"]
    shown = repr(name if len(name) <= 60 else name[:60] + "...")
    rest = message.removeprefix(f"{source.origin}: ")
    if rest.startswith(f"workflow {shown}"):
        return f"{source.origin}: {rest}"
    return f"{source.origin}: workflow {shown}: {rest}"


def _warner(result: ImportResult, source: Source) -> Callable[[str], None]:
    prefix = f"{source.origin}: {source.data['name']}: "
    return lambda message: result.warnings.append(prefix + message)


def _version(source: Source) -> int:
    version = source.data.get("version")
    return version if type(version) is int else 1


def _outputs(source: Source) -> tuple[str, ...]:
    output = source.data.get("outputParameters")
    return tuple(output) if isinstance(output, dict) else ()


def _unsafe_names(workflows: list[Source]) -> dict[int, str]:
    """The workflows whose names must not become file names, with the one-line reason."""
    errors: dict[int, str] = {}
    for index, source in enumerate(workflows):
        name = source.data["name"]
        reason = unsafe_module_name(name)
        if reason is not None:
            shown = repr(name if len(name) <= 40 else name[:40] + "...")
            errors[index] = f"{source.origin}: workflow name {shown} refused: {reason}"
    return errors


def _module_stems(workflows: list[Source], reserved: frozenset[str]) -> list[str]:
    """Module names from workflow names; a name imported in several versions gets `_v<n>`."""
    names = Namespace(reserved)
    bases = [
        snake_case(source.data["name"])[:MAX_STEM_LENGTH].rstrip("_") or "workflow"
        for source in workflows
    ]
    counts = Counter(bases)
    stems: list[str] = []
    for base, source in zip(bases, workflows, strict=True):
        wanted = f"{base}_v{_version(source)}" if counts[base] > 1 else base
        stems.append(names.allocate(wanted, "workflow", "workflow"))
    return stems
