"""What BaseChatClient does for every backend: backoff, classification, caching, accounting."""

from __future__ import annotations

import asyncio
import random
import threading

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.llm.base import RetryPolicy
from medsim.llm.cache import KVCache, request_key
from medsim.llm.errors import LLMError, TransientLLMError, classify
from medsim.llm.fake import FakeClient
from medsim.llm.pricing import PriceTable
from medsim.llm.types import Usage
from tests.llm.llm_test_helpers import USER


@given(
    st.integers(0, 20),
    st.floats(0, 5),
    st.floats(0, 60),
    st.floats(0, 1),
    st.integers(0, 2**32 - 1),
)
def test_backoff_is_bounded_and_jittered_down(
    i: int, base: float, cap: float, jitter: float, seed: int
) -> None:
    policy = RetryPolicy(max_tries=3, base_delay=base, max_delay=cap, jitter=jitter)
    full = min(cap, base * 2**i)
    d = policy.delay(i, random.Random(seed))
    assert full * (1 - jitter) - 1e-9 <= d <= full + 1e-9


def test_backoff_doubles_without_jitter() -> None:
    p = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=0.0)
    assert [p.delay(i, random.Random(0)) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_bad_policy_rejected() -> None:
    with pytest.raises(ValueError, match="max_tries"):
        RetryPolicy(max_tries=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError("t"), "timeout"),
        (httpx.ReadTimeout("t"), "timeout"),
        (ConnectionResetError("c"), "connection"),
        (httpx.ConnectError("c"), "connection"),
        (TransientLLMError("malformed", "m"), "malformed"),
        (KeyError("bug"), "error"),
        (ValueError("bug"), "error"),
    ],
)
def test_classify(exc: Exception, kind: str) -> None:
    assert classify(exc).kind == kind


def test_classify_by_status_code() -> None:
    class VendorError(Exception):
        def __init__(self, status_code: int) -> None:
            super().__init__(f"HTTP {status_code}")
            self.status_code = status_code

    assert classify(VendorError(429)).kind == "rate_limit"
    assert classify(VendorError(502)).kind == "server"
    assert classify(VendorError(401)).kind == "error"
    assert classify(VendorError(502)).status == 502


def test_async_timeout_bounds_every_backend() -> None:
    """A backend with no native timeout is still bounded on the async path."""

    class Slow(FakeClient):
        async def _acall(self, messages, tools, opts):  # type: ignore[no-untyped-def]
            await asyncio.sleep(30)
            raise AssertionError("not reached")

    slow = Slow(["x"], timeout=0.05, retry=RetryPolicy(max_tries=2, base_delay=0))
    with pytest.raises(LLMError) as info:
        asyncio.run(slow.acomplete(USER))
    assert [a.kind for a in info.value.attempts] == ["timeout", "timeout"]


def test_cache_key_covers_model_messages_tools_options() -> None:
    base = request_key("m", USER, None, {})
    assert base == request_key("m", [dict(USER[0])], [], {})
    assert base != request_key("m2", USER, None, {})
    assert base != request_key("m", USER, None, {"temperature": 0})
    assert base != request_key("m", [{"role": "user", "content": "other"}], None, {})
    tool = {"type": "function", "function": {"name": "f"}}
    assert base != request_key("m", USER, [tool], {})
    assert request_key("m", USER, None, {"a": 1, "b": 2}) == request_key(
        "m", USER, None, {"b": 2, "a": 1}
    )


def test_cache_is_opt_in_and_serves_repeats() -> None:
    plain = FakeClient(["a", "b"])
    assert [plain.complete(USER).content for _ in range(2)] == ["a", "b"]
    cached = FakeClient(["a", "b"], cache=KVCache())
    assert [cached.complete(USER).content for _ in range(2)] == ["a", "a"]
    assert len(cached.calls) == 1 and cached.usage.cached == 1


def test_default_opts_merge_and_enter_the_key() -> None:
    fake = FakeClient(["x", "y"], default_opts={"temperature": 0, "seed": 1}, cache=KVCache())
    fake.complete(USER)
    fake.complete(USER, temperature=0.7)
    assert [c["opts"] for c in fake.calls] == [
        {"temperature": 0, "seed": 1},
        {"temperature": 0.7, "seed": 1},
    ]


def test_failed_tries_are_not_cached() -> None:
    fake = FakeClient([TimeoutError(), TimeoutError(), TimeoutError(), "late"], cache=KVCache())
    with pytest.raises(LLMError):
        fake.complete(USER)
    assert fake.complete(USER).content == "late"


def test_usage_accumulator_is_thread_safe_and_serialisable() -> None:
    total = Usage()

    def work() -> None:
        for _ in range(1000):
            total.add(Usage(prompt_tokens=1, completion_tokens=2, cost_usd=0.5, calls=1))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert total.calls == 4000 and total.total_tokens == 12000
    data = total.to_dict()
    assert data["cost_usd"] == 2000.0 and data["total_tokens"] == 12000
    assert Usage.from_dict(data).to_dict() == data
    assert (Usage(1, 1) + Usage(2, 3)).to_dict()["total_tokens"] == 7


def test_shared_usage_totals_several_clients() -> None:
    episode = Usage()
    FakeClient(["a"], usage=episode).complete(USER)
    FakeClient(["b"], usage=episode).complete(USER)
    assert episode.calls == 2


def test_price_table_matching() -> None:
    table = PriceTable.load()
    assert table.price_of("gpt-4.1-mini-2025-04-14") == table.price_of("gpt-4.1-mini")
    assert table.price_of("gpt-4o-mini-2024-07-18") == table.price_of("gpt-4o-mini")
    assert table.price_of("gpt-4o-mini") != table.price_of("gpt-4o")
    assert table.price_of("openai/gpt-4.1") == table.price_of("gpt-4.1")
    assert table.price_of("Qwen/Qwen3-8B") is None
    assert table.cost("gpt-4.1", 1_000_000, 1_000_000) == pytest.approx(10.0)
    assert table.cost("unknown-model", 10**6, 10**6) == 0.0


def test_usage_pickles_and_deep_copies() -> None:
    import copy
    import pickle

    u = Usage(prompt_tokens=3, completion_tokens=4, cost_usd=0.25, calls=1)
    for clone in (pickle.loads(pickle.dumps(u)), copy.deepcopy(u)):
        assert clone == u
        clone.add(Usage(calls=1))  # a working lock of its own
        assert clone.calls == 2 and u.calls == 1
