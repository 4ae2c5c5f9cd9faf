"""Calculator checkpoints: a ``calculate`` tool call used the right calculator with the right
inputs (within tolerance, after unit conversion) and got the expected result.

The agent's inputs are normalised through the calculator's own input model
(:func:`medsim.calculators.compute`), so "1.2 mg/dL" and "106 umol/L" compare equal; expected
inputs are written in the calculator's canonical units (see ``medsim calc`` / ``catalog()``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medsim.grading.checkpoints.depends import Depends
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)
from medsim.grading.checkpoints.values import Approx, as_approx, parse_number
from medsim.grading.record import ToolCall

_ID_KEYS = ("calculator", "calculator_id", "id", "name")
_INPUT_KEYS = ("inputs", "arguments", "params", "parameters", "values")


class CalculatorUsedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    calculator: str  # id, MedCalc-Bench id, name or alias
    inputs: dict[str, Any] = Field(default_factory=dict)  # expected (subset), canonical units
    input_rel_tolerance: float = Field(default=0.01, ge=0)  # for bare-number expected inputs
    result: Any = None  # number, [low, high], {value, tolerance...}, or "auto" (from inputs)
    tools: list[str] = Field(default_factory=lambda: ["calculate"])

    @field_validator("calculator")
    @classmethod
    def _known(cls, v: str) -> str:
        from medsim.calculators import get

        return get(v).id  # raises CalculatorError (a ValueError) naming close matches

    @field_validator("result")
    @classmethod
    def _result(cls, v: Any) -> Any:
        if v is not None and v != "auto":
            as_approx(v)
        return v

    @model_validator(mode="after")
    def _auto_needs_inputs(self) -> CalculatorUsedParams:
        if self.result == "auto":
            from medsim.calculators import compute

            compute(self.calculator, self.inputs)  # every input must be given to compute it
        return self


def call_parts(call: ToolCall) -> tuple[str | None, dict[str, Any]]:
    args = call.arguments
    calc = next((str(args[k]) for k in _ID_KEYS if isinstance(args.get(k), str | int)), None)
    if calc is None and call.name.startswith("calc_"):  # a per-calculator tool: calc_<id>(**inputs)
        calc = call.name.removeprefix("calc_")
    inputs = next((args[k] for k in _INPUT_KEYS if isinstance(args.get(k), dict)), None)
    if inputs is None:  # flat arguments: everything but the calculator id
        inputs = {k: v for k, v in args.items() if k not in _ID_KEYS}
    return calc, dict(inputs)


def _result_value(call: ToolCall) -> Any:
    res = call.result
    if isinstance(res, str):
        import json

        try:
            res = json.loads(res)
        except ValueError:
            return res
    if isinstance(res, dict):
        return res.get("value", res.get("result"))
    return res


def _input_ok(name: str, want: Any, got: Any, unit: str | None, rel: float) -> str | None:
    if isinstance(want, bool | str):
        return None if got == want else f"{name} = {got!r}, expected {want!r}"
    approx = as_approx(want)
    if isinstance(want, int | float):
        approx = Approx(value=float(want), rel_tolerance=rel, unit=unit)
    elif approx.unit is None:
        approx = approx.model_copy(update={"unit": unit})
    number = parse_number(got)
    if number is None:
        return f"{name} = {got!r} is not a number"
    ok, why = approx.check(number[0], unit)
    return None if ok else f"{name}: {why}"


def check_call(call: ToolCall, p: CalculatorUsedParams) -> str | None:
    """None when the call used the calculator with the expected inputs and result."""
    from medsim.calculators import CalculatorError, compute, get

    name, raw_inputs = call_parts(call)
    if name is None:
        return "no calculator named"
    try:
        calc = get(name)
    except CalculatorError:
        return f"unknown calculator {name!r}"
    if calc.id != p.calculator:
        return f"used {calc.id}, not {p.calculator}"
    try:
        result = compute(calc.id, raw_inputs)
    except Exception as exc:  # CalculatorError, or junk the input model chokes on
        return f"invalid inputs ({exc})"
    fields = calc.inputs.model_fields
    for key, want in p.inputs.items():
        if key not in result.inputs:
            return f"input {key!r} not given"
        extra = fields[key].json_schema_extra if key in fields else None
        unit = extra.get("unit") if isinstance(extra, dict) else None
        problem = _input_ok(
            key, want, result.inputs[key], str(unit) if unit else None, p.input_rel_tolerance
        )
        if problem:
            return problem
    if p.result is not None:
        want = compute(calc.id, p.inputs).value if p.result == "auto" else p.result
        got = _result_value(call)
        got = result.value if got is None else got
        if isinstance(want, str) and not isinstance(p.result, dict):
            return None if str(got) == want else f"result {got!r}, expected {want!r}"
        number = parse_number(got)
        approx = as_approx(want)
        if number is None or not approx.check(number[0])[0]:
            return f"result {got!r}, expected {approx.describe()}"
    return None


@checkpoint(
    "calculator_used", params=CalculatorUsedParams, monotone=True, depends=Depends(calls=".*")
)
def calculator_used(ctx: GradeContext, **params: Any) -> CheckResult:
    """A successful ``calculate`` call used ``calculator`` with ``inputs`` within tolerance and
    returned the expected ``result``."""
    p = CalculatorUsedParams.model_validate(params)
    problems: list[str] = []
    for call in ctx.record.successful_calls():
        if call.name not in p.tools:
            continue
        problem = check_call(call, p)
        if problem is None:
            return passed(
                f"step {call.step}: {p.calculator} with the expected inputs"
                + (" and result" if p.result is not None else "")
            )
        problems.append(f"step {call.step}: {problem}")
    if not problems:
        what = f"no {'/'.join(p.tools)} call"
        return failed(what) if ctx.final else pending(what + " yet")
    msg = "; ".join(problems[-3:])
    return failed(msg) if ctx.final else pending(msg)
