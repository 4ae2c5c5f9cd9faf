"""HFAgent: a local Hugging Face transformers model as a tool-calling agent.

The prompt is the tokenizer's chat template with the env's tools; tool calls are parsed from the
generated text (``<tool_call>{...}</tool_call>`` blocks or a bare ``{"name", "arguments"}``
reply) by :class:`medsim.llm.TransformersClient`. Needs ``pip install 'medsim[local]'``.
"""

from __future__ import annotations

from typing import Any

from medsim.agents.chat import ChatAgent
from medsim.llm.transformers_client import TransformersClient


class HFAgent(ChatAgent):
    """``HFAgent("/path/to/model")`` or ``HFAgent(model, tokenizer)`` (objects already loaded).

    ``client_options`` go to TransformersClient (``max_new_tokens``, ``device``, ...);
    ``options`` are per-call (``temperature``, ``seed``).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        *,
        options: dict[str, Any] | None = None,
        client_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        client = TransformersClient(model, tokenizer, **(client_options or {}))
        kwargs.setdefault("name", f"hf:{client.model}")
        super().__init__(client, options=options, **kwargs)
