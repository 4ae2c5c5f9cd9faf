"""A tiny tokenizer and causal LM built locally (no downloads) for offline tests and examples.

The tokenizer is a byte-level BPE trained in milliseconds on the given texts (byte-level, so any
text round-trips) with a small chat template that renders tool schemas and tool calls; the model
is a randomly initialised 2-layer GPT-2. Neither is meant to be good — they let a trainer's loop
(TRL's GRPO, a tokenizer mask) run end to end on a CPU in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: A prefix-stable chat template: every message is ``<|role|>text<|end|>\n``; assistant tool
#: calls are rendered as ``<call>{json}</call>``; tools go first as JSON.
CHAT_TEMPLATE = (
    "{% if tools %}<|tools|>{{ tools | tojson }}<|end|>\n{% endif %}"
    "{% for m in messages %}<|{{ m['role'] }}|>"
    "{% if m['content'] %}{{ m['content'] }}{% endif %}"
    "{% for c in (m['tool_calls'] or []) %}<call>{{ c['function'] | tojson }}</call>{% endfor %}"
    "<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

SPECIAL = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>", "<|tools|>"]


def tiny_tokenizer(texts: Iterable[str] = (), vocab_size: int = 512) -> Any:
    """A ``PreTrainedTokenizerFast`` trained on ``texts`` (plus a few built-in lines)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = list(texts) + ["patient potassium Observation finish answer fhir_search"]
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<|pad|>", eos_token="<|end|>", bos_token="<|end|>"
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_model(tokenizer: Any, seed: int = 0) -> Any:
    """A randomly initialised 2-layer GPT-2 sized to ``tokenizer`` (about 0.2 M parameters)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=2048,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return GPT2LMHeadModel(config)
