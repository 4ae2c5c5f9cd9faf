"""``medsim serve-fhir``: the embedded engine over HTTP at ``/fhir`` with HAPI's URL grammar.

Each request runs in the episode named by its ``X-Medsim-Episode`` header (``default`` without
one), so several HTTP clients can share one server without seeing each other's writes;
``POST /fhir/$medsim-reset`` drops the calling episode's writes. JSON only (``_format=json``
is accepted and ignored).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from medsim.fhir.embedded import EmbeddedBackend
from medsim.fhir.episode import EmbeddedEpisode
from medsim.fhir.interface import operation_outcome

MAX_REQUEST_BYTES = 8_000_000


class FhirHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backend: EmbeddedBackend, host: str = "127.0.0.1", port: int = 0) -> None:
        self.backend = backend
        self.episodes: dict[str, EmbeddedEpisode] = {}
        self._lock = threading.Lock()
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}/fhir"

    def episode(self, name: str) -> EmbeddedEpisode:
        with self._lock:
            if name not in self.episodes:
                self.episodes[name] = self.backend.episode(name)
            return self.episodes[name]

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="medsim-fhir", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: FhirHttpServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        pass

    def _handle(self) -> None:
        if not (self.path == "/fhir" or self.path.startswith(("/fhir/", "/fhir?"))):
            return self._reply(
                404,
                operation_outcome(f"Not found: {self.path} (the FHIR base is /fhir)", "not-found"),
            )
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.rfile.read(min(length, MAX_REQUEST_BYTES * 2))
            return self._reply(
                413, operation_outcome(f"Request body too large ({length} bytes)", "too-costly")
            )
        body = self.rfile.read(length) if length else None
        episode = self.server.episode(self.headers.get("X-Medsim-Episode") or "default")
        if self.command == "POST" and self.path.split("?")[0].rstrip("/") == "/fhir/$medsim-reset":
            episode.reset()
            return self._reply(
                200, operation_outcome("episode reset", "informational", "information")
            )
        status, data = episode.request(self.command, self.path, body)
        self._reply(status, data)

    def _reply(self, status: int, data: dict[str, Any]) -> None:
        payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if status == 201 and "id" in data:
            self.send_header(
                "Location",
                f"{self.server.url}/{data['resourceType']}/{data['id']}/_history/{data.get('meta', {}).get('versionId', '1')}",
            )
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


def serve(backend: EmbeddedBackend, host: str = "127.0.0.1", port: int = 8080) -> None:
    server = FhirHttpServer(backend, host, port)
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
