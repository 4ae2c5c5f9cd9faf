"""``medsim serve-fhir``: the embedded engine over HTTP at ``/fhir`` with HAPI's URL grammar.

Each request runs in the episode named by its ``X-Medsim-Episode`` header (``default`` without
one), so several HTTP clients can share one server without seeing each other's writes;
``POST /fhir/$medsim-reset`` drops the calling episode's writes and ``POST /fhir/$medsim-close``
releases it (idle episodes expire; see :mod:`medsim.fhir.episodes`).

Every answer is FHIR JSON — errors included, even those of the HTTP layer (bad request line,
unknown method, oversized headers): an OperationOutcome with the right status, never HTML. Links and
``fullUrl``s use the base the client called (``Host``, or ``X-Forwarded-Host/-Proto/-Port/-Prefix``
behind a proxy). Reads carry ``ETag`` and ``Last-Modified``. Robustness: a listen backlog for
bursts, an idle timeout so half-sent requests cannot hold threads, a body size limit, strict
``Content-Length``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from medsim.fhir.dates import parse_range
from medsim.fhir.embedded import EmbeddedBackend
from medsim.fhir.episodes import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_EPISODES, EpisodePool
from medsim.fhir.interface import FhirError, operation_outcome

MAX_REQUEST_BYTES = 8_000_000
REQUEST_TIMEOUT = 30.0  # seconds a connection may stay silent (half-sent requests are dropped)
BACKLOG = 1024
_CODES = {
    400: "invalid",
    404: "not-found",
    405: "not-supported",
    408: "timeout",
    411: "invalid",
    413: "too-costly",
    414: "too-long",
    429: "throttled",
    431: "too-long",
    501: "not-supported",
}


class FhirHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(
        self,
        backend: EmbeddedBackend,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        max_episodes: int = DEFAULT_MAX_EPISODES,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.backend = backend
        self.episodes = EpisodePool(
            backend.episode, idle_seconds=idle_seconds, max_episodes=max_episodes
        )
        self.request_timeout = timeout
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}/fhir"

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="medsim-fhir", daemon=True)
        thread.start()
        return thread

    def server_close(self) -> None:
        super().server_close()
        self.episodes.close_all()


class _Handler(BaseHTTPRequestHandler):
    server: FhirHttpServer
    protocol_version = "HTTP/1.1"
    error_content_type = "application/fhir+json;charset=utf-8"
    default_request_version = "HTTP/1.1"  # so even a garbled request line gets a status line

    def setup(self) -> None:
        self.connection = self.request
        self.connection.settimeout(self.server.request_timeout)  # half-sent requests time out
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors of the HTTP layer (malformed request line, long headers...) as OperationOutcomes."""
        text = message or self.responses.get(code, ("error",))[0]
        self.close_connection = True
        self._reply(code, operation_outcome(f"HTTP {code}: {text}", _CODES.get(code, "processing")))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # any other method: a FHIR answer, not the stdlib's HTML 501
            return self._unsupported
        raise AttributeError(name)

    def _unsupported(self) -> None:
        self._drain_body()
        self._reply(
            405, operation_outcome(f"HTTP method {self.command} is not supported", "not-supported")
        )

    def _drain_body(self) -> None:
        length = self._content_length()
        if length:
            self.rfile.read(length)

    def _content_length(self) -> int | None:
        """The body length; None (after answering 400/411/413) when it is unusable."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._reply(
                411,
                operation_outcome(
                    "Chunked bodies are not supported: send Content-Length", "invalid"
                ),
            )
            return None
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not (raw.isascii() and raw.isdigit()):
            self.close_connection = True
            self._reply(400, operation_outcome(f"Invalid Content-Length {raw[:40]!r}", "invalid"))
            return None
        length = int(raw)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._reply(
                413, operation_outcome(f"Request body too large ({length} bytes)", "too-costly")
            )
            return None
        return length

    def _handle(self) -> None:
        if not (self.path == "/fhir" or self.path.startswith(("/fhir/", "/fhir?"))):
            self._drain_body()
            return self._reply(
                404,
                operation_outcome(
                    f"Not found: {self.path[:200]} (the FHIR base is /fhir)", "not-found"
                ),
            )
        length = self._content_length()
        if length is None:
            return None
        body = self.rfile.read(length) if length else None
        if length and (body is None or len(body) < length):
            self.close_connection = True
            return None  # the client went away mid-body
        name = self.headers.get("X-Medsim-Episode") or "default"
        route = self.path.split("?")[0].rstrip("/")
        if self.command == "POST" and route == "/fhir/$medsim-close":
            closed = self.server.episodes.close(name)
            msg = f"episode {name!r} " + ("closed" if closed else "was not open")
            return self._reply(200, operation_outcome(msg, "informational", "information"))
        try:
            episode = self.server.episodes.get(name)
        except FhirError as err:
            return self._reply(err.status, err.outcome, {"Retry-After": "5"})
        if self.command == "POST" and route == "/fhir/$medsim-reset":
            episode.reset()
            return self._reply(
                200, operation_outcome("episode reset", "informational", "information")
            )
        base = self._base_url()
        status, data = episode.request(
            self.command, self.path, body, dict(self.headers.items()), base_url=base
        )
        self._reply(status, data, self._resource_headers(status, data, base))

    def _base_url(self) -> str:
        """The base the client called: X-Forwarded-* (proxy), else Host, else the bound address."""
        h = self.headers
        host = (h.get("X-Forwarded-Host") or h.get("Host") or "").split(",")[0].strip()
        if not host or any(c in host for c in "/\\ @?#"):
            return self.server.url
        proto = (h.get("X-Forwarded-Proto") or "http").split(",")[0].strip().lower()
        proto = proto if proto in ("http", "https") else "http"
        port = (h.get("X-Forwarded-Port") or "").strip()
        if port.isascii() and port.isdigit() and ":" not in host.rsplit("]", 1)[-1]:
            host = f"{host}:{port}"
        prefix = (h.get("X-Forwarded-Prefix") or "").strip().rstrip("/")
        if prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
        return f"{proto}://{host}{prefix}/fhir"

    @staticmethod
    def _resource_headers(status: int, data: dict[str, Any], base: str) -> dict[str, str]:
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else None
        if status >= 300 or data.get("resourceType") in ("Bundle", "OperationOutcome") or not meta:
            return {}
        out: dict[str, str] = {}
        version = str(meta.get("versionId", ""))
        if version:
            out["ETag"] = f'W/"{version}"'
        with contextlib.suppress(KeyError, ValueError, OverflowError, OSError):
            out["Last-Modified"] = formatdate(parse_range(str(meta["lastUpdated"]))[0], usegmt=True)
        if status == 201 and "id" in data:
            out["Location"] = (
                f"{base}/{data['resourceType']}/{data['id']}/_history/{version or '1'}"
            )
            out["Content-Location"] = out["Location"]
        return out

    def _reply(
        self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        bodiless = status in (204, 304)
        payload = b"" if bodiless else json.dumps(data, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            if not bodiless:
                self.send_header("Content-Type", "application/fhir+json;charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


def serve(
    backend: EmbeddedBackend,
    host: str = "127.0.0.1",
    port: int = 8080,
    **options: Any,
) -> None:
    server = FhirHttpServer(backend, host, port, **options)
    print(
        f"medsim FHIR server at {server.url} ({backend.count()} resources). Ctrl-C to stop.",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
