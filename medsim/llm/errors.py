"""Errors of the LLM layer and the one place that decides which failures are worth retrying.

Vendor SDKs (openai, langchain, httpx) raise their own exception types; `classify` maps any of them
to a failure kind by duck typing (status code, class name), so every client shares one retry rule
without importing the vendors here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

_NETWORK_NAMES = ("Connect", "RemoteProtocol", "Network", "ReadError", "WriteError")
RETRYABLE_KINDS = frozenset({"rate_limit", "timeout", "server", "connection", "malformed"})


@dataclass(frozen=True)
class Attempt:
    """What happened on one try of a call: the failure kind, HTTP status if any, and message."""

    kind: str
    message: str
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data for episode records."""
        return asdict(self)


class LLMError(RuntimeError):
    """A call to a model failed for good. `attempts` lists every try, so the failure is reported,
    never turned into an empty answer."""

    def __init__(self, message: str, attempts: list[Attempt] | None = None) -> None:
        self.attempts: list[Attempt] = list(attempts or [])
        detail = "; ".join(
            f"try {i + 1}: {a.kind}"
            + (f" (HTTP {a.status})" if a.status else "")
            + f": {a.message}"
            for i, a in enumerate(self.attempts)
        )
        super().__init__(f"{message}" + (f" [{detail}]" if detail else ""))

    @property
    def kind(self) -> str:
        """The kind of the last failure ("rate_limit", "timeout", ...), or "error"."""
        return self.attempts[-1].kind if self.attempts else "error"


class TransientLLMError(LLMError):
    """A failure worth retrying (rate limit, timeout, 5xx, dropped connection, malformed body)."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message, [Attempt(kind, message, status)])


class ReplayMissError(LLMError):
    """A ReplayClient has no recorded reply for a request; the message names the key."""


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "status", "http_status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def classify(exc: BaseException) -> Attempt:
    """Map any exception to an Attempt whose kind says whether a retry may help.

    Kinds: rate_limit (429), timeout, server (5xx, 408, 409), connection, malformed (a body that
    could not be read as a chat completion), and "error" for everything else (400, 401, bugs):
    those are not retried.
    """
    if isinstance(exc, LLMError) and exc.attempts:
        return exc.attempts[-1]
    name = type(exc).__name__
    message = str(exc) or name
    status = _status_of(exc)
    if status == 429 or "RateLimit" in name:
        kind = "rate_limit"
    elif isinstance(exc, TimeoutError) or "Timeout" in name or status == 408:
        kind = "timeout"
    elif (status is not None and status >= 500) or status == 409 or "InternalServer" in name:
        kind = "server"
    elif isinstance(exc, ConnectionError) or any(s in name for s in _NETWORK_NAMES):
        kind = "connection"
    elif "ResponseValidation" in name or "JSONDecode" in name:
        kind = "malformed"
    else:
        kind = "error"
    return Attempt(kind=kind, message=f"{name}: {message}"[:500], status=status)
