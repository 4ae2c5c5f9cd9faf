"""``ObservationView``: how an env shows tool results to the agent, and how it counts tokens.

Built from the env options ``observation`` (``"fhir"``: the server's JSON, the default, faithful
to the original benchmarks; ``"compact"``: :mod:`medsim.observation.compact`),
``tool_output_limit`` (characters), ``tool_output_tokens`` (tokens) and ``tokenizer``
(:mod:`medsim.observation.tokens`). A result over a limit is cut page-aware
(:mod:`medsim.observation.cut`). Only the text the agent reads changes: the episode record keeps
every raw result, and graders read that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from medsim.observation.compact import render_json
from medsim.observation.cut import fit
from medsim.observation.tokens import TokenCounter, token_counter
from medsim.tools.base import ToolResult

ObservationMode = Literal["fhir", "compact"]
MODES = ("fhir", "compact")


#: ``json.dumps(value, ensure_ascii=False, default=str)``: the same text, with the encoder built
#: once (every step renders a result and dumps the call's arguments: building the encoder each
#: time cost ~1 µs). Without the circular-reference check (~1 µs of a 1 kB Bundle): tool results
#: and arguments are JSON trees; a value that did refer to itself would fail with RecursionError
#: instead of ValueError, and the step would report it as an internal error either way.
json_text = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False).encode


def to_json_text(value: Any) -> str:
    """A tool result in the ``fhir`` view: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json_text(value)


@dataclass
class ObservationView:
    """Renders tool results in one view, within the limits, counting with one tokenizer."""

    mode: ObservationMode = "fhir"
    char_limit: int | None = 10_000
    token_limit: int | None = None
    counter: TokenCounter = field(default_factory=token_counter)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"observation must be one of {MODES}, not {self.mode!r}")
        limits = (("tool_output_limit", self.char_limit), ("tool_output_tokens", self.token_limit))
        for name, value in limits:
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1 (or None), not {value}")

    @classmethod
    def from_options(
        cls,
        observation: str = "fhir",
        tool_output_limit: int | None = 10_000,
        tool_output_tokens: int | None = None,
        tokenizer: Any = None,
    ) -> ObservationView:
        return cls(observation, tool_output_limit, tool_output_tokens, token_counter(tokenizer))  # type: ignore[arg-type]

    def tokens(self, text: str) -> int:
        """Tokens of ``text`` with this view's tokenizer (or the estimate)."""
        return self.counter.count(text)

    def render(self, value: Any, arguments: Any = None) -> str:
        """``value`` in this view, uncut (``arguments``: the call's; the compact view does not
        repeat what the agent sent, see :func:`medsim.observation.compact.render_resource`)."""
        return render_json(value, arguments) if self.mode == "compact" else to_json_text(value)

    def limit_text(self) -> str:
        parts = [f"{self.char_limit} characters"] if self.char_limit is not None else []
        if self.token_limit is not None:
            parts.append(f"{self.token_limit} tokens")
        return " / ".join(parts)

    def show(self, result: ToolResult, arguments: Any = None) -> str:
        """A tool result as the agent reads it: ``Error: ...`` first when the call failed, the
        value in this view, cut page-aware to the limits. ``arguments`` are the call's: the
        compact view does not repeat what the agent sent."""
        prefix = ""
        if result.error is not None:
            prefix = f"Error: {result.error}"
            if result.value == {"error": result.error}:
                return self._fit_text(prefix)
            prefix += "\n"
        text = prefix + self.render(result.value, arguments)
        if self._fits(text):  # the usual case: shown whole, no cut to look for
            return text
        return prefix + fit(
            result.value,
            lambda value: self.render(value, arguments),
            lambda shown: self._fits(prefix + shown),
            self.limit_text(),
        )

    def _fits(self, text: str) -> bool:
        """``text`` is within this view's limits."""
        if self.char_limit is not None and len(text) > self.char_limit:
            return False
        return self.token_limit is None or self.tokens(text) <= self.token_limit

    def _fit_text(self, text: str) -> str:
        return self.show(ToolResult(text)) if text else text
