"""FakeClient and ReplayClient: scripted and recorded replies, offline and deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medsim.llm.errors import LLMError, ReplayMissError, TransientLLMError
from medsim.llm.fake import FakeClient
from medsim.llm.replay import ReplayClient, replay_key
from medsim.llm.types import ChatResponse, Usage
from tests.llm.llm_test_helpers import LOOKUP_TOOL, USER


def test_list_script_in_order_and_calls_recorded() -> None:
    fake = FakeClient(["one", {"content": "two"}])
    assert fake.complete(USER).content == "one"
    assert fake.complete(USER, tools=[LOOKUP_TOOL], temperature=0).content == "two"
    assert fake.remaining == 0
    assert [c["opts"] for c in fake.calls] == [{}, {"temperature": 0}]
    assert fake.calls[1]["tools"] == [LOOKUP_TOOL]


def test_exhausted_script_is_a_clear_error_not_retried() -> None:
    fake = FakeClient(["only"])
    fake.complete(USER)
    with pytest.raises(LLMError, match="exhausted"):
        fake.complete(USER)
    assert len(fake.calls) == 2


def test_callable_script_sees_messages() -> None:
    fake = FakeClient(lambda messages, tools: f"echo: {messages[-1]['content']}")
    assert fake.complete(USER).content == f"echo: {USER[0]['content']}"
    assert fake.remaining is None


def test_loose_tool_calls_become_openai_shape() -> None:
    fake = FakeClient([{"tool_calls": [{"name": "lookup_lab", "arguments": {"loinc": "2823-3"}}]}])
    r = fake.complete(USER, tools=[LOOKUP_TOOL])
    assert r.finish_reason == "tool_calls"
    assert r.tool_calls == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "lookup_lab", "arguments": '{"loinc": "2823-3"}'},
        }
    ]


def test_scripted_exceptions_go_through_shared_retry() -> None:
    fake = FakeClient([TimeoutError("slow"), TransientLLMError("rate_limit", "429"), "ok"])
    assert fake.complete(USER).content == "ok"
    assert fake.usage.failed == 2 and fake.usage.calls == 1
    fake2 = FakeClient([TimeoutError("a"), TimeoutError("b"), TimeoutError("c"), "never"])
    with pytest.raises(LLMError) as info:
        fake2.complete(USER)
    assert [a.kind for a in info.value.attempts] == ["timeout"] * 3
    assert fake2.remaining == 1


def test_non_retryable_exception_is_raised_at_once() -> None:
    fake = FakeClient([PermissionError("denied"), "unreached"])
    with pytest.raises(LLMError, match="not retryable"):
        fake.complete(USER)
    assert fake.remaining == 1


def test_scripted_chat_response_is_copied() -> None:
    canned = ChatResponse({"role": "assistant", "content": "x"}, Usage(1, 2), "fake")
    fake = FakeClient([canned, canned])
    fake.complete(USER)
    fake.complete(USER)
    assert canned.usage.calls == 0  # accounting did not mutate the script
    assert fake.usage.prompt_tokens == 2


def test_bad_scripted_reply_is_rejected() -> None:
    with pytest.raises(LLMError, match="unknown keys"):
        FakeClient([{"text": "wrong key"}]).complete(USER)


def test_fake_cost_uses_price_table() -> None:
    fake = FakeClient(["x" * 400], model="gpt-4.1")
    r = fake.complete(USER)
    assert r.usage.completion_tokens > 0
    assert r.usage.cost_usd == pytest.approx(
        (r.usage.prompt_tokens * 2.0 + r.usage.completion_tokens * 8.0) / 1e6
    )


def test_replay_records_then_replays(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    live = FakeClient(["recorded answer"], model="gpt-4.1-mini")
    recorder = ReplayClient(path, record_from=live)
    assert recorder.complete(USER, temperature=0).content == "recorded answer"
    assert recorder.model == "gpt-4.1-mini"
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["key"] == replay_key(
        USER, None, {"temperature": 0}
    )

    replay = ReplayClient(path)
    r = replay.complete(USER, temperature=0)
    assert r.content == "recorded answer"
    assert r.usage.cost_usd == 0.0 and replay.usage.calls == 1
    assert len(live.calls) == 1  # replay did not ask the live client


def test_replay_miss_names_key(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text("")
    other = [{"role": "user", "content": "unrecorded"}]
    with pytest.raises(ReplayMissError) as info:
        ReplayClient(path).complete(other)
    assert replay_key(other, None, {}) in str(info.value)


def test_replay_missing_file_and_bad_lines(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing to replay"):
        ReplayClient(tmp_path / "absent.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"key": "k", "response": {}}\nnot json\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        ReplayClient(bad)
