"""A local OpenAI-compatible chat server with scripted replies, for tests and offline demos.

It lets the real `openai` and `langchain-openai` code paths run with no network and no key:
it listens on 127.0.0.1 on an ephemeral port in a background thread, serves
POST /v1/chat/completions from a script (text or tool calls), can fail the next N requests with a
429, a 5xx, a hang (the client times out) or a malformed body, and records every request.

    with StubServer(["Hello", {"tool_calls": [{"name": "f", "arguments": {"x": 1}}]}]) as stub:
        client = OpenAIClient("stub-model", base_url=stub.base_url, api_key="dummy")
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from medsim.llm.messages import assistant_message

StubReply = str | dict[str, Any]
FAILURE_KINDS = ("429", "500", "503", "timeout", "malformed", "no_choices")


class StubServer:
    """See module docstring.

    Args:
        replies: a list of replies served in order (str or assistant dict, tool calls in either
            OpenAI or `{"name", "arguments"}` form), or a callable `(request_body) -> reply`.
        default_reply: served once the list is used up (else a 400 saying the script ran out).
        usage: (prompt_tokens, completion_tokens) reported for every reply.
        hold_seconds: how long a "timeout" failure holds the request before giving up.
    """

    def __init__(
        self,
        replies: Sequence[StubReply] | Callable[[dict[str, Any]], StubReply] = (),
        default_reply: StubReply | None = None,
        usage: tuple[int, int] = (10, 5),
        hold_seconds: float = 5.0,
    ) -> None:
        self._replies = replies if callable(replies) else list(replies)
        self.default_reply = default_reply
        self.usage = usage
        self.hold_seconds = hold_seconds
        self.requests: list[dict[str, Any]] = []
        self._failures: list[str] = []
        self._next = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL of the running server (`http://127.0.0.1:PORT/v1`)."""
        if self._httpd is None:
            raise RuntimeError("StubServer is not running: call start() or use it as a context")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def set_script(
        self, replies: Sequence[StubReply] | Callable[[dict[str, Any]], StubReply]
    ) -> None:
        """Replace the scripted replies (served from the first one again)."""
        with self._lock:
            self._replies = replies if callable(replies) else list(replies)
            self._next = 0

    def fail(self, kind: str, times: int = 1) -> None:
        """Make the next `times` requests fail as `kind` (one of FAILURE_KINDS)."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {FAILURE_KINDS}")
        with self._lock:
            self._failures.extend([kind] * times)

    def start(self) -> StubServer:
        """Listen on 127.0.0.1:<ephemeral> in a daemon thread."""
        handler = type("StubHandler", (_Handler,), {"stub": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held requests, stop serving and close the socket."""
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _take(self, body: dict[str, Any]) -> tuple[str | None, StubReply | None]:
        """(failure kind or None, reply or None) for the next request."""
        with self._lock:
            self.requests.append(body)
            if self._failures:
                return self._failures.pop(0), None
            if callable(self._replies):
                return None, self._replies(body)
            if self._next < len(self._replies):
                self._next += 1
                return None, self._replies[self._next - 1]
            return None, self.default_reply

    def completion(self, body: dict[str, Any], reply: StubReply) -> dict[str, Any]:
        """The chat.completion JSON for one reply."""
        message = assistant_message(reply)
        prompt, completion = self.usage
        return {
            "id": f"chatcmpl-stub-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "stub"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


class _Handler(BaseHTTPRequestHandler):
    stub: StubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _send(self, status: int, payload: Any, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout): nothing to answer
            pass

    def _error(self, status: int, message: str, kind: str) -> None:
        self._send(status, {"error": {"message": message, "type": kind, "code": None}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"stub serves only /v1/chat/completions, not {self.path}", "not_found")
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._error(400, "request body is not JSON", "invalid_request_error")
            return
        failure, reply = self.stub._take(body)
        if failure == "timeout":
            self.stub._release.wait(self.stub.hold_seconds)
            self._error(504, "stub held this request to simulate a timeout", "timeout")
        elif failure in ("429", "500", "503"):
            kind = "rate_limit_error" if failure == "429" else "server_error"
            self._error(int(failure), f"stub simulated HTTP {failure}", kind)
        elif failure == "malformed":
            self._send(200, None, raw=b'{"id": "chatcmpl-broken", "choices": [')
        elif failure == "no_choices":
            self._send(200, {"id": "chatcmpl-empty", "object": "chat.completion", "choices": []})
        elif reply is None:
            self._error(400, "stub server: no scripted reply left", "invalid_request_error")
        else:
            self._send(200, self.stub.completion(body, reply))
