"""The real openai SDK code path against the local stub server: no network, a dummy key."""

from __future__ import annotations

import asyncio
import json

import pytest

from medsim.llm.base import RetryPolicy
from medsim.llm.cache import KVCache
from medsim.llm.errors import LLMError
from medsim.llm.openai_client import OpenAIClient
from medsim.llm.stub_server import StubServer
from medsim.llm.types import Usage
from tests.llm.llm_test_helpers import FAST_RETRY, LOOKUP_TOOL, POTASSIUM_LOINC, USER, no_sleep


def client(stub: StubServer, model: str = "gpt-4.1-mini", **kw: object) -> OpenAIClient:
    kw.setdefault("retry", FAST_RETRY)
    kw.setdefault("sleep", no_sleep)
    return OpenAIClient(model, base_url=stub.base_url, api_key="dummy", **kw)  # type: ignore[arg-type]


def test_text_reply_and_request_recorded(stub: StubServer) -> None:
    stub.set_script(["Potassium is 4.1 mmol/L."])
    r = client(stub).complete(USER, temperature=0)
    assert r.content == "Potassium is 4.1 mmol/L."
    assert r.message["role"] == "assistant" and "tool_calls" not in r.message
    assert r.finish_reason == "stop" and not r.cached
    assert stub.requests[0]["messages"] == USER
    assert stub.requests[0]["temperature"] == 0
    assert stub.requests[0]["model"] == "gpt-4.1-mini"


def test_tool_call_round_trip(stub: StubServer) -> None:
    stub.set_script(
        [
            {
                "tool_calls": [
                    {"id": "c1", "name": "lookup_lab", "arguments": {"loinc": POTASSIUM_LOINC}}
                ]
            },
            "Potassium is 4.1 mmol/L.",
        ]
    )
    c = client(stub)
    first = c.complete(USER, tools=[LOOKUP_TOOL])
    assert first.finish_reason == "tool_calls"
    assert first.message["content"] is None
    (call,) = first.tool_calls
    assert call["id"] == "c1" and call["type"] == "function"
    assert call["function"]["name"] == "lookup_lab"
    assert json.loads(call["function"]["arguments"]) == {"loinc": POTASSIUM_LOINC}
    assert stub.requests[0]["tools"] == [LOOKUP_TOOL]

    history = [
        *USER,
        first.message,
        {"role": "tool", "tool_call_id": "c1", "content": '{"value": 4.1, "unit": "mmol/L"}'},
    ]
    second = c.complete(history, tools=[LOOKUP_TOOL])
    assert second.content == "Potassium is 4.1 mmol/L."
    sent = stub.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "lookup_lab"
    assert sent[2] == history[2]


@pytest.mark.parametrize("kind", ["429", "500", "503", "malformed", "no_choices"])
def test_transient_failures_are_retried(stub: StubServer, kind: str) -> None:
    stub.fail(kind, times=2)
    c = client(stub)
    r = c.complete(USER)
    assert r.content == "default reply"
    assert len(stub.requests) == 3
    assert c.usage.failed == 2 and c.usage.calls == 1


def test_rate_limit_beyond_bounded_tries_is_an_error_listing_each_try(stub: StubServer) -> None:
    stub.fail("429", times=5)
    delays: list[float] = []
    c = client(
        stub, retry=RetryPolicy(max_tries=3, base_delay=1.0, jitter=0.0), sleep=delays.append
    )
    with pytest.raises(LLMError) as info:
        c.complete(USER)
    assert len(stub.requests) == 3
    assert [a.kind for a in info.value.attempts] == ["rate_limit"] * 3
    assert [a.status for a in info.value.attempts] == [429] * 3
    assert delays == [1.0, 2.0]  # exponential backoff between the three tries
    assert "after 3 tries" in str(info.value)


def test_timeout_becomes_llm_error_after_bounded_tries(stub: StubServer) -> None:
    stub.fail("timeout", times=2)
    c = client(stub, timeout=0.3, retry=RetryPolicy(max_tries=2, base_delay=0.0))
    with pytest.raises(LLMError) as info:
        c.complete(USER)
    assert [a.kind for a in info.value.attempts] == ["timeout", "timeout"]
    assert len(stub.requests) == 2


def test_client_errors_are_not_retried(stub: StubServer) -> None:
    stub.set_script([])
    stub.default_reply = None  # the stub answers 400: nothing left
    c = client(stub)
    with pytest.raises(LLMError) as info:
        c.complete(USER)
    assert len(stub.requests) == 1
    assert info.value.attempts[0].status == 400
    assert "not retryable" in str(info.value)


def test_cost_accounting_from_price_table(stub: StubServer) -> None:
    shared = Usage()
    c = client(stub, model="gpt-4.1-mini", usage=shared)
    c.complete(USER)
    c.complete(USER)
    # gpt-4.1-mini: $0.40 / 1M input, $1.60 / 1M output; the stub reports 100 + 20 tokens.
    assert shared.prompt_tokens == 200 and shared.completion_tokens == 40
    assert shared.cost_usd == pytest.approx(2 * (100 * 0.4 + 20 * 1.6) / 1e6)
    assert shared.to_dict()["calls"] == 2


def test_unknown_model_costs_nothing(stub: StubServer) -> None:
    c = client(stub, model="local-qwen")
    r = c.complete(USER)
    assert r.usage.prompt_tokens == 100 and r.usage.cost_usd == 0.0


def test_cache_hit_avoids_second_request(stub: StubServer, tmp_path: object) -> None:
    cache = KVCache(f"{tmp_path}/cache.sqlite")
    c = client(stub, cache=cache)
    a = c.complete(USER, temperature=0)
    b = c.complete(USER, temperature=0)
    assert len(stub.requests) == 1
    assert b.cached and not a.cached and b.message == a.message
    assert c.usage.calls == 1 and c.usage.cached == 1
    c.complete(USER, temperature=0.5)  # other options: a different key
    assert len(stub.requests) == 2
    # a new client over the same file (a later run) hits the cache too
    again = client(stub, cache=KVCache(f"{tmp_path}/cache.sqlite"))
    assert again.complete(USER, temperature=0).cached
    assert len(stub.requests) == 2


def test_missing_api_key_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDSIM_TEST_KEY", raising=False)
    with pytest.raises(ValueError, match="MEDSIM_TEST_KEY"):
        OpenAIClient("gpt-4.1-mini", api_key_env="MEDSIM_TEST_KEY")


def test_api_key_from_env(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDSIM_TEST_KEY", "from-env")
    c = OpenAIClient("m", base_url=stub.base_url, api_key_env="MEDSIM_TEST_KEY")
    assert c.complete(USER).content == "default reply"


def test_async_complete_with_retry(stub: StubServer) -> None:
    stub.fail("500")
    stub.set_script([{"tool_calls": [{"name": "lookup_lab", "arguments": {"loinc": "2823-3"}}]}])
    c = client(stub)

    async def run() -> list[str]:
        first = await c.acomplete(USER, tools=[LOOKUP_TOOL])
        rest = await asyncio.gather(*(c.acomplete(USER, seed=i) for i in range(3)))
        return [first.tool_calls[0]["function"]["name"]] + [r.content for r in rest]

    assert asyncio.run(run()) == ["lookup_lab"] + ["default reply"] * 3
    assert c.usage.failed == 1 and c.usage.calls == 4


def test_bad_request_shape_is_rejected_before_sending(stub: StubServer) -> None:
    c = client(stub)
    with pytest.raises(ValueError, match="messages"):
        c.complete([])
    with pytest.raises(ValueError, match=r"messages\[0\]"):
        c.complete([{"content": "no role"}])
    with pytest.raises(ValueError, match=r"tools\[0\]"):
        c.complete(USER, tools=[{"name": "bare"}])
    assert stub.requests == []


def test_async_across_event_loops(stub: StubServer) -> None:
    """Each asyncio.run has its own loop; the client must not reuse a pool from a closed one."""
    c = client(stub)
    for _ in range(2):
        assert asyncio.run(c.acomplete(USER)).content == "default reply"
