"""TransformersClient on real tiny GPT-2 models built here (needs the `local` extra: torch and
transformers). No weights are downloaded: the tokenizer is a byte-level one made in the test and
the models are built from configs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from medsim.llm.transformers_client import TransformersClient, parse_tool_calls, template_messages
from tests.llm.llm_test_helpers import LOOKUP_TOOL, POTASSIUM_LOINC, USER

TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}"
    "{% for c in m.get('tool_calls', []) %}<call>{{ c['function']['name'] }}"
    "{{ c['function']['arguments'] | tojson }}{% endfor %}{{ '\\n' }}{% endfor %}"
    "{% if tools %}<tools>{% for t in tools %}{{ t['function']['name'] }} {% endfor %}{{ '\\n' }}{% endif %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)
EOS = "<|endoftext|>"


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer (256 byte tokens + EOS) with a small chat template."""
    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab[EOS] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, chat_template=TEMPLATE)


def gpt2_config(tokenizer: PreTrainedTokenizerFast, width: int, **kw: Any) -> GPT2Config:
    eos = tokenizer.eos_token_id
    return GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=width,
        n_embd=width,
        n_layer=1,
        n_head=2,
        bos_token_id=eos,
        eos_token_id=eos,
        **kw,
    )


def random_model(tokenizer: PreTrainedTokenizerFast) -> GPT2LMHeadModel:
    torch.manual_seed(0)
    return GPT2LMHeadModel(gpt2_config(tokenizer, 64))


def scripted_model(tokenizer: PreTrainedTokenizerFast, prompt_len: int, text: str) -> Any:
    """A real GPT-2 whose weights make it write `text` then EOS after a `prompt_len`-token
    prompt: token embeddings and the block are zero, so the state at position p is the
    position embedding e_p, and an untied head maps e_p to the token wanted after p."""
    target = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    width = (prompt_len + len(target) + 9) // 2 * 2  # even: two heads
    model = GPT2LMHeadModel(gpt2_config(tokenizer, width, tie_word_embeddings=False))
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        block: Any = model.transformer.h[0]
        for ln in (block.ln_1, block.ln_2, model.transformer.ln_f):
            ln.weight.fill_(1.0)
        model.transformer.wpe.weight.copy_(torch.eye(width))
        for i, token in enumerate(target):
            model.lm_head.weight[token, prompt_len - 1 + i] = 50.0
    return model


def test_random_tiny_model_greedy_is_deterministic(tokenizer: PreTrainedTokenizerFast) -> None:
    client = TransformersClient(random_model(tokenizer), tokenizer, max_new_tokens=6)
    a, b = client.complete(USER), client.complete(USER)
    assert a.message == b.message and a.message["role"] == "assistant"
    prompt = client.render(USER)
    assert prompt == f"<user>{USER[0]['content']}\n<assistant>"
    assert a.usage.prompt_tokens == len(prompt.encode()) and a.usage.completion_tokens <= 6
    assert a.usage.cost_usd == 0.0 and client.usage.calls == 2


def test_sampling_is_seedable(tokenizer: PreTrainedTokenizerFast) -> None:
    client = TransformersClient(random_model(tokenizer), tokenizer, max_new_tokens=12)
    runs = [client.complete(USER, temperature=1.5, seed=s).content for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_load_from_a_saved_folder(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    model = random_model(tokenizer)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    from_obj = TransformersClient(model, tokenizer, max_new_tokens=5).complete(USER)
    from_path = TransformersClient(str(tmp_path), max_new_tokens=5)
    assert from_path.model == str(tmp_path)
    assert from_path.complete(USER).message == from_obj.message


def test_scripted_model_writes_text(tokenizer: PreTrainedTokenizerFast) -> None:
    probe = TransformersClient(random_model(tokenizer), tokenizer)
    n = len(tokenizer(probe.render(USER), add_special_tokens=False)["input_ids"])
    client = TransformersClient(scripted_model(tokenizer, n, "K 4.1 mmol/L"), tokenizer)
    r = client.complete(USER)
    assert r.content == "K 4.1 mmol/L" and r.finish_reason == "stop"


def test_tool_call_round_trip_through_generation(tokenizer: PreTrainedTokenizerFast) -> None:
    call = json.dumps({"name": "lookup_lab", "arguments": {"loinc": POTASSIUM_LOINC}})
    probe = TransformersClient(random_model(tokenizer), tokenizer)
    prompt = probe.render(USER, tools=[LOOKUP_TOOL])
    assert "<tools>lookup_lab" in prompt
    n = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    model = scripted_model(tokenizer, n, f"<tool_call>{call}</tool_call>")
    client = TransformersClient(model, tokenizer, max_new_tokens=200)
    r = client.complete(USER, tools=[LOOKUP_TOOL])
    assert r.finish_reason == "tool_calls" and r.message["content"] is None
    (tc,) = r.tool_calls
    assert tc["function"]["name"] == "lookup_lab"
    assert json.loads(tc["function"]["arguments"]) == {"loinc": POTASSIUM_LOINC}
    # the call goes back into the history in OpenAI shape and renders through the template
    history = [*USER, r.message, {"role": "tool", "tool_call_id": tc["id"], "content": "4.1"}]
    assert '<call>lookup_lab{"loinc": "2823-3"}' in probe.render(history)


def test_parse_tool_calls_forms() -> None:
    assert parse_tool_calls('<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>') == (
        "",
        [{"id": "call_0", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}],
    )
    text, calls = parse_tool_calls('{"name": "g", "parameters": {"b": 2}}')
    assert text == "" and calls[0]["function"]["name"] == "g"
    text, calls = parse_tool_calls("Sure. <tool_call>not json</tool_call>")
    assert calls == [] and "not json" in text  # nothing the model said is dropped
    assert parse_tool_calls("plain answer") == ("plain answer", [])


def test_template_messages_parses_arguments() -> None:
    msgs = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
            ],
        }
    ]
    out = template_messages(msgs)
    assert out[0]["tool_calls"][0]["function"]["arguments"] == {"a": 1}
    assert out[0]["content"] == "" and msgs[0]["content"] is None  # input untouched


def test_tokenizer_without_template_is_rejected(tokenizer: PreTrainedTokenizerFast) -> None:
    bare = PreTrainedTokenizerFast(tokenizer_object=tokenizer.backend_tokenizer, eos_token=EOS)
    with pytest.raises(ValueError, match="no chat template"):
        TransformersClient(random_model(tokenizer), bare)
