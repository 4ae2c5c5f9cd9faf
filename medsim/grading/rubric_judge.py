"""LLM judges of single rubric criteria (HealthBench grader semantics) and juries of them.

A RubricJudge asks its client one question per criterion with the template in
`data/rubric_judge.md`; the judge writes its explanation before its verdict, as JSON
`{"explanation", "criteria_met"}`. Replies are parsed tolerantly (code fences, prose around the
JSON, `<think>` blocks) but the verdict must be a real boolean; a bad reply is asked again up to
`max_tries` times, then recorded as an error for that criterion, never guessed as False.
Judgements are cached by hash(judge id, template, criterion, points, conversation).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from medsim.llm.cache import KVCache, hash_key
from medsim.llm.errors import LLMError
from medsim.llm.types import ChatClient, ChatResponse, Message, Usage

REPAIR = (
    "Your reply could not be used: {problem}. Answer again with only the JSON object "
    '{{"explanation": "...", "criteria_met": true}} or {{"explanation": "...", "criteria_met": false}}.'
)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


@cache
def default_template() -> str:
    """The packaged grader prompt (placeholders `<<conversation>>` and `<<rubric_item>>`)."""
    return resources.files("medsim.grading.data").joinpath("rubric_judge.md").read_text("utf-8")


@dataclass
class Judgement:
    """One criterion's verdict: `met` is a bool (one judge), a fraction (a jury's mean) or None
    with `error` set when no verdict could be had."""

    met: bool | float | None
    explanation: str = ""
    error: str | None = None
    judge_id: str = ""
    votes: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cached: bool = False


class JudgeReplyError(ValueError):
    """A judge reply holds no `{"explanation", "criteria_met": <bool>}` object."""


def format_points(points: float) -> str:
    """7.0 -> "7", -2.5 -> "-2.5" (as rubric items are shown to the judge)."""
    return str(int(points)) if float(points).is_integer() else str(points)


def render_conversation(messages: Sequence[Message], include_system: bool = False) -> str:
    """The conversation as the judge sees it: `role: content` turns, tool calls spelled out,
    `<think>` blocks removed, system turns left out unless asked for."""
    turns: list[str] = []
    for m in messages:
        role = str(m.get("role", ""))
        if role == "system" and not include_system:
            continue
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        text = _THINK.sub("", content or "").strip()
        for call in m.get("tool_calls") or []:
            fn = call.get("function", {})
            text += f"\n[tool call] {fn.get('name')}({fn.get('arguments', '')})"
        turns.append(f"{role}: {text.strip()}")
    return "\n\n".join(turns)


def _json_objects(text: str) -> list[Any]:
    """Every top-level JSON object in `text`, in order."""
    decoder, found, i = json.JSONDecoder(), [], 0
    while (i := text.find("{", i)) != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            i += 1
            continue
        found.append(obj)
        i = end
    return found


def parse_judgement(text: str) -> tuple[str, bool]:
    """(explanation, criteria_met) from a judge reply; JudgeReplyError says what was wrong."""
    body = _THINK.sub("", text or "")
    fenced = _FENCE.findall(body)
    objects = [o for chunk in fenced for o in _json_objects(chunk)] or _json_objects(body)
    with_key = [o for o in objects if isinstance(o, dict) and "criteria_met" in o]
    if not with_key:
        raise JudgeReplyError(f"no JSON object with 'criteria_met' in reply: {text[:200]!r}")
    answer = with_key[-1]
    if not isinstance(answer["criteria_met"], bool):
        raise JudgeReplyError(f"'criteria_met' is not a boolean: {answer['criteria_met']!r:.60}")
    return str(answer.get("explanation", "")), answer["criteria_met"]


class RubricJudge:
    """One LLM judge. `judge_id` names it in caches and votes (default: the client's model)."""

    def __init__(
        self,
        client: ChatClient,
        *,
        judge_id: str | None = None,
        max_tries: int = 3,
        cache: KVCache | str | None = None,
        template: str | None = None,
        options: dict[str, Any] | None = None,
        include_system: bool = False,
    ) -> None:
        if max_tries < 1:
            raise ValueError(f"RubricJudge.max_tries must be >= 1, got {max_tries}")
        self.client = client
        self.judge_id = judge_id or client.model
        self.max_tries = max_tries
        self.cache = KVCache(cache, namespace="rubric_judge") if isinstance(cache, str) else cache
        self.template = template or default_template()
        for slot in ("<<conversation>>", "<<rubric_item>>"):
            if slot not in self.template:
                raise ValueError(f"judge template lacks the {slot} placeholder")
        self.options = {"temperature": 0.0} if options is None else dict(options)
        self.include_system = include_system
        self._template_id = hashlib.sha256(self.template.encode()).hexdigest()[:16]

    def prompt(self, messages: Sequence[Message], criterion: str, points: float) -> list[Message]:
        """The chat request for one criterion."""
        item = f"[{format_points(points)}] {criterion}"
        text = self.template.replace("<<rubric_item>>", item).replace(
            "<<conversation>>", render_conversation(messages, self.include_system)
        )
        return [{"role": "user", "content": text}]

    def _key(self, messages: Sequence[Message], criterion: str, points: float) -> str:
        convo = render_conversation(messages, self.include_system)
        return hash_key("judge", self.judge_id, self._template_id, criterion, points, convo)

    def _cached(self, key: str) -> Judgement | None:
        data = self.cache.get(key) if self.cache is not None else None
        if data is None:
            return None
        return Judgement(data["met"], data["explanation"], judge_id=self.judge_id, cached=True)

    def _store(self, key: str, j: Judgement) -> Judgement:
        if self.cache is not None and j.error is None:
            self.cache.set(key, {"met": j.met, "explanation": j.explanation})
        return j

    def _read(
        self, response: ChatResponse, usage: Usage, problems: list[str], request: list[Message]
    ) -> Judgement | None:
        """The verdict in `response`, or None after recording the problem and adding a repair
        turn to `request` (so the next try is a different request, not a cached repeat)."""
        usage.add(response.usage)
        try:
            explanation, met = parse_judgement(response.content)
        except JudgeReplyError as exc:
            problems.append(str(exc))
            request += [
                {"role": "assistant", "content": response.content},
                {"role": "user", "content": REPAIR.format(problem=exc)},
            ]
            return None
        return Judgement(met, explanation, judge_id=self.judge_id, usage=usage)

    def _give_up(self, problems: list[str], usage: Usage) -> Judgement:
        error = (
            f"judge {self.judge_id}: no valid verdict after {len(problems)} tries: "
            + " | ".join(problems)
        )
        return Judgement(None, "", error=error, judge_id=self.judge_id, usage=usage)

    def judge(self, messages: Sequence[Message], criterion: str, points: float) -> Judgement:
        """Decide one criterion (see module docstring)."""
        key = self._key(messages, criterion, points)
        if (hit := self._cached(key)) is not None:
            return hit
        usage, problems = Usage(), []
        request = self.prompt(messages, criterion, points)
        for _ in range(self.max_tries):
            try:
                response = self.client.complete(list(request), **self.options)
            except LLMError as exc:  # the client already retried transient failures
                problems.append(f"LLM call failed: {exc}")
                break
            if (j := self._read(response, usage, problems, request)) is not None:
                return self._store(key, j)
        return self._give_up(problems, usage)

    async def ajudge(self, messages: Sequence[Message], criterion: str, points: float) -> Judgement:
        """Async `judge`."""
        key = self._key(messages, criterion, points)
        if (hit := self._cached(key)) is not None:
            return hit
        usage, problems = Usage(), []
        request = self.prompt(messages, criterion, points)
        for _ in range(self.max_tries):
            try:
                response = await self.client.acomplete(list(request), **self.options)
            except LLMError as exc:
                problems.append(f"LLM call failed: {exc}")
                break
            if (j := self._read(response, usage, problems, request)) is not None:
                return self._store(key, j)
        return self._give_up(problems, usage)


class Jury:
    """Several judges decide each criterion. "majority": met when more than half of the votes
    say met; "mean": met is the fraction of votes that say met (scored as fractional points).
    Judges that fail are recorded in the votes; fewer than `min_votes` verdicts is an error."""

    def __init__(
        self,
        judges: Sequence[RubricJudge],
        mode: Literal["majority", "mean"] = "majority",
        min_votes: int | None = None,
    ) -> None:
        if not judges:
            raise ValueError("a Jury needs at least one judge")
        if mode not in ("majority", "mean"):
            raise ValueError(f"Jury mode must be 'majority' or 'mean', got {mode!r}")
        ids = [j.judge_id for j in judges]
        if len(set(ids)) != len(ids):
            raise ValueError(f"jury judges need distinct judge_id values, got {ids}")
        self.judges = list(judges)
        self.mode = mode
        self.min_votes = min_votes if min_votes is not None else len(judges) // 2 + 1
        self.judge_id = f"jury[{mode}]:" + ",".join(ids)

    def combine(self, verdicts: list[Judgement]) -> Judgement:
        """One Judgement from the judges' verdicts (pure)."""
        usage = Usage()
        for v in verdicts:
            usage.add(v.usage)
        votes = [
            {"judge_id": v.judge_id, "met": v.met, "explanation": v.explanation, "error": v.error}
            for v in verdicts
        ]
        valid = [bool(v.met) for v in verdicts if v.error is None and v.met is not None]
        cached = all(v.cached for v in verdicts)
        if len(valid) < self.min_votes:
            errors = "; ".join(v.error for v in verdicts if v.error)
            error = f"jury: {len(valid)} valid votes, {self.min_votes} needed ({errors})"
            return Judgement(None, "", error, self.judge_id, votes, usage, cached)
        yes = sum(valid)
        met: bool | float = yes * 2 > len(valid) if self.mode == "majority" else yes / len(valid)
        explanation = f"{yes} of {len(valid)} judges found the criterion met"
        return Judgement(met, explanation, None, self.judge_id, votes, usage, cached)

    def judge(self, messages: Sequence[Message], criterion: str, points: float) -> Judgement:
        """Every judge votes, then `combine`."""
        return self.combine([j.judge(messages, criterion, points) for j in self.judges])

    async def ajudge(self, messages: Sequence[Message], criterion: str, points: float) -> Judgement:
        """Async `judge`: the judges vote concurrently."""
        verdicts = await asyncio.gather(
            *(j.ajudge(messages, criterion, points) for j in self.judges)
        )
        return self.combine(list(verdicts))
