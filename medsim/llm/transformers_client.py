"""TransformersClient: a local Hugging Face causal LM behind the ChatClient protocol.

The prompt is built with the tokenizer's chat template (tools passed to it as JSON schemas),
decoding is greedy by default and seedable when sampling, and tool calls are read back from the
generated text in the two common open-model forms: `<tool_call>{...}</tool_call>` blocks
(Hermes/Qwen) or a reply that is a single `{"name": ..., "arguments": ...}` object (Llama 3).
torch and transformers are imported only when a client is built (`pip install 'medsim[local]'`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from typing import Any

from medsim.llm.base import BaseChatClient
from medsim.llm.messages import normalize_tool_call
from medsim.llm.pricing import PriceTable
from medsim.llm.types import ChatResponse, Message, Tool, Usage

_TOOL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def _import_local() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ImportError(
            "TransformersClient needs torch and transformers, which are not installed: "
            "pip install 'medsim[local]'"
        ) from exc
    return torch, transformers


def _as_call(obj: Any, index: int) -> dict[str, Any] | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        return None
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            return None
    if not isinstance(args, dict):
        return None
    return normalize_tool_call({"name": obj["name"], "arguments": args, "id": f"call_{index}"})


def parse_tool_calls(text: str) -> tuple[str, list[dict[str, Any]]]:
    """(remaining text, OpenAI tool_calls) read from a model's raw output. Blocks that are not
    valid calls stay in the text, so nothing the model said is silently dropped."""
    calls: list[dict[str, Any]] = []

    def take(match: re.Match[str]) -> str:
        try:
            call = _as_call(json.loads(match.group(1)), len(calls))
        except json.JSONDecodeError:
            call = None
        if call is None:
            return match.group(0)
        calls.append(call)
        return ""

    rest = _TOOL_BLOCK.sub(take, text).strip()
    if not calls and rest.startswith("{"):
        try:
            call = _as_call(json.loads(rest), 0)
        except json.JSONDecodeError:
            call = None
        if call is not None:
            return "", [call]
    return rest, calls


def template_messages(messages: list[Message]) -> list[Message]:
    """Messages as HF chat templates expect them: tool-call arguments as dicts, not JSON text."""
    out: list[Message] = []
    for m in messages:
        m = dict(m)
        if m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                fn = dict(c.get("function", {}))
                if isinstance(fn.get("arguments"), str):
                    with contextlib.suppress(json.JSONDecodeError):
                        fn["arguments"] = json.loads(fn["arguments"])
                calls.append({**c, "function": fn})
            m["tool_calls"] = calls
        if m.get("content") is None:
            m["content"] = ""
        out.append(m)
    return out


class TransformersClient(BaseChatClient):
    """A ChatClient over a local transformers model.

    Args:
        model_or_path: a local folder or hub name (loaded with AutoModelForCausalLM), or a model.
        tokenizer: a tokenizer (default: loaded from `model_or_path`); it needs a chat template.
        max_new_tokens: the default generation length (per call: `max_tokens=`).
        temperature: 0 means greedy (the default); > 0 samples, seeded by `seed` (per call: `seed=`).
        device: torch device for the model ("cpu" by default).
        model_kwargs: extra from_pretrained arguments (dtype, local_files_only, ...).
    """

    def __init__(
        self,
        model_or_path: str | os.PathLike[str] | Any,
        tokenizer: Any = None,
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        device: str = "cpu",
        model_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        torch, transformers = _import_local()
        self._torch = torch
        if isinstance(model_or_path, str | os.PathLike):
            source = os.fspath(model_or_path)
            tokenizer = tokenizer or transformers.AutoTokenizer.from_pretrained(source)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                source, **(model_kwargs or {})
            )
            name = source
        else:
            model = model_or_path
            name = str(getattr(model.config, "name_or_path", "") or type(model).__name__)
        if tokenizer is None:
            raise ValueError("TransformersClient: pass tokenizer= when passing a model object")
        if not getattr(tokenizer, "chat_template", None):
            raise ValueError(f"TransformersClient({name!r}): the tokenizer has no chat template")
        kwargs.setdefault("prices", PriceTable({}))  # local inference costs no API money
        kwargs.setdefault("timeout", None)
        super().__init__(name, **kwargs)
        self.tokenizer = tokenizer
        self.hf_model = model.to(device).eval()
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed
        self._lock = threading.Lock()  # generation and torch's global seed are not shared-safe

    def render(self, messages: list[Message], tools: list[Tool] | None = None) -> str:
        """The prompt text the model sees (chat template with the generation prompt)."""
        text = self.tokenizer.apply_chat_template(
            template_messages(messages),
            tools=tools or None,
            add_generation_prompt=True,
            tokenize=False,
        )
        return str(text)

    def _call(self, messages: list[Message], tools: list[Tool] | None, opts: dict) -> ChatResponse:
        torch = self._torch
        prompt = self.render(messages, tools)
        encoded = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        encoded = {k: v.to(self.device) for k, v in encoded.items()}
        temperature = float(opts.get("temperature", self.temperature))
        generate: dict[str, Any] = {
            "max_new_tokens": int(
                opts.get("max_tokens", opts.get("max_new_tokens", self.max_new_tokens))
            ),
            "do_sample": temperature > 0,
            "pad_token_id": self.tokenizer.pad_token_id
            if self.tokenizer.pad_token_id is not None
            else self.tokenizer.eos_token_id,
        }
        if temperature > 0:
            generate["temperature"] = temperature
            generate["top_p"] = float(opts.get("top_p", 1.0))
        with self._lock, torch.no_grad():
            torch.manual_seed(int(opts.get("seed", self.seed)))
            output = self.hf_model.generate(**encoded, **generate)
        prompt_len = int(encoded["input_ids"].shape[1])
        new_tokens = output[0, prompt_len:]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        content, calls = parse_tool_calls(text) if tools else (text, [])
        message: Message = {"role": "assistant", "content": content or (None if calls else "")}
        if calls:
            message["tool_calls"] = calls
        usage = Usage(prompt_tokens=prompt_len, completion_tokens=int(new_tokens.shape[0]))
        finish = (
            "tool_calls"
            if calls
            else ("length" if usage.completion_tokens >= generate["max_new_tokens"] else "stop")
        )
        return ChatResponse(message=message, usage=usage, model=self.model, finish_reason=finish)
