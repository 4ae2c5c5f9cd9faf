"""ReplayClient: replies recorded in a JSONL file, keyed by a hash of the request.

Record once against a real model (`record_from=`), commit the file, and tests or evaluations replay
it offline and deterministically. The key covers messages, tools and options but not the model
name, so a recording replays under any name. A request with no recording is a ReplayMissError
that names its key (never an invented answer).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from medsim.llm.base import BaseChatClient
from medsim.llm.cache import hash_key
from medsim.llm.errors import ReplayMissError
from medsim.llm.types import ChatClient, ChatResponse, Message, Tool, Usage


def _free_copy(data: dict[str, Any]) -> ChatResponse:
    """A recorded response with zero tokens and cost: replaying spends nothing."""
    response = ChatResponse.from_dict(data)
    response.usage = Usage()
    return response


def replay_key(messages: list[Message], tools: list[Tool] | None, opts: dict[str, Any]) -> str:
    """The key of one request in a replay file."""
    return hash_key("replay", messages, tools or [], opts)


class ReplayClient(BaseChatClient):
    """Serve recorded replies; optionally record misses from another client.

    Args:
        path: the JSONL file (one `{"key", "request", "response"}` object a line). Missing is fine
            when recording.
        record_from: a client to ask on a miss; its reply is appended to `path` at once.
        model: the name reported in responses (default: the recording client's, else "replay").
    """

    def __init__(
        self,
        path: str | Path,
        record_from: ChatClient | None = None,
        model: str | None = None,
        **kwargs: Any,
    ) -> None:
        name = model or (record_from.model if record_from is not None else "replay")
        kwargs.setdefault("sleep", lambda _s: None)
        super().__init__(name, **kwargs)
        self.path = Path(path)
        self.record_from = record_from
        self.records: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.path.exists():
            self._load()
        elif record_from is None:
            raise FileNotFoundError(f"replay file {self.path} does not exist (nothing to replay)")

    def _load(self) -> None:
        for n, line in enumerate(self.path.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                self.records[str(record["key"])] = record["response"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{self.path}:{n}: not a replay record ({exc})") from exc

    def _call(self, messages: list[Message], tools: list[Tool] | None, opts: dict) -> ChatResponse:
        key = replay_key(messages, tools, opts)
        recorded = self.records.get(key)
        if recorded is not None:
            return _free_copy(recorded)
        if self.record_from is None:
            last = messages[-1].get("content") if messages else None
            raise ReplayMissError(
                f"no recorded reply for request key {key} in {self.path} "
                f"(last message: {str(last)[:80]!r})"
            )
        fresh = self.record_from.complete(messages, tools, **opts)
        self._append(key, {"messages": messages, "tools": tools, "opts": opts}, fresh)
        return _free_copy(fresh.to_dict())  # the recording client accounted the spend

    def _append(self, key: str, request: dict[str, Any], response: ChatResponse) -> None:
        record: dict[str, Any] = {"key": key, "request": request, "response": response.to_dict()}
        with self._lock:
            self.records[key] = record["response"]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
