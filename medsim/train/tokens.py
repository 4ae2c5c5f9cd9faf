"""Token ids of a chat transcript with a mask of the tokens the policy produced.

The transcript is rendered with the tokenizer's chat template one message at a time: the text a
message adds is the difference between rendering the conversation up to it and up to the message
before. For an assistant message, the generation prompt (the template's assistant header) is
context (mask 0) and the rest — what the model generated — is the policy's (mask 1). Each piece is
tokenized on its own and the ids concatenated, so a mask boundary never falls inside a token (the
same per-turn tokenization multi-turn RL trainers use). A template whose renderings are not
prefixes of one another (e.g. one that drops earlier reasoning) is refused with a clear error.
"""

from __future__ import annotations

from typing import Any

from medsim.llm.types import Message, Tool


def _render(
    tokenizer: Any, messages: list[Message], tools: list[Tool] | None, generation: bool
) -> str:
    if not messages and not generation:
        return ""
    text = tokenizer.apply_chat_template(
        messages, tools=tools or None, tokenize=False, add_generation_prompt=generation
    )
    return str(text)


def _ids(tokenizer: Any, text: str) -> list[int]:
    if not text:
        return []
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _piece(before: str, after: str, where: str) -> str:
    if not after.startswith(before):
        raise ValueError(
            f"the chat template is not prefix-stable at {where}: rendering one more message "
            "changed the text before it, so per-token policy masks cannot be computed"
        )
    return after[len(before) :]


def tokenize_transcript(
    tokenizer: Any, messages: list[Message], tools: list[Tool] | None = None
) -> tuple[list[int], list[int]]:
    """(input_ids, assistant_mask) of ``messages``; mask 1 marks tokens of assistant turns
    after the template's generation prompt."""
    ids: list[int] = []
    mask: list[int] = []
    done = _render(tokenizer, [], tools, False)
    ids += _ids(tokenizer, done)
    mask += [0] * len(ids)
    for k, message in enumerate(messages):
        upto = _render(tokenizer, messages[: k + 1], tools, False)
        if message.get("role") == "assistant":
            prompt = _render(tokenizer, messages[:k], tools, True)
            header = _ids(tokenizer, _piece(done, prompt, f"message {k} (generation prompt)"))
            body = _ids(tokenizer, _piece(prompt, upto, f"message {k}"))
            ids += header + body
            mask += [0] * len(header) + [1] * len(body)
        else:
            piece = _ids(tokenizer, _piece(done, upto, f"message {k}"))
            ids += piece
            mask += [0] * len(piece)
        done = upto
    return ids, mask
