"""HealthBench-style rubric: pure scoring, LLM judging (FakeClient judges), rule verifiers, jury."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from medsim.grading.rubric import (
    RubricCriterion,
    aggregate_scores,
    ajudge_rubric,
    judge_rubric,
    score_rubric,
    tag_scores,
)
from medsim.grading.rubric_judge import (
    JudgeReplyError,
    Jury,
    RubricJudge,
    parse_judgement,
    render_conversation,
)
from medsim.llm.cache import KVCache
from medsim.llm.errors import TransientLLMError
from medsim.llm.fake import FakeClient

CONVO = [
    {"role": "system", "content": "You are a clinical assistant."},
    {"role": "user", "content": "My father has atrial fibrillation. Does he need anticoagulation?"},
    {
        "role": "assistant",
        "content": "<think>score it</think>His CHA2DS2-VASc score is 4, so anticoagulation "
        "is recommended (ICD-10-CM I48.91). eGFR 52 mL/min/1.73m2.",
    },
]


def crit(cid: str, points: float, text: str | None = None, **kw: Any) -> RubricCriterion:
    return RubricCriterion(id=cid, criterion=text or f"criterion {cid}", points=points, **kw)


def verdict(met: Any, why: str = "because") -> str:
    return "```json\n" + json.dumps({"explanation": why, "criteria_met": met}) + "\n```"


def rubric_item(messages: list[dict[str, Any]]) -> str:
    """The rubric item line of a judge prompt (not the template's examples)."""
    prompt = messages[-1]["content"]
    return prompt.split("# Rubric item\n", 1)[1].split("\n", 1)[0]


def judge_from(table: dict[str, Any]) -> Callable[[list[dict[str, Any]], Any], str]:
    """A FakeClient script answering per criterion text: table[text] is the verdict."""

    def reply(messages: list[dict[str, Any]], _tools: Any) -> str:
        item = rubric_item(messages)
        for text, met in table.items():
            if item.endswith("] " + text):
                return verdict(met)
        raise AssertionError(f"unexpected rubric item {item!r}")

    return reply


HB = [crit("a", 7), crit("b", 5), crit("c", 10), crit("d", -6)]


# ---- pure scoring -------------------------------------------------------------------------


def test_healthbench_example() -> None:
    score = score_rubric(HB, {"a": True, "b": False, "c": True, "d": True})
    assert score == pytest.approx((7 + 10 - 6) / 22) == pytest.approx(0.5)


def test_no_positive_points_is_none_and_negative_scores_unclipped() -> None:
    assert score_rubric([crit("n", -3)], {"n": True}) is None
    assert score_rubric([crit("p", 2), crit("n", -8)], {"p": False, "n": True}) == -4.0


def test_missing_or_bad_decisions_and_duplicate_ids_are_errors() -> None:
    with pytest.raises(ValueError, match="'b' has no valid decision"):
        score_rubric(HB, {"a": True, "c": True, "d": True})
    with pytest.raises(ValueError, match="'a' has no valid decision"):
        score_rubric(HB, {"a": None, "b": True, "c": True, "d": True})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="duplicate"):
        score_rubric([crit("x", 1), crit("x", 2)], {"x": True})


@st.composite
def rubrics(draw: st.DrawFn) -> tuple[list[RubricCriterion], dict[str, bool]]:
    points = draw(st.lists(st.integers(-10, 10).filter(lambda p: p != 0), min_size=1, max_size=12))
    criteria = [crit(f"c{i}", p) for i, p in enumerate(points)]
    return criteria, {c.id: draw(st.booleans()) for c in criteria}


@given(rubrics())
def test_score_properties(case: tuple[list[RubricCriterion], dict[str, bool]]) -> None:
    criteria, met = case
    positive = sum(c.points for c in criteria if c.points > 0)
    negative = sum(c.points for c in criteria if c.points < 0)
    score = score_rubric(criteria, met)
    if positive == 0:
        assert score is None
        return
    assert score is not None
    assert score == pytest.approx(sum(c.points for c in criteria if met[c.id]) / positive)
    assert negative / positive - 1e-9 <= score <= 1 + 1e-9
    for (
        c
    ) in criteria:  # meeting a positive item never lowers the score, a negative one never raises it
        flipped = score_rubric(criteria, {**met, c.id: True})
        assert flipped is not None
        assert (flipped >= score - 1e-12) if c.points > 0 else (flipped <= score + 1e-12)
    best = {c.id: c.points > 0 for c in criteria}
    assert score_rubric(criteria, best) == pytest.approx(1.0)


def test_fractional_decisions_and_tag_scores() -> None:
    cs = [crit("a", 4, tags=["axis:accuracy"]), crit("b", 4, tags=["axis:completeness"])]
    assert score_rubric(cs, {"a": 0.5, "b": 1.0}) == pytest.approx(0.75)
    assert tag_scores(cs, {"a": True, "b": False}) == {
        "axis:accuracy": 1.0,
        "axis:completeness": 0.0,
    }
    with pytest.raises(ValueError, match="no valid decision"):
        score_rubric(cs, {"a": 1.5, "b": 0.0})


def test_aggregate_clips_the_mean_only() -> None:
    assert aggregate_scores([1.5, 0.9])["mean"] == 1.0
    assert aggregate_scores([-0.5, 0.1])["mean"] == 0.0
    stats = aggregate_scores([0.2, 0.4, 0.9], seed=3)
    assert stats["mean"] == pytest.approx(0.5) and stats["n_samples"] == 3
    assert stats == aggregate_scores([0.2, 0.4, 0.9], seed=3)
    assert 0 < stats["bootstrap_std"] < 0.5
    with pytest.raises(ValueError, match="at least one"):
        aggregate_scores([])


# ---- parsing judge replies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "met"),
    [
        ('{"explanation": "ok", "criteria_met": true}', True),
        ('```json\n{"explanation": "no", "criteria_met": false}\n```', False),
        ('Here is my answer:\n{"explanation": "x {y}", "criteria_met": true}\nThanks!', True),
        ('<think>{"criteria_met": false}</think>{"explanation": "e", "criteria_met": true}', True),
        ('{"criteria_met": false, "explanation": "draft"} final: {"criteria_met": true}', True),
    ],
)
def test_parse_tolerant_forms(reply: str, met: bool) -> None:
    assert parse_judgement(reply)[1] is met


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ('{"explanation": "e", "criteria_met": "true"}', "not a boolean"),
        ('{"explanation": "e", "criteria_met": 1}', "not a boolean"),
        ("I think the criterion is met.", "no JSON object"),
        ('{"explanation": "truncated", "criteria_met": tr', "no JSON object"),
        ("", "no JSON object"),
    ],
)
def test_parse_rejects_bad_replies(reply: str, problem: str) -> None:
    with pytest.raises(JudgeReplyError, match=problem):
        parse_judgement(reply)


@given(st.text(max_size=200))
def test_parse_never_crashes_otherwise(text: str) -> None:
    try:
        _, met = parse_judgement(text)
    except JudgeReplyError:
        return
    assert isinstance(met, bool)


# ---- LLM judging --------------------------------------------------------------------------


def test_healthbench_example_through_the_judge() -> None:
    fake = FakeClient(
        judge_from(
            {"criterion a": True, "criterion b": False, "criterion c": True, "criterion d": True}
        )
    )
    result = judge_rubric(CONVO, HB, fake)
    assert result.score == pytest.approx(11 / 22)
    assert result.complete and len(fake.calls) == 4  # one call per criterion
    assert {d.source for d in result.decisions.values()} == {"judge"}
    assert result.decisions["b"].met is False and result.decisions["b"].explanation == "because"


def test_judge_prompt_content() -> None:
    fake = FakeClient([verdict(True)])
    judge_rubric(CONVO, [crit("a", 7, "Recommends anticoagulation")], fake)
    (call,) = fake.calls
    prompt = call["messages"][0]["content"]
    assert rubric_item(call["messages"]) == "[7] Recommends anticoagulation"
    assert "user: My father has atrial fibrillation" in prompt
    assert "You are a clinical assistant" not in prompt  # system turns left out
    assert "<think>" not in prompt and "assistant: His CHA2DS2-VASc score is 4" in prompt
    assert prompt.index('"explanation"') < prompt.index('"criteria_met"')
    assert call["opts"] == {"temperature": 0.0}


def test_malformed_replies_are_retried_then_accepted() -> None:
    fake = FakeClient(["no json here", verdict("yes"), "```json\n{broken\n```", verdict(True)])
    result = judge_rubric(CONVO, [crit("a", 5)], RubricJudge(fake, max_tries=4))
    assert result.score == 1.0 and len(fake.calls) == 4
    assert len(fake.calls[0]["messages"]) == 1
    retry = fake.calls[1]["messages"]
    assert retry[0] == fake.calls[0]["messages"][0]  # same question, then the repair turns
    assert retry[1] == {"role": "assistant", "content": "no json here"}
    assert "could not be used" in retry[2]["content"] and "criteria_met" in retry[2]["content"]


def test_persistent_garbage_is_a_recorded_error_not_false() -> None:
    fake = FakeClient(["garbage"] * 3 + [verdict(True)])
    result = judge_rubric(
        CONVO, [crit("a", 5), crit("r", 1, verifier=regex("score"))], RubricJudge(fake, max_tries=3)
    )
    assert len(fake.calls) == 3  # bounded tries
    d = result.decisions["a"]
    assert d.met is None and d.error is not None and "after 3 tries" in d.error
    assert result.score is None and not result.complete
    assert result.errors[0].startswith("a: ")
    assert result.decisions["r"].met is True  # the other criteria are still decided


def test_llm_failure_is_a_recorded_error() -> None:
    fake = FakeClient([TransientLLMError("rate_limit", "429")] * 3)
    result = judge_rubric(CONVO, [crit("a", 5)], fake)
    assert result.score is None
    assert "LLM call failed" in (result.decisions["a"].error or "")
    assert "rate_limit" in (result.decisions["a"].error or "")


def test_missing_judge_for_llm_criteria() -> None:
    with pytest.raises(ValueError, match="no judge"):
        judge_rubric(CONVO, [crit("a", 5)])
    with pytest.raises(TypeError, match="judge must be"):
        judge_rubric(CONVO, [crit("a", 5)], "gpt-4.1")  # type: ignore[arg-type]


def test_judge_cache_avoids_repeat_calls() -> None:
    cache = KVCache()
    fake = FakeClient(judge_from({"criterion a": True, "criterion b": False}))
    judge = RubricJudge(fake, cache=cache)
    first = judge_rubric(CONVO, HB[:2], judge)
    second = judge_rubric(CONVO, HB[:2], judge)
    assert len(fake.calls) == 2
    assert second.score == first.score and all(d.cached for d in second.decisions.values())
    other = [*CONVO[:2], {"role": "assistant", "content": "Ask your doctor."}]
    judge_rubric(other, HB[:2], judge)
    assert len(fake.calls) == 4  # another conversation is another key
    fresh = FakeClient(judge_from({"criterion a": True}))
    judge_rubric(CONVO, HB[:1], RubricJudge(fresh, judge_id="other", cache=cache))
    assert len(fresh.calls) == 1  # another judge id is another key


def test_usage_is_accounted() -> None:
    fake = FakeClient(["junk", verdict(True), verdict(False)], model="gpt-4.1")
    result = judge_rubric(CONVO, [crit("a", 5), crit("b", 5)], RubricJudge(fake))
    assert result.usage.calls == 3  # the retried reply counts too
    assert result.usage.prompt_tokens == fake.usage.prompt_tokens > 0
    assert result.usage.cost_usd == pytest.approx(fake.usage.cost_usd) and result.usage.cost_usd > 0
    assert result.to_dict()["usage"]["calls"] == 3


def test_async_matches_sync() -> None:
    table = {"criterion a": True, "criterion b": False, "criterion c": True, "criterion d": True}
    result = asyncio.run(ajudge_rubric(CONVO, HB, FakeClient(judge_from(table)), concurrency=2))
    assert result.score == pytest.approx(0.5)
    assert list(result.decisions) == ["a", "b", "c", "d"]


# ---- rule-verified criteria ---------------------------------------------------------------


class NeverCalled(FakeClient):
    def _call(self, messages: Any, tools: Any, opts: Any) -> Any:
        pytest.fail("a rule-verified criterion was sent to the LLM")


def regex(pattern: str, **kw: Any) -> dict[str, Any]:
    return {"kind": "regex", "params": {"pattern": pattern, **kw}}


def number(**params: Any) -> dict[str, Any]:
    return {"kind": "number", "params": params}


def code(*codes: str) -> dict[str, Any]:
    return {
        "kind": "code",
        "params": {"codes": list(codes), "system": "http://hl7.org/fhir/sid/icd-10-cm"},
    }


@pytest.mark.parametrize(
    ("verifier", "met"),
    [
        (regex(r"anticoagulation"), True),
        (regex(r"ANTICOAGULATION", ignore_case=False), False),
        (regex(r"warfarin", negate=True), True),
        (number(value=4, label=r"CHA2DS2-VASc"), True),
        (number(value=3, tolerance=0.5, label=r"CHA2DS2-VASc"), False),
        (number(min=45, max=59, unit=["mL/min"]), True),
        (number(value=52, unit="mg/dL"), False),
        (number(value=55, rel_tolerance=0.1, unit="mL/min"), True),
        (number(value=4, select="first"), True),
        (number(value=4, select="last"), False),
        (code("I48.91"), True),
        (code("I48.9"), False),  # no match inside I48.91
        (code("I48"), False),  # nor a category prefix of it
        (code("I48.0", "i48.91"), True),
        (code("I10"), False),
        ({"kind": "code", "params": {"codes": ["I48.91"], "scope": "conversation"}}, True),
        ({"kind": "regex", "params": {"pattern": "Does he need", "scope": "assistant"}}, False),
        ({"kind": "regex", "params": {"pattern": "Does he need", "scope": "conversation"}}, True),
    ],
)
def test_rule_verifiers_never_call_the_llm(verifier: dict[str, Any], met: bool) -> None:
    never = NeverCalled()
    result = judge_rubric(CONVO, [crit("r", 3, verifier=verifier)], never)
    d = result.decisions["r"]
    assert d.source == "rule" and d.met is met and d.explanation
    assert never.calls == [] and result.usage.calls == 0


def test_rules_read_the_final_tool_call_arguments() -> None:
    convo: list[dict[str, Any]] = [
        {"role": "user", "content": "Compute the score."},
        {"role": "assistant", "content": "Earlier guess: 2"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c",
                    "type": "function",
                    "function": {"name": "finish", "arguments": '{"answer": "CHA2DS2-VASc 5"}'},
                }
            ],
        },
    ]
    c = crit("r", 1, verifier=number(value=5, label="VASc"))
    assert judge_rubric(convo, [c]).decisions["r"].met is True
    c2 = crit("r", 1, verifier=number(value=2))
    assert judge_rubric(convo, [c2]).decisions["r"].met is False  # only the final turn counts


def test_mixed_rubric_sends_only_llm_criteria() -> None:
    fake = FakeClient(judge_from({"Explains the stroke risk": True}))
    cs = [crit("llm", 5, "Explains the stroke risk"), crit("rule", 5, verifier=code("I48.91"))]
    result = judge_rubric(CONVO, cs, fake)
    assert len(fake.calls) == 1 and result.score == 1.0
    assert rubric_item(fake.calls[0]["messages"]) == "[5] Explains the stroke risk"


@pytest.mark.parametrize(
    ("verifier", "message"),
    [
        ({"kind": "sql", "params": {}}, "kind"),
        (regex("("), "bad pattern"),
        (regex("x", negate="yes"), "true/false"),
        (number(value=1, min=0), "either 'value'"),
        (number(), "either 'value'"),
        (number(min=5, max=1), "min > max"),
        (number(value=1, tolerance=-1), "tolerances"),
        (number(value="four"), "must be a number"),
        (number(value=1, select="middle"), "select"),
        (number(value=1, unit=3), "unit"),
        ({"kind": "code", "params": {"codes": []}}, "non-empty list"),
        ({"kind": "code", "params": {"codes": ["I10"], "scope": "everything"}}, "scope"),
        ({"kind": "regex", "params": {"pattern": "x", "flags": "i"}}, "unknown params"),
    ],
)
def test_bad_verifiers_are_rejected(verifier: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        crit("r", 1, verifier=verifier)


def test_criterion_model_matches_task_files() -> None:
    data = {
        "id": "k1",
        "criterion": "Orders potassium",
        "points": 5,
        "tags": ["axis:accuracy"],
        "verifier": {"kind": "code", "params": {"codes": ["2823-3"]}},
    }
    c = RubricCriterion.model_validate(data)
    assert c.model_dump(mode="json")["verifier"] == data["verifier"]
    with pytest.raises(ValidationError, match="extra"):
        RubricCriterion.model_validate({**data, "weight": 2})
    with pytest.raises(ValidationError, match="finite"):
        RubricCriterion.model_validate({**data, "points": float("nan")})
    with pytest.raises(ValidationError):
        RubricCriterion.model_validate({**data, "id": ""})


# ---- jury ---------------------------------------------------------------------------------


def juror(name: str, *replies: Any) -> RubricJudge:
    return RubricJudge(
        FakeClient([verdict(r) if isinstance(r, bool) else r for r in replies]), judge_id=name
    )


def test_jury_majority_and_mean() -> None:
    cs = [crit("a", 4)]
    majority = Jury([juror("j1", True), juror("j2", False), juror("j3", True)])
    r = judge_rubric(CONVO, cs, majority)
    d = r.decisions["a"]
    assert d.source == "jury" and d.met is True and r.score == 1.0
    assert [v["met"] for v in d.votes] == [True, False, True]
    mean = Jury([juror("j1", True), juror("j2", False), juror("j3", True)], mode="mean")
    assert judge_rubric(CONVO, cs, mean).score == pytest.approx(2 / 3)


def test_jury_tie_is_not_met_and_failed_judges_are_recorded() -> None:
    tie = Jury([juror("j1", True), juror("j2", False)], min_votes=2)
    assert judge_rubric(CONVO, [crit("a", 1)], tie).decisions["a"].met is False
    broken = "junk"
    jury = Jury([juror("j1", True), juror("j2", broken, broken, broken), juror("j3", True)])
    d = judge_rubric(CONVO, [crit("a", 1)], jury).decisions["a"]
    assert d.met is True and d.error is None
    assert d.votes[1]["met"] is None and "no valid verdict" in d.votes[1]["error"]
    strict = Jury([juror("j1", True), juror("j2", broken, broken, broken)], min_votes=2)
    r = judge_rubric(CONVO, [crit("a", 1)], strict)
    assert r.score is None and "1 valid votes, 2 needed" in r.errors[0]


def test_jury_async_and_validation() -> None:
    jury = Jury([juror("j1", False), juror("j2", False), juror("j3", True)])
    assert asyncio.run(ajudge_rubric(CONVO, [crit("a", 2)], jury)).score == 0.0
    with pytest.raises(ValueError, match="distinct"):
        Jury([juror("same"), juror("same")])
    with pytest.raises(ValueError, match="mode"):
        Jury([juror("j")], mode="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        Jury([])


def test_render_conversation_spells_out_tool_calls() -> None:
    text = render_conversation(
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "fhir_search", "arguments": '{"code": "2823-3"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c", "content": "K 4.1 mmol/L"},
        ]
    )
    assert text == ('assistant: [tool call] fhir_search({"code": "2823-3"})\n\ntool: K 4.1 mmol/L')


def test_conversation_shape() -> None:
    silent = judge_rubric([], [crit("r", 1, verifier=regex("anything"))])
    assert silent.score == 0.0  # an agent that said nothing is graded, not an error
    with pytest.raises(ValueError, match="list of OpenAI chat"):
        judge_rubric("hello", [crit("r", 1, verifier=regex("x"))])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"conversation\[0\]"):
        judge_rubric([{"content": "no role"}], [crit("r", 1, verifier=regex("x"))])
