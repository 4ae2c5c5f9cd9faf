"""Answer checkpoints: the final answer equals / is within tolerance of / is in the range of the
expected value, which can be computed from the chart (see :mod:`.chart`).

Answers come from the finish tool (``record.answer``): a number, a string, a dict, or a
MedAgentBench ``FINISH([...])`` list. ``index`` / ``key`` pick one element; a one-element list is
unwrapped. When the chart has no such data the expected answer is one of ``absent`` (default -1),
and with ``accept_empty_when_absent`` an empty list / empty string too (MedAgentBench's "[-1] if
not available" and its ``[]`` variant).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medsim.grading.checkpoints.chart import ExpectedValue, NeedsStore, compute_expected
from medsim.grading.checkpoints.depends import ANSWER_AND_WRITES, Depends
from medsim.grading.checkpoints.fhirdata import parse_datetime
from medsim.grading.checkpoints.patterns import Regex
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)
from medsim.grading.checkpoints.values import Approx, parse_number, to_unit

_MISSING = object()
_PRECISION = {"day": 10, "minute": 16, "second": 19}


class ValueReportedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected: ExpectedValue | None = None
    range: tuple[float, float] | None = None  # instead of expected: any answer in [low, high]
    tolerance: float = Field(default=0.0, ge=0)
    rel_tolerance: float = Field(default=0.0, ge=0)
    unit: str | None = None  # the unit the answer is compared in
    index: int | None = None
    key: str | None = None
    match: Literal["auto", "number", "text", "time"] = "auto"
    time_precision: Literal["day", "minute", "second"] = "second"
    absent: list[Any] = Field(default_factory=lambda: [-1])
    accept_empty_when_absent: bool = True

    @model_validator(mode="after")
    def _one(self) -> ValueReportedParams:
        if (self.expected is None) == (self.range is None):
            raise ValueError("give exactly one of expected or range")
        return self


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def pick_answer(answer: Any, index: int | None, key: str | None, unwrap: bool = True) -> Any:
    """The part of the answer a checkpoint is about; ``_MISSING`` when it is not there."""
    a = _maybe_json(answer)
    if key is not None:
        a = _maybe_json(a.get(key, _MISSING)) if isinstance(a, dict) else _MISSING
    if index is not None:
        a = a[index] if isinstance(a, list) and -len(a) <= index < len(a) else _MISSING
    elif unwrap and isinstance(a, list) and len(a) == 1:
        a = a[0]
    return a


def _is_empty(a: Any) -> bool:
    return a is None or a is _MISSING or (isinstance(a, list | str | dict) and len(a) == 0)


def _same_text(a: Any, b: Any) -> bool:
    return (
        re.sub(r"\s+", " ", str(a)).strip().casefold()
        == re.sub(r"\s+", " ", str(b)).strip().casefold()
    )


def compare(
    answer: Any, expected: Any, p: ValueReportedParams, exp_unit: str | None = None
) -> tuple[bool, str]:
    """(ok, why) for one answer value against one expected value under the params' rules."""
    if isinstance(expected, list):
        ans = answer if isinstance(answer, list) else [answer]
        if len(ans) != len(expected):
            return False, f"answer has {len(ans)} items, expected {len(expected)}"
        results = [compare(a, e, p, exp_unit) for a, e in zip(ans, expected, strict=True)]
        bad = [why for ok, why in results if not ok]
        return (not bad), "; ".join(bad) or "all items match"
    mode = p.match
    if mode == "auto":
        if isinstance(expected, int | float) and not isinstance(expected, bool):
            mode = "number"
        elif isinstance(expected, str) and parse_datetime(expected) is not None:
            mode = "time"
        else:
            mode = "text"
    if mode == "number":
        got = parse_number(answer)
        if got is None:
            return False, f"answer {answer!r} is not a number"
        want = float(expected)
        if p.unit is not None and exp_unit is not None:
            converted = to_unit(want, exp_unit, p.unit)
            want = converted if converted is not None else want
        approx = Approx(
            value=want,
            tolerance=p.tolerance,
            rel_tolerance=p.rel_tolerance,
            unit=p.unit or exp_unit,
        )
        ok, why = approx.check(got[0], got[1])
        return ok, f"answer {answer!r}: {why}"
    if mode == "time":
        a, e = parse_datetime(str(answer)), parse_datetime(str(expected))
        if a is None or e is None:
            return False, f"answer {answer!r} is not a date/time"
        n = _PRECISION[p.time_precision]
        ok = a.isoformat()[:n] == e.isoformat()[:n]
        return ok, f"answer {answer!r} {'=' if ok else '!='} {expected} (to the {p.time_precision})"
    ok = _same_text(answer, expected)
    return ok, f"answer {answer!r} {'=' if ok else '!='} {expected!r}"


@checkpoint("value_reported", params=ValueReportedParams, depends=ANSWER_AND_WRITES)
def value_reported(ctx: GradeContext, **params: Any) -> CheckResult:
    """The final answer (or its ``index``/``key`` part) equals the expected value, within
    tolerance and after unit conversion, or lies in ``range``; "absent" answers when the chart has
    no such data."""
    p = ValueReportedParams.model_validate(params)
    if ctx.record.answer is None:
        return failed("no final answer") if ctx.final else pending("no answer yet")
    expected_is_list = p.expected is not None and isinstance(p.expected.value, list)
    answer = pick_answer(ctx.record.answer, p.index, p.key, unwrap=not expected_is_list)
    if p.range is not None:
        got = parse_number(answer) if answer is not _MISSING else None
        if got is None:
            return failed(f"answer {ctx.record.answer!r} has no number to compare with {p.range}")
        ok, why = Approx(range=p.range, unit=p.unit).check(got[0], got[1])
        return passed(why) if ok else failed(why)
    assert p.expected is not None
    try:
        exp = compute_expected(ctx, p.expected)
    except NeedsStore as exc:
        return pending(str(exc))
    if not exp.found:
        ok = (_is_empty(answer) and p.accept_empty_when_absent) or any(
            answer is not _MISSING and compare(answer, a, p)[0] for a in p.absent
        )
        why = f"{exp.evidence}; answer {ctx.record.answer!r}"
        return passed(why + " reports absence") if ok else failed(why + " should report absence")
    if answer is _MISSING:
        return failed(
            f"answer {ctx.record.answer!r} has no item {p.index if p.key is None else p.key}"
        )
    ok, why = compare(answer, exp.value, p, exp.unit)
    return passed(f"{exp.evidence}; {why}") if ok else failed(f"{exp.evidence}; {why}")


class AnswerMatchesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regex: list[Regex] = Field(default_factory=list)  # all must match (case-insensitive)
    must_not: list[Regex] = Field(default_factory=list)  # none may match
    index: int | None = None
    key: str | None = None


@checkpoint("answer_matches", params=AnswerMatchesParams, depends=Depends(answer=True))
def answer_matches(ctx: GradeContext, **params: Any) -> CheckResult:
    """The final answer's text matches every ``regex`` and none of ``must_not`` (for decisions
    such as "no change needed" or a diagnosis name)."""
    p = AnswerMatchesParams.model_validate(params)
    if ctx.record.answer is None:
        return failed("no final answer") if ctx.final else pending("no answer yet")
    a = pick_answer(ctx.record.answer, p.index, p.key)
    text = "" if a is _MISSING else (a if isinstance(a, str) else json.dumps(a))
    missing = [r for r in p.regex if not re.search(r, text, re.IGNORECASE)]
    present = [r for r in p.must_not if re.search(r, text, re.IGNORECASE)]
    if missing or present:
        return failed(f"answer {text[:120]!r}: missing {missing}, forbidden present {present}")
    return passed(f"answer {text[:120]!r} matches")
