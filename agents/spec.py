"""``make_agent(spec, env)``: build an agent from the short spec strings ``medsim eval`` takes.

reference | oracle             the task's reference solution
random                         random valid tool calls
openai:MODEL[@BASE_URL]        OpenAIAgent (any OpenAI-compatible server)
langchain:MODEL[@BASE_URL]     LangChainAgent over langchain-openai's ChatOpenAI
hf:PATH                        HFAgent on a local transformers model folder
text:CLIENT_SPEC               TextProtocolAgent over any medsim.llm client spec,
                               e.g. text:openai:gpt-4.1-mini@http://127.0.0.1:8000/v1
"""

from __future__ import annotations

from typing import Any

KINDS = ("reference", "oracle", "random", "openai", "langchain", "hf", "text")


def split_spec(spec: str) -> tuple[str, str]:
    """``"openai:gpt-4.1@url"`` -> ``("openai", "gpt-4.1@url")``; unknown kinds are a ValueError."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("an agent spec must be a non-empty string such as 'openai:gpt-4.1-mini'")
    kind, _, arg = spec.strip().partition(":")
    if kind not in KINDS:
        raise ValueError(f"unknown agent kind {kind!r} in {spec!r}; expected one of {list(KINDS)}")
    if kind in ("openai", "langchain", "hf", "text") and not arg:
        raise ValueError(f"agent spec {spec!r} names no model (e.g. '{kind}:MODEL')")
    return kind, arg


def model_of(spec: str) -> str | None:
    """The model an agent spec names (without the base URL), or None for scripted agents."""
    kind, arg = split_spec(spec)
    if kind == "text":
        arg = arg.partition(":")[2] or arg
    return arg.rsplit("@", 1)[0] if arg else None


def make_agent(
    spec: str,
    env: Any,
    *,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    client_options: dict[str, Any] | None = None,
) -> Any:
    """The agent ``spec`` names, bound to ``env`` (whose tasks/action space it may need).

    ``options`` are per-call model options (temperature, reasoning_effort, parallel_tool_calls);
    ``client_options`` go to the LLM client (api_key, timeout, retry, cache).
    """
    kind, arg = split_spec(spec)
    if kind in ("reference", "oracle"):
        from medsim.agents.reference import ReferenceAgent

        return ReferenceAgent(env.unwrapped.tasks)
    if kind == "random":
        from medsim.agents.random_agent import RandomAgent

        return RandomAgent(env.action_space, seed=seed)
    copts = dict(client_options or {})
    opts = dict(options or {})
    if kind == "openai":
        from medsim.agents.openai_agent import OpenAIAgent

        model, _, url = arg.partition("@")
        return OpenAIAgent(model, base_url=url or None, options=opts, client_options=copts)
    if kind == "langchain":
        from medsim.agents.langchain_agent import LangChainAgent

        model, _, url = arg.partition("@")
        return LangChainAgent.openai(
            model, base_url=url or None, options=opts, client_options=copts
        )
    if kind == "hf":
        from medsim.agents.hf_agent import HFAgent

        return HFAgent(arg, options=opts, client_options=copts)
    from medsim.agents.text_protocol import TextProtocolAgent
    from medsim.llm.spec import make_client

    return TextProtocolAgent(make_client(arg, **copts), options=opts)
