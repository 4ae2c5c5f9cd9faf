"""The real langchain-openai ChatOpenAI code path against the local stub server."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from medsim.llm.base import RetryPolicy
from medsim.llm.cache import KVCache
from medsim.llm.errors import LLMError
from medsim.llm.langchain_client import LangChainClient, chat_openai_client
from medsim.llm.stub_server import StubServer
from tests.llm.llm_test_helpers import FAST_RETRY, LOOKUP_TOOL, POTASSIUM_LOINC, USER, no_sleep


def client(stub: StubServer, **kw: object) -> LangChainClient:
    kw.setdefault("retry", FAST_RETRY)
    kw.setdefault("sleep", no_sleep)
    return chat_openai_client("gpt-4o-mini", base_url=stub.base_url, api_key="dummy", **kw)  # type: ignore[arg-type]


def test_text_reply(stub: StubServer) -> None:
    stub.set_script(["Hello from LangChain"])
    r = client(stub).complete(USER, temperature=0)
    assert r.content == "Hello from LangChain"
    assert r.model == "gpt-4o-mini"
    assert stub.requests[0]["messages"] == USER
    assert stub.requests[0]["temperature"] == 0


def test_tool_calls_through_bind_tools(stub: StubServer) -> None:
    call = {"id": "c9", "name": "lookup_lab", "arguments": {"loinc": POTASSIUM_LOINC}}
    stub.set_script([{"tool_calls": [call]}, "Potassium 4.1 mmol/L"])
    c = client(stub)
    first = c.complete(USER, tools=[LOOKUP_TOOL])
    assert stub.requests[0]["tools"][0]["function"]["name"] == "lookup_lab"
    (tc,) = first.tool_calls
    assert tc["id"] == "c9" and tc["function"]["name"] == "lookup_lab"
    assert json.loads(tc["function"]["arguments"]) == {"loinc": POTASSIUM_LOINC}
    assert first.message["content"] is None

    history = [*USER, first.message, {"role": "tool", "tool_call_id": "c9", "content": "4.1"}]
    second = c.complete(history, tools=[LOOKUP_TOOL])
    assert second.content == "Potassium 4.1 mmol/L"
    sent = stub.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "c9"
    assert sent[2] == {"role": "tool", "tool_call_id": "c9", "content": "4.1"}


@pytest.mark.parametrize("kind", ["429", "500", "malformed"])
def test_retries_transient_failures(stub: StubServer, kind: str) -> None:
    stub.fail(kind, times=2)
    c = client(stub)
    assert c.complete(USER).content == "default reply"
    assert len(stub.requests) == 3
    assert c.usage.failed == 2


def test_timeout_after_bounded_tries(stub: StubServer) -> None:
    stub.fail("timeout", times=3)
    c = client(stub, timeout=0.3, retry=RetryPolicy(max_tries=2, base_delay=0.0))
    with pytest.raises(LLMError) as info:
        c.complete(USER)
    assert [a.kind for a in info.value.attempts] == ["timeout", "timeout"]


def test_cost_and_cache(stub: StubServer) -> None:
    c = client(stub, cache=KVCache())
    c.complete(USER)
    hit = c.complete(USER)
    assert hit.cached and len(stub.requests) == 1
    # gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output; 100 + 20 tokens once.
    assert c.usage.cost_usd == pytest.approx((100 * 0.15 + 20 * 0.6) / 1e6)
    assert (c.usage.calls, c.usage.cached) == (1, 1)


def test_async(stub: StubServer) -> None:
    stub.fail("429")
    c = client(stub)
    r = asyncio.run(c.acomplete(USER))
    assert r.content == "default reply" and c.usage.failed == 1


def test_missing_key_names_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        chat_openai_client("gpt-4o-mini")


def test_any_base_chat_model() -> None:
    """LangChainClient wraps any BaseChatModel, not only ChatOpenAI."""
    model = GenericFakeChatModel(messages=iter([AIMessage(content="scripted by langchain")]))
    c = LangChainClient(model, model="generic-fake")
    r = c.complete(USER)
    assert r.content == "scripted by langchain" and r.model == "generic-fake"
    assert r.usage.cost_usd == 0.0


def test_async_across_event_loops(stub: StubServer) -> None:
    c = client(stub)
    for _ in range(2):
        assert asyncio.run(c.acomplete(USER)).content == "default reply"
