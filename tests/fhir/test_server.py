"""``medsim serve-fhir`` as an HTTP server: links from the request, headers, errors as
OperationOutcomes, episode release, and robustness (bounded fuzz, a 200-connection burst,
half-sent requests). Raw sockets and http.client, so nothing hides what the server sends."""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend
from medsim.fhir.episodes import EpisodePool
from medsim.fhir.server import FhirHttpServer
from tests.fhir.dataset import build


@pytest.fixture(scope="module")
def server() -> Iterator[FhirHttpServer]:
    backend = EmbeddedBackend()
    backend.load(build(patients=3, obs_per_patient=30))
    srv = FhirHttpServer(backend, port=0, timeout=1.0, max_episodes=50)
    srv.start_background()
    yield srv
    srv.shutdown()
    srv.server_close()
    backend.close()


def _req(
    srv: FhirHttpServer,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    conn.request(method, path, body=data, headers=headers or {})
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def _raw(srv: FhirHttpServer, payload: bytes, wait: float = 5.0) -> bytes:
    host, port = srv.server_address[:2]
    with socket.create_connection((str(host), port), timeout=wait) as s:
        s.sendall(payload)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def _outcome(body: bytes) -> dict[str, Any]:
    data = json.loads(body)
    assert data["resourceType"] == "OperationOutcome", data
    return data


def test_links_and_full_urls_follow_the_host_header(server: FhirHttpServer) -> None:
    status, _, body = _req(
        server, "GET", "/fhir/Observation?_count=5", headers={"Host": "ehr.test:9999"}
    )
    bundle = json.loads(body)
    assert status == 200
    assert all(link["url"].startswith("http://ehr.test:9999/fhir/") for link in bundle["link"])
    assert bundle["entry"][0]["fullUrl"].startswith("http://ehr.test:9999/fhir/Observation/")
    proxied = {
        "Host": "internal:1",
        "X-Forwarded-Host": "proxy.example.org",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Prefix": "/emr",
    }
    _, _, body = _req(server, "GET", "/fhir/Observation?_count=5", headers=proxied)
    nxt = next(x["url"] for x in json.loads(body)["link"] if x["relation"] == "next")
    assert nxt.startswith("https://proxy.example.org/emr/fhir/Observation?")


def test_read_headers_head_and_location(server: FhirHttpServer) -> None:
    status, headers, _ = _req(server, "GET", "/fhir/Patient/pat-1")
    assert status == 200 and headers["etag"] == 'W/"1"' and headers["last-modified"].endswith("GMT")
    status, headers, body = _req(server, "HEAD", "/fhir/Patient/pat-1")
    assert status == 200 and body == b"" and headers["etag"] == 'W/"1"'
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    status, headers, body = _req(
        server,
        "POST",
        "/fhir/Observation",
        obs,
        {"Content-Type": "application/fhir+json", "Host": "h.test", "X-Medsim-Episode": "loc"},
    )
    created = json.loads(body)
    assert status == 201
    assert headers["location"] == f"http://h.test/fhir/Observation/{created['id']}/_history/1"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"BREW /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
        (b"GET /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /fhir/Patient HTTP/1.1\r\nX-Big: " + b"b" * 70000 + b"\r\n\r\n", 431),
        (b"garbage\r\n\r\n", 400),
        (b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    ],
)
def test_http_layer_errors_are_operation_outcomes(
    server: FhirHttpServer, payload: bytes, status: int
) -> None:
    reply = _raw(server, payload)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode(), head[:100]
    assert b"application/fhir+json" in head
    _outcome(body)


def test_xml_accept_is_406(server: FhirHttpServer) -> None:
    status, _, body = _req(
        server, "GET", "/fhir/Patient/pat-1", headers={"Accept": "application/fhir+xml"}
    )
    assert status == 406
    _outcome(body)


def test_half_sent_request_times_out(server: FhirHttpServer) -> None:
    start = time.monotonic()
    reply = _raw(
        server, b"POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", 10
    )
    assert time.monotonic() - start < 8  # the server dropped it after its 1 s idle timeout
    assert not reply.startswith(b"HTTP/1.1 5")


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Observation?date=9999-12-31",
        "/fhir/Observation?date=ge9999-12-31T23:59:59Z",
        "/fhir/Observation?_count=%C2%B2",
        "/fhir/Observation?_offset=%D9%A3",
        "/fhir/Observation?_offset=99999999999999999999999",
        "/fhir/Observation?_count=99999999999999999999999",
    ],
)
def test_hostile_queries_are_4xx_outcomes(server: FhirHttpServer, path: str) -> None:
    status, _, body = _req(server, "GET", path)
    assert status < 500
    if status >= 400:
        _outcome(body)


def test_deep_json_body_is_a_400(server: FhirHttpServer) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    status, _, body = _req(server, "POST", "/fhir/Observation", deep)
    assert status == 400
    _outcome(body)


def test_bounded_fuzz_never_5xx(server: FhirHttpServer) -> None:
    rng = random.Random(11)
    pieces = [
        "Patient",
        "Observation",
        "pat-1",
        "_history",
        "$everything",
        "_search",
        "%",
        "%C2%B2",
        "..",
        "metadata",
        "?",
        "&",
        "=",
        "_count",
        "_sort",
        "date",
        "9999",
        "-",
        "|",
        "::",
    ]
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    bodies = [
        None,
        b"{",
        b"[]",
        b'{"resourceType": "Patient", "active": "yes"}',
        b"\x00\xff",
        b"[" * 5000,
    ]
    for _ in range(300):
        path = "/fhir/" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        method = rng.choice(methods)
        status, headers, body = _req(
            server, method, path, rng.choice(bodies), {"X-Medsim-Episode": "fuzz"}
        )
        assert status < 500, (method, path, body[:200])
        if method != "HEAD" and status >= 400:
            _outcome(body)


def test_burst_of_200_concurrent_requests(server: FhirHttpServer) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            status, _, _ = _req(server, "GET", f"/fhir/Patient/pat-{i % 3 + 1}")
        except OSError:
            status = -1
        with lock:
            results.append(status)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count(200) == 200, sorted(set(results))


def test_episodes_close_and_cap(server: FhirHttpServer) -> None:
    status, _, _ = _req(server, "GET", "/fhir/Patient/pat-1", headers={"X-Medsim-Episode": "short"})
    assert status == 200 and "short" in server.episodes._slots
    status, _, body = _req(
        server, "POST", "/fhir/$medsim-close", headers={"X-Medsim-Episode": "short"}
    )
    assert status == 200 and "short" not in server.episodes._slots


def test_episode_pool_expiry_and_429() -> None:
    now = [0.0]
    closed: list[str] = []

    class Fake:
        def __init__(self, name: str) -> None:
            self.name = name

        def close(self) -> None:
            closed.append(self.name)

    pool = EpisodePool(Fake, idle_seconds=10, max_episodes=2, clock=lambda: now[0])  # type: ignore[arg-type]
    pool.get("a")
    pool.get("b")
    with pytest.raises(Exception) as err:
        pool.get("c")
    assert getattr(err.value, "status", None) == 429
    now[0] = 11.0
    pool.get("b")  # b is used again: only a is idle
    pool.get("c")  # a expired, so c fits
    assert closed == ["a"] and len(pool) == 2


def test_new_episodes_beyond_the_cap_get_429(server: FhirHttpServer) -> None:
    names = [f"cap-{i}" for i in range(server.episodes.max_episodes + 5)]
    statuses = []
    for name in names:
        status, headers, body = _req(
            server, "GET", "/fhir/Patient/pat-1", headers={"X-Medsim-Episode": name}
        )
        statuses.append(status)
        if status == 429:
            assert headers["retry-after"]
            _outcome(body)
    assert statuses.count(429) >= 5 and set(statuses) == {200, 429}
    assert len(server.episodes) == server.episodes.max_episodes  # never more layers than the cap
    for name in names:
        server.episodes.close(name)
