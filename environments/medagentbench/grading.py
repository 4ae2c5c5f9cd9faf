"""The ``medagentbench_pass`` checkpoint: MedAgentBench's pass/fail verdict of one task.

The reference outcome is recomputed from the episode's chart (:mod:`.answers`); the POSTs come
from the EHR or the recorded payloads (:mod:`.posts`). ``rules`` picks the grader:

* ``"original"`` applies ``refsol.py`` exactly: posts read from the transcript, any "POST" in an
  agent message fails a no-order task, the first coding must carry the code, ``route`` must be
  the bare string ``"IV"`` / ``"oral"`` (issue #8), ``note`` must be an object, ``authoredOn``
  must be the exact string ``2023-11-13T10:15:00+00:00`` (task 5/9 orders: contain
  ``2023-11-13T10:15``), dose and rate dictionaries must be exactly ``{value, unit}``, the two
  task 9 orders must come in order, answers must equal the reference list exactly.
* ``"fixed"`` (default) keeps every threshold and payload value and fixes the grader's bugs:
  posts are what the EHR holds (or what record mode accepted), a word in a message is not an
  order, ``route`` may be the R4 CodeableConcept (text or SNOMED coding) or the bare string,
  ``note`` may be the R4 list of Annotations or an object, any coding may carry the code, times
  are compared as instants, quantities may carry ``system``/``code``, IV magnesium's duration may
  be a ``rateRatio`` (g per h), task 9's orders may come in either order, and a one-value
  answer may be given without the list.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from medsim.environments.medagentbench import answers, orders
from medsim.environments.medagentbench.posts import (
    Post,
    fixed_posts,
    original_has_post,
    original_posts,
)
from medsim.grading.checkpoints.chart import NeedsStore
from medsim.grading.checkpoints.depends import Depends
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)

Json = dict[str, Any]
Rules = Literal["fixed", "original"]


class PassParams(BaseModel):
    """The category, the grading rules, and the facts the question states (not its answer)."""

    model_config = ConfigDict(extra="forbid")

    category: Literal[
        "task1", "task2", "task3", "task4", "task5", "task6", "task7", "task8", "task9", "task10"
    ]
    rules: Rules = "fixed"
    given: str | None = None  # task 1: the name and birth date asked about
    family: str | None = None
    birthdate: str | None = None
    bp: str | None = None  # task 3: the blood pressure to record
    comment: str | None = None  # task 8: the SBAR text the referral must carry


@checkpoint("medagentbench_pass", params=PassParams, depends=Depends())  # pending until the end
def medagentbench_pass(ctx: GradeContext, **params: Any) -> CheckResult:
    """MedAgentBench's pass/fail for the task (original or fixed rules), from the EHR state."""
    if not ctx.final:
        return pending("decided when the episode ends")
    p = PassParams(**params)
    record = ctx.record
    if not any(c.name == "finish" and c.error is None for c in record.tool_calls):
        return failed("no FINISH: MedAgentBench grades only episodes that finished")
    try:
        ref = answers.expected(ctx, p.category, params)
    except NeedsStore as exc:
        return pending(str(exc))
    original = p.rules == "original"
    posts = original_posts(record) if original else fixed_posts(record)
    if ref["orders"] is None:
        any_post = original_has_post(record) if original else bool(posts)
        if any_post:
            return failed(
                "an order was posted but the task needed none"
                + (" (original rule: an agent message contains 'POST')" if original else "")
            )
        if p.category == "task5" and ref.get("value") is None:
            return passed("no magnesium in the last 24 h and nothing ordered")
    else:
        problem = orders.check(p.category, ref, posts, ctx, p)
        if problem:
            return failed(problem)
    if ref["answer"] is None:
        return passed(f"{len(posts)} order(s) as required")
    verdict = _answer_ok(p.category, record.answer, ref["answer"], original)
    if verdict is None:
        return passed(f"answer {record.answer!r} matches {ref['answer']!r}")
    return failed(verdict)


def _as_list(answer: Any, original: bool) -> Any:
    if isinstance(answer, str):
        with contextlib.suppress(json.JSONDecodeError):
            answer = json.loads(answer)
    if not original and not isinstance(answer, list):
        answer = [answer]
    return answer


def _answer_ok(category: str, answer: Any, ref: list[Any], original: bool) -> str | None:
    """None when ``answer`` is right, else why not."""
    got = _as_list(answer, original)
    may_be_empty = category in ("task5", "task9", "task10")
    if may_be_empty and got == []:
        return None
    if category == "task6":
        if isinstance(got, list) and len(got) == 1 and _number(got[0]) is not None:
            value = _number(got[0])
            assert value is not None
            if abs(value - float(ref[0])) < 0.1:
                return None
        return f"answer {answer!r} is not within 0.1 of the 24 h mean {ref[0]!r}"
    if original:
        return None if got == ref else f"answer {answer!r} != reference {ref!r}"
    if not isinstance(got, list) or len(got) != len(ref):
        return f"answer {answer!r} does not have the shape of {ref!r}"
    for have, want in zip(got, ref, strict=True):
        if not _same(have, want):
            return f"answer {answer!r} != reference {ref!r}"
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _same(have: Any, want: Any) -> bool:
    if isinstance(want, int | float) and not isinstance(want, bool):
        number = _number(have)
        return number is not None and abs(number - float(want)) < 1e-9
    if isinstance(want, str) and isinstance(have, str):
        if want.lower() == "patient not found":
            return have.strip().lower().rstrip(".") == "patient not found"
        try:
            return datetime.fromisoformat(have) == datetime.fromisoformat(want)
        except ValueError:
            return have.strip() == want.strip()
    return bool(have == want)


__all__ = ["Post", "PassParams", "medagentbench_pass"]
