"""`make_client("kind:argument", **options)`: build a ChatClient from a short spec string, as the
CLI and task files name models.

    openai:gpt-4.1-mini                      OpenAI (key from OPENAI_API_KEY)
    openai:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1   any OpenAI-compatible server
    langchain:gpt-4.1-mini[@BASE_URL]        langchain-openai ChatOpenAI
    transformers:/path/to/model              a local transformers model
    replay:/path/to/recording.jsonl          recorded replies
    fake  |  fake:Some fixed reply           scripted replies (script=[...] or the fixed text)

Options (timeout, retry, cache, usage, default_opts, api_key, ...) go to the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from medsim.llm.types import ChatClient

Builder = Callable[[str, dict[str, Any]], ChatClient]


def _split_url(arg: str, options: dict[str, Any]) -> str:
    """`model@base_url` -> model, with base_url moved into options."""
    if "@" in arg:
        arg, url = arg.rsplit("@", 1)
        options.setdefault("base_url", url)
    if not arg:
        raise ValueError("the spec names no model (expected e.g. 'openai:gpt-4.1-mini')")
    return arg


def _openai(arg: str, options: dict[str, Any]) -> ChatClient:
    from medsim.llm.openai_client import OpenAIClient

    return OpenAIClient(_split_url(arg, options), **options)


def _langchain(arg: str, options: dict[str, Any]) -> ChatClient:
    from medsim.llm.langchain_client import chat_openai_client

    return chat_openai_client(_split_url(arg, options), **options)


def _transformers(arg: str, options: dict[str, Any]) -> ChatClient:
    from medsim.llm.transformers_client import TransformersClient

    if not arg:
        raise ValueError("'transformers:' needs a model path, e.g. transformers:/models/qwen")
    return TransformersClient(arg, **options)


def _replay(arg: str, options: dict[str, Any]) -> ChatClient:
    from medsim.llm.replay import ReplayClient

    if not arg:
        raise ValueError("'replay:' needs a JSONL path, e.g. replay:tests/fixtures/judge.jsonl")
    return ReplayClient(arg, **options)


def _fake(arg: str, options: dict[str, Any]) -> ChatClient:
    from medsim.llm.fake import FakeClient

    if arg and "script" in options:
        raise ValueError("give the fake client either 'fake:TEXT' or script=..., not both")
    if "script" not in options:
        fixed = arg or "OK"
        options["script"] = lambda _messages, _tools: fixed
    return FakeClient(**options)


BUILDERS: dict[str, Builder] = {
    "openai": _openai,
    "langchain": _langchain,
    "transformers": _transformers,
    "replay": _replay,
    "fake": _fake,
}


def make_client(spec: str, **options: Any) -> ChatClient:
    """Build a client from `spec` (see module docstring); unknown kinds name the known ones."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("a client spec must be a non-empty string such as 'openai:gpt-4.1-mini'")
    kind, _, arg = spec.strip().partition(":")
    builder = BUILDERS.get(kind)
    if builder is None:
        raise ValueError(
            f"unknown LLM client kind {kind!r} in {spec!r}; expected one of {sorted(BUILDERS)}"
        )
    return builder(arg, dict(options))
