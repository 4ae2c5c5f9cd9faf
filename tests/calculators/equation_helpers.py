"""Shared helpers for the equation-based calculator tests."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.calculators import CalculatorError, compute


def value(calculator: str | int, **inputs: Any) -> Any:
    """The calculator's value for keyword inputs."""
    return compute(calculator, inputs).value


def approx(expected: float, rel: float = 1e-3, abs_: float = 1e-3) -> Any:
    return pytest.approx(expected, rel=rel, abs=abs_)


def rejects(calculator: str | int, field: str, inputs: dict[str, Any]) -> None:
    """compute() raises CalculatorError and the message names ``field``."""
    with pytest.raises(CalculatorError) as info:
        compute(calculator, inputs)
    assert field in str(info.value), str(info.value)
