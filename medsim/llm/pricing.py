"""Cost of a call from a per-model price table kept in `data/prices.json` (USD per 1M tokens)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Price:
    """USD per one million input (prompt) and output (completion) tokens."""

    input: float
    output: float


class PriceTable:
    """Model name -> Price. A dated snapshot (`gpt-4.1-mini-2025-04-14`) uses its base model's row;
    unknown models cost 0 so local and stub models never invent a bill."""

    def __init__(self, prices: dict[str, Price]) -> None:
        self.prices = dict(prices)

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        """Read a table in the prices.json format (the packaged one by default)."""
        if path is None:
            text = resources.files("medsim.llm.data").joinpath("prices.json").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        rows = json.loads(text)["models"]
        return cls({name: Price(float(r["input"]), float(r["output"])) for name, r in rows.items()})

    def price_of(self, model: str) -> Price | None:
        """The row for `model` (exact, else the longest prefix followed by '-'), or None."""
        name = model.rsplit("/", 1)[-1]
        if name in self.prices:
            return self.prices[name]
        matches = [k for k in self.prices if name.startswith(k + "-")]
        return self.prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for one call; 0.0 for unknown models."""
        price = self.price_of(model)
        if price is None:
            return 0.0
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


@cache
def default_prices() -> PriceTable:
    """The packaged price table (read once)."""
    return PriceTable.load()
