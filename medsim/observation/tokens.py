"""Token counting for budgets: a real tokenizer when one is configured, else ~4 characters/token.

``token_counter(spec)`` gives a :class:`TokenCounter` from

* ``None`` or ``"approx"``: the documented estimate, ``ceil(characters / 4)`` (no dependency);
* ``"tiktoken:NAME"``: a tiktoken encoding (``cl100k_base``, ``o200k_base``) or model name
  (``gpt-4o``). tiktoken downloads an encoding's file on first use; offline, point
  ``TIKTOKEN_CACHE_DIR`` at a folder that holds it;
* ``"bpe-openai:NAME"``: the same OpenAI encodings (``o200k_base``, ``cl100k_base``) from the
  ``bpe-openai`` package, which ships them: real counts offline (tests, benches, CI);
* ``"hf:PATH"``: a Hugging Face tokenizer: a ``tokenizer.json`` file (``tokenizers``) or a
  folder / model name (``transformers.AutoTokenizer``; a local folder works offline);
* a tokenizer object: a ``tiktoken.Encoding``, a ``tokenizers.Tokenizer``, a transformers
  tokenizer, or anything with ``encode(text)`` returning a sequence.

tiktoken, bpe-openai, tokenizers and transformers are optional dependencies
(``pip install medsim[tokens]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APPROX = "approx (characters / 4)"


def approx_tokens(text: str) -> int:
    """The estimate used without a tokenizer: ~4 characters per token, rounded up."""
    return (len(text) + 3) // 4


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of a text; ``name`` says which tokenizer (shown by benches and docs)."""

    name: str
    encode: Callable[[str], Sequence[Any]] | None = None

    def count(self, text: str) -> int:
        if self.encode is None:
            return approx_tokens(text)
        return len(self.encode(text)) if text else 0


def _wrap(tok: Any, name: str | None = None) -> TokenCounter:
    """A counter over a tokenizer object (tiktoken, tokenizers, transformers or duck-typed)."""
    module = type(tok).__module__
    if module.startswith("tiktoken"):
        return TokenCounter(
            f"tiktoken:{name or tok.name}", lambda t: tok.encode(t, disallowed_special=())
        )
    if module.startswith("tokenizers"):
        return TokenCounter(
            f"hf:{name or 'tokenizers.Tokenizer'}",
            lambda t: tok.encode(t, add_special_tokens=False).ids,
        )
    if hasattr(tok, "name_or_path") and hasattr(tok, "encode"):  # transformers tokenizer
        return TokenCounter(
            f"hf:{name or tok.name_or_path}", lambda t: tok.encode(t, add_special_tokens=False)
        )
    if callable(getattr(tok, "encode", None)):
        return TokenCounter(name or type(tok).__name__, tok.encode)
    raise TypeError(f"not a tokenizer (no encode method): {type(tok).__name__}")


def _tiktoken(name: str) -> TokenCounter:
    try:
        import tiktoken
    except ImportError as exc:
        raise ImportError("tokenizer 'tiktoken:...' needs `pip install tiktoken`") from exc
    try:
        try:
            enc = tiktoken.get_encoding(name)
        except ValueError:
            enc = tiktoken.encoding_for_model(name)
    except Exception as exc:  # tiktoken raises network errors of several libraries
        raise ValueError(
            f"could not load the tiktoken encoding {name!r} ({type(exc).__name__}: {exc}). "
            "tiktoken downloads encodings on first use; offline, set TIKTOKEN_CACHE_DIR to a "
            f"folder holding the cached file, or use 'bpe-openai:{name}' (ships the encodings)"
        ) from exc
    return _wrap(enc, name)


def _bpe_openai(name: str) -> TokenCounter:
    try:
        import bpe_openai
    except ImportError as exc:
        raise ImportError("tokenizer 'bpe-openai:...' needs `pip install bpe-openai`") from exc
    try:
        enc = bpe_openai.get_encoding(name)
    except Exception as exc:  # unknown names, or names it loads through tiktoken's download
        raise ValueError(
            f"could not load the bpe-openai encoding {name!r} ({type(exc).__name__}); it ships "
            "o200k_base and cl100k_base (others are downloaded, which needs network)"
        ) from exc
    return TokenCounter(f"bpe-openai:{name}", lambda t: enc.encode(t, disallowed_special=()))


def _hf(path: str) -> TokenCounter:
    if path.endswith(".json") and Path(path).is_file():
        from tokenizers import Tokenizer

        return _wrap(Tokenizer.from_file(path), path)
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise ImportError(f"tokenizer 'hf:{path}' needs `pip install transformers`") from exc
    return _wrap(AutoTokenizer.from_pretrained(path), path)


def token_counter(spec: Any = None) -> TokenCounter:
    """The counter for ``spec`` (see the module docstring); bad specs raise ``ValueError``."""
    if isinstance(spec, TokenCounter):
        return spec
    if spec is None or spec == "approx":
        return TokenCounter(APPROX)
    if isinstance(spec, str):
        kind, _, name = spec.partition(":")
        if kind == "tiktoken" and name:
            return _tiktoken(name)
        if kind == "bpe-openai" and name:
            return _bpe_openai(name)
        if kind == "hf" and name:
            return _hf(name)
        raise ValueError(
            f"unknown tokenizer {spec!r}: use 'approx', 'tiktoken:<encoding or model>', "
            "'bpe-openai:<encoding>', "
            "'hf:<tokenizer.json, folder or model>' or a tokenizer object"
        )
    return _wrap(spec)


def train_bpe(texts: Sequence[str], vocab_size: int = 8000) -> Any:
    """A byte-level BPE tokenizer (GPT-2's pre-tokenizer) trained on ``texts`` with the
    ``tokenizers`` library: a real tokenizer for machines without network access (tests,
    benches). Deterministic for the same texts; save it with ``.save(path)`` and use it as
    ``tokenizer="hf:path/tokenizer.json"``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok
