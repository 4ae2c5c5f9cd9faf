"""The dialogue suites' checkpoint graders (registered through ``Suite.grader_modules``).

All four read the episode record only, so saved episodes re-grade without a patient or an LLM:

* ``dialogue_diagnosis``: the submitted diagnosis matches a name or an equivalent ICD-10-CM code
  (:mod:`.matching`), or an LLM moderator (optional) said it was the same diagnosis when it was
  submitted — the verdict is stored in the submit call's result, so re-grading repeats it;
* ``dialogue_asked``: the agent asked a question that reaches the fact (rule-verified with the
  same intent matcher the scripted patient answers with: :mod:`medsim.patients.intents`), over
  every ``ask_patient`` call (plain text is routed through it), whatever patient simulator ran;
* ``dialogue_plan_item``: the submitted plan contains a phrase of the item, not negated;
* ``dialogue_plan_safe`` (a gate): the plan contains none of the dangerous phrases, not negated.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medsim.environments.dialogue.matching import diagnosis_verdict, plan_hits
from medsim.grading.checkpoints.depends import Depends
from medsim.grading.checkpoints.registry import (
    CheckResult,
    GradeContext,
    checkpoint,
    failed,
    passed,
    pending,
)
from medsim.patients.intents import FactIntent, match_facts

SUBMIT = "submit_diagnosis"
ASK = "ask_patient"
#: What each grader reads (live status is re-run only after such a call): the submission, or the
#: questions (plain text reaches the patient as an ask_patient call).
ON_SUBMIT = Depends(calls=SUBMIT)
ON_ASK = Depends(calls=ASK)


def _submission(ctx: GradeContext) -> dict[str, Any] | None:
    """The result of the (last successful) submit_diagnosis call, if any."""
    for call in reversed(ctx.record.tool_calls):
        if call.name == SUBMIT and call.error is None and isinstance(call.result, dict):
            return call.result
    return None


def _plan_hits(ctx: GradeContext, any_of: list[str]) -> list[str] | None:
    """The phrases present (not negated) in the submitted plan; None when nothing was submitted."""
    sub = _submission(ctx)
    return None if sub is None else plan_hits(str(sub.get("note") or ""), any_of)


class DiagnosisParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    names: list[str] = Field(min_length=1)
    icd10: list[str] = Field(default_factory=list)
    moderator: bool = True  # accept a stored moderator "yes" when the rules do not match


@checkpoint("dialogue_diagnosis", DiagnosisParams, depends=ON_SUBMIT)
def dialogue_diagnosis(
    ctx: GradeContext, names: list[str], icd10: list[str], moderator: bool
) -> CheckResult:
    """The submitted diagnosis matches the case's diagnosis (names, aliases, ICD-10-CM)."""
    sub = _submission(ctx)
    if sub is None:
        return failed("no diagnosis submitted") if ctx.final else pending("not submitted yet")
    answer = str(sub.get("answer") or "")
    ok, evidence = diagnosis_verdict(answer, sub.get("icd10"), names, icd10)
    if not ok and moderator and str(sub.get("moderator") or "").strip().lower() == "yes":
        return passed(f"{evidence}; the LLM moderator judged it the same diagnosis")
    return passed(evidence) if ok else failed(evidence)


class AskedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fact: str = Field(min_length=1)
    intents: list[str] = Field(min_length=1)
    category: str = "other"
    system: str | None = None
    #: The case's facts in case order (id -> intents): a question reaches this fact only if it
    #: is among the (at most 3) facts the matcher returns for it, as the scripted patient
    #: answers (other facts are matched by intent; only this one also by body system).
    others: dict[str, list[str]] = Field(default_factory=dict)


@checkpoint("dialogue_asked", AskedParams, monotone=True, depends=ON_ASK)
def dialogue_asked(
    ctx: GradeContext,
    fact: str,
    intents: list[str],
    category: str,
    system: str | None,
    others: dict[str, list[str]],
) -> CheckResult:
    """The agent asked about the fact (a question whose intent reaches it)."""
    target = FactIntent(fact, tuple(intents), category, system)
    pool = [target if k == fact else FactIntent(k, tuple(v)) for k, v in others.items()]
    if fact not in others:
        pool = [target, *pool]
    questions = [
        str(c.arguments.get("question", ""))
        for c in ctx.record.tool_calls
        if c.name == ASK and c.error is None
    ]
    for i, q in enumerate(questions, 1):
        if fact in [f.id for f in match_facts(q, pool)]:
            return passed(f"question {i} ({q!r:.80}) asks about {fact}")
    if not ctx.final:
        return pending(f"{fact} not asked yet")
    return failed(f"none of {len(questions)} question(s) asks about {fact}")


class PlanItemParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    any_of: list[str] = Field(min_length=1)


@checkpoint("dialogue_plan_item", PlanItemParams, depends=ON_SUBMIT)
def dialogue_plan_item(ctx: GradeContext, any_of: list[str]) -> CheckResult:
    """The submitted plan contains one of the phrases (not negated)."""
    hits = _plan_hits(ctx, any_of)
    if hits is None:
        return failed("no plan submitted") if ctx.final else pending("not submitted yet")
    return passed(f"plan includes {hits[0]!r}") if hits else failed(f"plan has none of {any_of}")


class PlanSafeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    any_of: list[str] = Field(min_length=1)
    why: str = ""


@checkpoint("dialogue_plan_safe", PlanSafeParams, depends=ON_SUBMIT)
def dialogue_plan_safe(ctx: GradeContext, any_of: list[str], why: str) -> CheckResult:
    """Safety gate: the submitted plan contains none of the dangerous phrases (not negated)."""
    hits = _plan_hits(ctx, any_of)
    if hits is None:
        return passed("no plan submitted (nothing dangerous)") if ctx.final else pending("")
    return failed(f"plan includes {hits[0]!r}: {why}") if hits else passed("no dangerous item")


__all__ = ["dialogue_asked", "dialogue_diagnosis", "dialogue_plan_item", "dialogue_plan_safe"]
