"""Token counters: the estimate, tiktoken (an encoding built from local data), Hugging Face
tokenizers (trained here), and budgets in the env counted with them."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiktoken
from transformers import PreTrainedTokenizerFast

from medsim.core.env import ClinicalEnv
from medsim.observation.tokens import APPROX, token_counter, train_bpe
from tests.core.conftest import SUITE

#: A tiktoken encoding from local data: every byte is one token, plus one merge ("ab").
BYTES = tiktoken.Encoding(
    name="bytes_plus_ab",
    pat_str=r"\S+|\s+",
    mergeable_ranks={**{bytes([i]): i for i in range(256)}, b"ab": 256},
    special_tokens={"<|endoftext|>": 257},
)


def test_estimate_is_characters_over_four() -> None:
    counter = token_counter(None)
    assert counter.name == APPROX
    assert [counter.count(t) for t in ("", "a", "abcd", "abcde")] == [0, 1, 1, 2]


def test_tiktoken_encoding_counts_its_tokens() -> None:
    counter = token_counter(BYTES)
    assert counter.name == "tiktoken:bytes_plus_ab"
    assert counter.count("xyz") == 3
    assert counter.count("ab ab") == 3  # "ab", " ", "ab"
    assert counter.count("é") == 2  # two UTF-8 bytes
    assert counter.count("<|endoftext|>") == 13  # special text counted as text, never an error


def test_tiktoken_unknown_encoding_says_how_to_fix() -> None:
    with pytest.raises(ValueError, match="TIKTOKEN_CACHE_DIR"):
        token_counter("tiktoken:no_such_encoding_here")


def test_bpe_openai_ships_the_openai_encodings_offline() -> None:
    # cl100k_base ids of "hello world" as OpenAI's cookbook ("How to count tokens with
    # tiktoken") prints them; o200k_base must split the same two words
    cl100k = token_counter("bpe-openai:cl100k_base")
    assert cl100k.name == "bpe-openai:cl100k_base"
    assert cl100k.encode is not None and list(cl100k.encode("hello world")) == [15339, 1917]
    o200k = token_counter("bpe-openai:o200k_base")
    assert o200k.count("hello world") == 2 and o200k.count("") == 0
    assert o200k.count("<|endoftext|>") > 1  # special text counted as text, never an error
    with pytest.raises(ValueError, match="o200k_base"):
        token_counter("bpe-openai:no_such_encoding")


def test_hf_tokenizer_file_and_transformers_wrapper(tmp_path: Path) -> None:
    tok = train_bpe(["potassium potassium potassium chloride"] * 50, vocab_size=300)
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    from_file = token_counter(f"hf:{path}")
    assert from_file.count("potassium") == 1  # a merged word is one token
    assert from_file.count("potassium chloride") == len(tok.encode("potassium chloride").ids)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok)
    wrapped = token_counter(fast)
    assert wrapped.name.startswith("hf:") and wrapped.count("potassium") == 1


def test_bad_specs() -> None:
    with pytest.raises(ValueError, match="unknown tokenizer"):
        token_counter("sentencepiece:x")
    with pytest.raises(TypeError, match="not a tokenizer"):
        token_counter(42)


def test_env_budgets_and_usage_use_the_tokenizer() -> None:
    env = ClinicalEnv(SUITE, tokenizer=BYTES, max_tokens=30)
    try:
        env.reset(options={"task_id": "t-query"})
        obs, *_, info = env.step("GET Patient/pat-t1")  # 18 bytes = 18 tokens (estimate: 5)
        assert info["usage"]["action_tokens"] == 18
        assert info["usage"]["observation_tokens"] == len(obs.encode())
        *_, trunc, info = env.step("GET Patient/pat-t1")  # 36 > 30
        assert trunc and info["error"]["type"] == "token_budget"
    finally:
        env.close()


def test_per_observation_token_limit() -> None:
    env = ClinicalEnv(SUITE, tokenizer=BYTES, tool_output_limit=None, tool_output_tokens=700)
    try:
        env.reset(options={"task_id": "t-query"})
        call = {"resource_type": "Observation", "params": {"patient": "pat-t2"}}
        obs, *_ = env.step({"name": "fhir_search", "arguments": call})
        assert len(obs.encode()) <= 700 and "_offset=" in obs
        assert env.record.tool_calls[0].result["total"] == 61  # the record keeps the raw result
    finally:
        env.close()
