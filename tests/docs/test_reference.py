"""The authors' reference: every public builder documents its arguments, and the generated page
in build/docs/ is current."""

from __future__ import annotations

import inspect

import pytest

from deploy_dsl import dsl
from deploy_dsl.docs.reference import REFERENCE_PAGE, Entry, entries, render_reference
from deploy_dsl.task import Task
from tests.conftest import REPO_ROOT

ENTRIES = list(entries())


def _documented_in(entry: Entry) -> str:
    """The docstrings that may document the entry's arguments: its own, and Task's for a task
    builder that keeps Task's constructor."""
    value = getattr(dsl, entry.name)
    docs = [entry.doc]
    if inspect.isclass(value) and issubclass(value, Task):
        docs.append(inspect.getdoc(Task) or "")
    return "\n".join(docs)


def test_every_public_name_is_listed() -> None:
    assert sorted(e.name for e in ENTRIES) == sorted(dsl.__all__)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_public_name_says_what_it_is(entry: Entry) -> None:
    assert entry.summary, f"{entry.name} has no docstring"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.parameters], ids=lambda e: e.name)
def test_every_argument_is_documented(entry: Entry) -> None:
    documented = _documented_in(entry)
    missing = [name for name in entry.parameters if f"{name}:" not in documented]
    assert not missing, f"{entry.name}'s docstring does not document {missing}"


def test_the_generated_page_is_current() -> None:
    page = REPO_ROOT / "build" / "docs" / REFERENCE_PAGE
    assert page.read_text(encoding="utf-8") == render_reference(), "run `make build`"


def test_the_page_shows_signatures() -> None:
    text = render_reference()
    assert "| `Http` | `Http(ref, *, uri=None, method=None," in text
    assert "| `TaskOptions` | `TaskOptions(name, inputs, description, optional," in text
    assert "| `WORKFLOW` | `WORKFLOW` | The running workflow" in text
