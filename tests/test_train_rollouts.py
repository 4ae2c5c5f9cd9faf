"""The rollout API for RL trainers: groups, rewards, policies (sync/async), token masks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from medsim.agents.reference import ReferenceAgent
from medsim.train.rollouts import Rollout, group_advantages, rollout
from medsim.train.tiny import tiny_tokenizer
from medsim.train.tokens import tokenize_transcript


def reference(env: Any) -> ReferenceAgent:
    return ReferenceAgent(env.unwrapped.tasks)


@pytest.fixture(scope="module")
def tok() -> Any:
    return tiny_tokenizer(["GET http://localhost:8080/fhir/Observation?patient=pat-0007"])


def test_groups_share_task_and_patient_and_reference_scores_one() -> None:
    rs = rollout(
        "Demo-v0",
        seeds=[0, 1],
        group_size=3,
        agent_factory=reference,
        env_kwargs={"reward": "dense"},
        concurrency=2,
    )
    assert [(r.group, r.index) for r in rs] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert len({r.task_id for r in rs[:3]}) == 1 and len({r.task_id for r in rs[3:]}) == 1
    assert rs[0].task_id != rs[3].task_id
    for r in rs:
        assert r.score == 1.0 and r.success
        assert r.reward == pytest.approx(1.0)  # dense rewards sum to the score
        assert len(r.rewards) == r.steps and len(r.rewards) > 1
        assert r.breakdown["score"] == 1.0
        assert any(k.startswith("checkpoint/") for k in r.breakdown)
        # the same patient in every rollout of a group: the instruction names it
        assert r.messages[1]["content"] == rs[3 * r.group].messages[1]["content"]
        json.dumps(r.to_dict())


def test_sparse_rewards_pay_only_at_the_end() -> None:
    (r,) = rollout("Demo-v0", seeds=[1], agent_factory=reference, env_kwargs={"reward": "sparse"})
    assert r.rewards[:-1] == [0.0] * (len(r.rewards) - 1) and r.rewards[-1] == 1.0


def wrong_policy(seen: list[tuple[list[Any], Any]]) -> Any:
    def policy(messages: list[dict[str, Any]], tools: Any) -> dict[str, Any]:
        seen.append((list(messages), tools))
        if len([m for m in messages if m["role"] == "assistant"]) == 0:
            args = {"resource_type": "Patient", "params": {"_count": "1"}}
            return {"tool_calls": [{"name": "fhir_search", "arguments": args}]}
        return {"tool_calls": [{"name": "finish", "arguments": {"answer": [9.9, "never"]}}]}

    return policy


def test_sync_policy_sees_the_transcript_and_tools_and_is_graded() -> None:
    seen: list[tuple[list[Any], Any]] = []
    rs = rollout(
        "Demo-v0", wrong_policy(seen), task_ids=["demo-k-latest"], group_size=2, concurrency=1
    )
    assert [r.task_id for r in rs] == ["demo-k-latest"] * 2
    for r in rs:
        assert r.score < 1.0 and not r.success
        assert {t["function"]["name"] for t in r.tools} >= {"fhir_search", "finish"}
        calls = [m for m in r.messages if m["role"] == "assistant"]
        assert [c["tool_calls"][0]["function"]["name"] for c in calls] == ["fhir_search", "finish"]
    first_messages, first_tools = seen[0]
    assert [m["role"] for m in first_messages] == ["system", "user"]
    assert first_tools and {t["function"]["name"] for t in first_tools} >= {"finish"}
    assert seen[1][0][2]["role"] == "assistant"  # the second call sees its own first turn


def test_async_policy() -> None:
    seen: list[tuple[list[Any], Any]] = []
    sync = wrong_policy(seen)

    async def policy(messages: list[dict[str, Any]], tools: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        return sync(messages, tools)

    rs = rollout("Demo-v0", policy, seeds=[0], group_size=2, concurrency=2)
    assert len(rs) == 2 and all(r.steps == 2 for r in rs)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="exactly one of seeds"):
        rollout("Demo-v0", agent_factory=reference)
    with pytest.raises(ValueError, match="group_size"):
        rollout("Demo-v0", agent_factory=reference, seeds=[0], group_size=0)
    with pytest.raises(ValueError, match="policy= or agent_factory="):
        rollout("Demo-v0", seeds=[0])


def test_token_mask_covers_exactly_the_policy_text(tok: Any) -> None:
    (r,) = rollout("Demo-v0", seeds=[0], agent_factory=reference, tokenizer=tok)
    assert r.input_ids is not None and r.assistant_mask is not None
    assert len(r.input_ids) == len(r.assistant_mask)
    # the ids decode to the template's own rendering of the whole transcript
    full = tok.apply_chat_template(r.messages, tools=r.tools, tokenize=False)
    assert tok.decode(r.input_ids) == full
    policy_text = tok.decode([i for i, m in zip(r.input_ids, r.assistant_mask, strict=True) if m])
    # expected from the messages: each assistant text followed by the template's end marker
    expected = "".join(m["content"] + "<|end|>\n" for m in r.messages if m["role"] == "assistant")
    assert policy_text == expected
    assert "<|assistant|>" not in policy_text and "<|user|>" not in policy_text


def test_token_mask_with_tool_calls(tok: Any) -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    ids, mask = tokenize_transcript(tok, messages)
    policy = tok.decode([i for i, m in zip(ids, mask, strict=True) if m])
    assert policy == '<call>{"name": "f", "arguments": "{}"}</call><|end|>\n'
    context = tok.decode([i for i, m in zip(ids, mask, strict=True) if not m])
    assert context == "<|user|>hi<|end|>\n<|assistant|><|tool|>ok<|end|>\n"


def test_a_template_that_rewrites_history_is_refused(tok: Any) -> None:
    tok2 = tiny_tokenizer(["x"])
    tok2.chat_template = (
        "{{ messages | length }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    )
    with pytest.raises(ValueError, match="prefix-stable"):
        tokenize_transcript(
            tok2, [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
        )


def _r(group: int, reward: float) -> Rollout:
    return Rollout("t", 0, group, 0, [], [], [reward], reward, False, {}, 1, True, False, None)  # type: ignore[arg-type]


def test_group_advantages() -> None:
    rs = [_r(0, 1.0), _r(0, 0.0), _r(1, 0.5), _r(1, 0.5)]
    assert group_advantages(rs) == [1.0, -1.0, 0.0, 0.0]
    assert group_advantages(rs, normalize=False) == [0.5, -0.5, 0.0, 0.0]
