"""make_client spec strings, and the stub server's own contract (raw HTTP)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from medsim.llm import make_client
from medsim.llm.fake import FakeClient
from medsim.llm.langchain_client import LangChainClient
from medsim.llm.openai_client import OpenAIClient
from medsim.llm.replay import ReplayClient
from medsim.llm.stub_server import StubServer
from tests.llm.llm_test_helpers import USER


def test_openai_spec_with_base_url(stub: StubServer) -> None:
    c = make_client(f"openai:Qwen/Qwen3-8B@{stub.base_url}", api_key="dummy")
    assert isinstance(c, OpenAIClient) and c.model == "Qwen/Qwen3-8B"
    assert c.complete(USER).content == "default reply"
    assert stub.requests[0]["model"] == "Qwen/Qwen3-8B"


def test_langchain_spec(stub: StubServer) -> None:
    c = make_client(f"langchain:gpt-4o-mini@{stub.base_url}", api_key="dummy")
    assert isinstance(c, LangChainClient)
    assert c.complete(USER).content == "default reply"


def test_openai_spec_without_key_names_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        make_client("openai:gpt-4.1-mini")


def test_fake_specs() -> None:
    fixed = make_client("fake:I am fine")
    assert isinstance(fixed, FakeClient)
    assert [fixed.complete(USER).content for _ in range(2)] == ["I am fine"] * 2
    assert make_client("fake").complete(USER).content == "OK"
    scripted = make_client("fake", script=["a", "b"])
    assert [scripted.complete(USER).content for _ in range(2)] == ["a", "b"]
    with pytest.raises(ValueError, match="not both"):
        make_client("fake:x", script=["a"])


def test_replay_spec(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    ReplayClient(path, record_from=FakeClient(["rec"])).complete(USER)
    c = make_client(f"replay:{path}")
    assert c.complete(USER).content == "rec"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "non-empty"),
        ("anthropic:claude", "unknown LLM client kind 'anthropic'"),
        ("openai:", "names no model"),
        ("transformers:", "needs a model path"),
        ("replay:", "needs a JSONL path"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_client(spec, api_key="dummy")


def test_transformers_spec_without_packages_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ImportError, match=r"pip install 'medsim\[local\]'"):
        make_client("transformers:/models/any")


def test_stub_raw_http_contract(stub: StubServer) -> None:
    url = stub.base_url
    assert url.startswith("http://127.0.0.1:")
    bad_path = httpx.post(url.replace("/v1", "/v2/x"), json={})
    assert bad_path.status_code == 404
    not_json = httpx.post(f"{url}/chat/completions", content=b"{{{")
    assert not_json.status_code == 400
    stub.fail("503")
    assert httpx.post(f"{url}/chat/completions", json={"model": "m"}).status_code == 503
    ok = httpx.post(f"{url}/chat/completions", json={"model": "m", "messages": USER}).json()
    assert ok["choices"][0]["message"] == {"role": "assistant", "content": "default reply"}
    assert ok["usage"] == {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    assert len(stub.requests) == 2  # the two well-formed chat requests


def test_stub_callable_script_and_bad_failure_kind() -> None:
    with StubServer(lambda body: f"you said {body['messages'][-1]['content']}") as s:
        r = httpx.post(f"{s.base_url}/chat/completions", json={"messages": USER}).json()
        assert r["choices"][0]["message"]["content"] == f"you said {USER[0]['content']}"
        with pytest.raises(ValueError, match="unknown failure kind"):
            s.fail("418")
    with pytest.raises(RuntimeError, match="not running"):
        _ = StubServer().base_url
