"""definitions.common.worker_step's overloads, which type each step's answer for the checker,
agree with worker/contract.py's STEPS, which the worker answers with and the runtime checks."""

from __future__ import annotations

from typing import get_args, get_overloads, get_type_hints

from definitions.common import worker_step
from worker.contract import STEPS, StepName


def test_each_step_has_one_overload_typed_by_its_answer_model() -> None:
    typed: dict[str, type] = {}
    for overload in get_overloads(worker_step):
        hints = get_type_hints(overload)
        (answer,) = get_args(hints["return"])
        for step in get_args(hints["step"]):
            assert step not in typed, f"{step} has two overloads"
            typed[step] = answer
    assert typed == {step: contract.answer for step, contract in STEPS.items()}
    assert set(typed) == set(get_args(StepName))
