"""The HTTP backend's client side against a hand-written FHIR server (httpx.MockTransport).

Each test's server answers are written out by hand (the shapes of R4 http.html and search.html,
and HAPI's habits where the client works around them: pages smaller than ``_count``, ``_include``
entries on a page, a lenient server that stores whatever it is sent). The oracle is what the
client must do with those answers: gather pages until ``_count`` *matches* are in hand, refuse the
writes every backend refuses before anything reaches the server, track and undo its writes.
The behaviour against real servers (serve-fhir, HAPI) is in test_isolation.py / test_writes.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from medsim.fhir import FhirError
from medsim.fhir.http import EPISODE_SYSTEM, HttpBackend, HttpEpisode
from medsim.fhir.interface import MAX_BODY_BYTES

BASE = "http://fake.test/fhir"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeServer:
    """Records every request; answers with ``handler`` (a lenient server by default: GET of any
    ``Type/id`` is 200, POST/PUT echo the body with an id, DELETE is 200)."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler or lenient
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def sent(self, method: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method]


def lenient(request: httpx.Request) -> httpx.Response:
    """A server that checks nothing (HAPI's default): every read is found, every write stored."""
    path = request.url.path.removeprefix("/fhir/").strip("/")
    parts = path.split("/") if path else []
    if request.method == "GET" and len(parts) == 2:
        return httpx.Response(200, json={"resourceType": parts[0], "id": parts[1]})
    if request.method == "POST" and len(parts) == 1:
        body = json.loads(request.content)
        return httpx.Response(201, json={**body, "id": "srv-1", "meta": {"versionId": "1"}})
    if request.method == "PUT":
        return httpx.Response(200, json=json.loads(request.content))
    if request.method == "POST" and not parts:  # a transaction: every entry created
        bundle = json.loads(request.content)
        return httpx.Response(200, json=transaction_response(bundle))
    return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "total": 0})


def transaction_response(bundle: dict[str, Any]) -> dict[str, Any]:
    out = []
    for n, e in enumerate(bundle.get("entry") or [], 1):
        rtype = e["request"]["url"].split("/")[0]
        out.append({"response": {"status": "201 Created", "location": f"{rtype}/tx-{n}"}})
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": out}


def episode_on(server: FakeServer, **backend_kwargs: Any) -> HttpEpisode:
    """An episode of an :class:`HttpBackend` whose requests go to ``server``."""
    backend = HttpBackend(BASE, check=False, **backend_kwargs)
    ep = backend.episode("ep-a")
    ep._http.close()
    ep._http = httpx.Client(
        base_url=BASE + "/", headers=dict(ep._http.headers), transport=server.transport
    )
    return ep


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def ep(server: FakeServer) -> Iterator[HttpEpisode]:
    episode = episode_on(server)
    yield episode
    episode.close()


def _obs(n: int, patient: str = "p1") -> dict[str, Any]:
    return {
        "fullUrl": f"{BASE}/Observation/o{n}",
        "resource": {
            "resourceType": "Observation",
            "id": f"o{n}",
            "status": "final",
            "code": {"text": "x"},
            "subject": {"reference": f"Patient/{patient}"},
        },
        "search": {"mode": "match"},
    }


def _include(pid: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{BASE}/Patient/{pid}",
        "resource": {"resourceType": "Patient", "id": pid},
        "search": {"mode": "include"},
    }


def paged(pages: list[list[dict[str, Any]]], total: int) -> Handler:
    """A searchset server that serves ``pages`` in turn (``page=N`` in the next links)."""

    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        links = [{"relation": "self", "url": f"{BASE}/Observation?page={n}"}]
        if n < len(pages):
            links.append({"relation": "next", "url": f"{BASE}/Observation?page={n + 1}"})
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
        return httpx.Response(200, json={**bundle, "entry": pages[n - 1]})

    return handler


def _match_ids(bundle: dict[str, Any]) -> list[str]:
    return [
        e["resource"]["id"]
        for e in bundle.get("entry") or []
        if (e.get("search") or {}).get("mode", "match") == "match"
    ]


# -- gathering pages: _count counts matches, not _include entries ------------------------------


def test_include_entries_do_not_count_towards_count(server: FakeServer, ep: HttpEpisode) -> None:
    """Page 1 holds 2 matches and 2 included Patients: ``_count=4`` needs page 2 as well
    (R4 search.html#count: _count is the number of *matches* per page; includes come extra)."""
    server.handler = paged(
        [[_obs(1), _obs(2), _include("p1"), _include("p2")], [_obs(3), _obs(4)], [_obs(5)]], 5
    )
    ep.max_page_size = 5000
    bundle = ep.search("Observation", {"_count": "4", "_include": "Observation:subject"})
    assert _match_ids(bundle) == ["o1", "o2", "o3", "o4"]
    assert [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"] == [
        "p1",
        "p2",
    ]
    assert len(server.requests) == 2  # page 3 is not fetched: 4 matches are in hand


def test_include_entries_on_a_later_page_do_not_count(server: FakeServer, ep: HttpEpisode) -> None:
    """Page 2 holds one match and one include: ``_count=4`` still needs page 3."""
    server.handler = paged([[_obs(1), _obs(2)], [_obs(3), _include("p3")], [_obs(4)]], 4)
    bundle = ep.search("Observation", {"_count": "4", "_include": "Observation:subject"})
    assert _match_ids(bundle) == ["o1", "o2", "o3", "o4"] and len(server.requests) == 3


def test_pages_are_gathered_until_count_then_stop(server: FakeServer, ep: HttpEpisode) -> None:
    """Server pages of 2, ``_count=5``: pages 1-3 are fetched in order, each match once, and the
    links of the last page fetched are the bundle's (its ``next`` continues after them)."""
    server.handler = paged(
        [[_obs(1), _obs(2)], [_obs(3), _obs(4)], [_obs(5), _obs(6)], [_obs(7)]], 7
    )
    bundle = ep.search("Observation", {"_count": "5"})
    assert _match_ids(bundle) == ["o1", "o2", "o3", "o4", "o5", "o6"]
    assert len(server.requests) == 3
    nxt = [x["url"] for x in bundle["link"] if x["relation"] == "next"]
    assert nxt == [f"{BASE}/Observation?page=4"]


def test_exactly_count_matches_fetch_no_further_page(server: FakeServer, ep: HttpEpisode) -> None:
    server.handler = paged([[_obs(1), _obs(2)], [_obs(3), _obs(4)], [_obs(5)]], 5)
    bundle = ep.search("Observation", {"_count": "4"})
    assert _match_ids(bundle) == ["o1", "o2", "o3", "o4"]
    assert len(server.requests) == 2


def test_an_empty_page_ends_the_gathering(server: FakeServer, ep: HttpEpisode) -> None:
    """A server whose ``next`` leads to an empty page (HAPI after a concurrent delete): stop."""
    server.handler = paged([[_obs(1)], [], [_obs(2)]], 2)
    bundle = ep.search("Observation", {"_count": "3"})
    assert _match_ids(bundle) == ["o1"]
    assert len(server.requests) == 2


def test_no_count_takes_the_server_page_as_it_is(server: FakeServer, ep: HttpEpisode) -> None:
    server.handler = paged([[_obs(1)], [_obs(2)]], 2)
    bundle = ep.search("Observation", {"subject": "Patient/p1"})
    assert _match_ids(bundle) == ["o1"] and len(server.requests) == 1


def test_total_accurate_is_asked_for_unless_the_caller_chose(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """HAPI omits ``total`` on large searches unless asked (``_total=accurate``); a caller's own
    ``_total`` is sent as it is and not contradicted."""
    ep.search("Observation", {"subject": "Patient/p1"})
    assert server.requests[-1].url.params.get_list("_total") == ["accurate"]
    ep.search("Observation", {"subject": "Patient/p1", "_total": "none"})
    assert server.requests[-1].url.params.get_list("_total") == ["none"]
    assert server.requests[-1].url.params.get_list("_tag:not") == ["urn:medsim:scratch|1"]


def test_a_smaller_page_size_reduces_count_and_says_so(server: FakeServer, ep: HttpEpisode) -> None:
    """``max_page_size=3`` and ``_count=10``: the server is asked for 3 (the other parameters
    unchanged) and the Bundle carries the warning outcome."""
    server.handler = paged([[_obs(1), _obs(2), _obs(3)], [_obs(4)]], 4)
    ep.max_page_size = 3
    bundle = ep.search("Observation", {"subject": "Patient/p1", "_count": "10"})
    sent = server.requests[0].url.params
    assert sent.get_list("_count") == ["3"] and sent.get_list("subject") == ["Patient/p1"]
    assert _match_ids(bundle) == ["o1", "o2", "o3"]
    outcomes = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert [o["resource"]["issue"][0]["severity"] for o in outcomes] == ["warning"]


# -- own resources merged into the first page --------------------------------------------------


def _shared(own: list[dict[str, Any]], own_total: int, base: list[dict[str, Any]]) -> Handler:
    """A shared server: base matches for the ``_tag:not`` query, ``own`` for the ``_tag`` one."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            return lenient(request)
        if "_tag" in request.url.params:
            entries, total = own, own_total
        else:
            entries, total = base, len([e for e in base if e["search"]["mode"] == "match"])
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": total}
        return httpx.Response(200, json={**bundle, "entry": entries})

    return handler


def _create_own(ep: HttpEpisode) -> None:
    ep.create(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "subject": {"reference": "Patient/p1"},
        }
    )


def test_own_matches_and_includes_keep_their_modes(server: FakeServer, ep: HttpEpisode) -> None:
    """With ``_include``, both queries return included Patients: matches first (base then own,
    unsorted), then every include, and only matches count."""
    _create_own(ep)
    server.handler = _shared(
        own=[_obs(9), _include("p1")], own_total=1, base=[_obs(1), _obs(2), _include("p2")]
    )
    bundle = ep.search("Observation", {"_include": "Observation:subject"})
    modes = [(e["resource"]["id"], e["search"]["mode"]) for e in bundle["entry"]]
    assert modes == [
        ("o1", "match"),
        ("o2", "match"),
        ("o9", "match"),
        ("p2", "include"),
        ("p1", "include"),
    ]
    assert bundle["total"] == 3


def test_the_total_counts_own_matches_beyond_the_own_page(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """A server that pages the own query (HAPI caps pages): its ``total`` (3) is the count of
    own matches, not the 2 entries it sent."""
    _create_own(ep)
    server.handler = _shared(own=[_obs(8), _obs(9)], own_total=3, base=[_obs(1)])
    bundle = ep.search("Observation", {"subject": "Patient/p1"})
    assert _match_ids(bundle) == ["o1", "o8", "o9"] and bundle["total"] == 4


def test_own_matches_on_the_servers_later_pages_are_gathered(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """A server that caps the own query's page at 2 (HAPI caps pages at its maximum): its next
    page is followed until ``_count`` is in hand, as for the server's matches (the own matches
    beyond the first page were cut off)."""
    _create_own(ep)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            return lenient(request)
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
        if "_tag" in request.url.params:  # the own query: two pages of 2
            nxt = [{"relation": "next", "url": f"{BASE}/Observation?own-page=2"}]
            return httpx.Response(
                200, json={**bundle, "total": 3, "link": nxt, "entry": [_obs(8), _obs(9)]}
            )
        if "own-page" in request.url.params:
            return httpx.Response(200, json={**bundle, "total": 3, "entry": [_obs(10)]})
        return httpx.Response(200, json={**bundle, "total": 1, "entry": [_obs(1)]})

    server.handler = handler
    bundle = ep.search("Observation", {"subject": "Patient/p1", "_count": "5"})
    assert _match_ids(bundle) == ["o1", "o8", "o9", "o10"] and bundle["total"] == 4


def test_own_query_keeps_the_search_parameters(server: FakeServer, ep: HttpEpisode) -> None:
    """The own query is the same search plus ``_tag=<episode>``, its ``_count`` the end of the
    asked page (``_offset`` + ``_count``: each layer's first matches up to there are merged)."""
    _create_own(ep)
    server.handler = _shared(own=[_obs(9)], own_total=1, base=[])
    ep.search("Observation", {"subject": "Patient/p1", "_count": "7"})
    own = [r for r in server.sent("GET") if "_tag" in r.url.params][-1].url.params
    assert own.get_list("subject") == ["Patient/p1"]
    assert own.get_list("_tag") == [f"{EPISODE_SYSTEM}|ep-a"]
    assert own.get_list("_count") == ["7"] and own.get_list("_total") == ["accurate"]


def test_a_later_page_is_a_slice_of_the_merged_order(server: FakeServer, ep: HttpEpisode) -> None:
    """``_offset=2&_count=2`` over 3 server matches and 1 own: both layers are asked for their
    first 4 (no ``_offset`` sent), merged (server's first, unsorted) and sliced: o3 then o9; the
    total is 4, so there is a previous link and no next one."""
    _create_own(ep)
    server.handler = _shared(own=[_obs(9)], own_total=1, base=[_obs(1), _obs(2), _obs(3)])
    bundle = ep.search("Observation", {"subject": "Patient/p1", "_offset": "2", "_count": "2"})
    assert _match_ids(bundle) == ["o3", "o9"] and bundle["total"] == 4
    relations = {x["relation"]: x["url"] for x in bundle["link"]}
    assert "next" not in relations and relations["previous"].endswith("_offset=0")
    sent = [r.url.params for r in server.sent("GET") if r.url.path.endswith("/Observation")][-2:]
    assert all(p.get_list("_count") == ["4"] and "_offset" not in p for p in sent)


# -- errors from the server --------------------------------------------------------------------


def test_a_server_outcome_is_passed_on_with_its_status(server: FakeServer, ep: HttpEpisode) -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad param"}],
    }
    server.handler = lambda r: httpx.Response(400, json=outcome)
    with pytest.raises(FhirError) as err:
        ep.read("Patient", "p1")
    assert err.value.status == 400 and err.value.outcome == outcome


def test_a_non_json_error_page_becomes_an_outcome(server: FakeServer, ep: HttpEpisode) -> None:
    """A proxy's HTML error page: the status is kept, the text (at most 500 characters) is the
    outcome's diagnostics."""
    page = "<html>" + "gateway down " * 60 + "</html>"
    server.handler = lambda r: httpx.Response(502, text=page)
    with pytest.raises(FhirError) as err:
        ep.read("Patient", "p1")
    assert err.value.status == 502
    assert err.value.outcome["resourceType"] == "OperationOutcome"
    assert err.value.diagnostics == page[:500]


def test_an_error_without_an_outcome_gets_one(server: FakeServer, ep: HttpEpisode) -> None:
    server.handler = lambda r: httpx.Response(404, json={"resourceType": "Bundle"})
    with pytest.raises(FhirError) as err:
        ep.read("Patient", "p1")
    assert err.value.status == 404 and err.value.outcome["resourceType"] == "OperationOutcome"


def test_capabilities_come_from_the_server(server: FakeServer, ep: HttpEpisode) -> None:
    server.handler = lambda r: httpx.Response(
        200, json={"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"}
    )
    assert ep.capabilities()["fhirVersion"] == "4.0.1"
    assert server.requests[-1].url.path == "/fhir/metadata"


# -- writes a lenient server would accept are refused before any request ---------------------


def test_a_reference_to_a_missing_resource_is_refused_locally(server: FakeServer) -> None:
    """The lenient server finds nothing for Patient/gone: 400, and no POST is ever sent."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/Patient/gone"):
            return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
        return lenient(request)

    server.handler = handler
    ep = episode_on(server)
    for ref in ("Patient/gone", f"{BASE}/Patient/gone"):
        with pytest.raises(FhirError) as err:
            ep.create(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"text": "x"},
                    "subject": {"reference": ref},
                }
            )
        assert err.value.status == 400
    assert server.sent("POST") == [] and ep.writes == []


def test_an_external_reference_is_not_looked_up(server: FakeServer, ep: HttpEpisode) -> None:
    """A reference to another server (R4 references.html: absolute URL) cannot be checked here."""
    stored = ep.create(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "performer": [{"reference": "http://other.example/fhir/Practitioner/dr-1"}],
        }
    )
    assert stored["id"] == "srv-1"
    assert [r.method for r in server.requests] == ["POST"]


def test_the_size_limit_is_inclusive(server: FakeServer, ep: HttpEpisode) -> None:
    """A resource of exactly ``MAX_BODY_BYTES`` (as JSON) is sent; one byte more is a 413."""
    skeleton = {"resourceType": "Basic", "code": {"text": ""}}
    pad = MAX_BODY_BYTES - len(json.dumps(skeleton))
    exact = {"resourceType": "Basic", "code": {"text": "a" * pad}}
    assert len(json.dumps(exact)) == MAX_BODY_BYTES
    ep.create(exact)
    with pytest.raises(FhirError) as err:
        ep.create({"resourceType": "Basic", "code": {"text": "a" * (pad + 1)}})
    assert err.value.status == 413
    assert len(server.sent("POST")) == 1


def test_created_resources_keep_their_tags_and_get_this_episodes(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """The resource's own ``meta.tag`` is kept; a forged episode tag is replaced by this one's."""
    ep.create(
        {
            "resourceType": "Basic",
            "code": {"text": "x"},
            "meta": {
                "tag": [
                    {"system": "urn:test", "code": "keep"},
                    {"system": EPISODE_SYSTEM, "code": "someone-else"},
                ]
            },
        }
    )
    sent = json.loads(server.sent("POST")[0].content)
    assert sent["meta"]["tag"] == [
        {"system": "urn:test", "code": "keep"},
        {"system": "urn:medsim:scratch", "code": "1"},
        {"system": EPISODE_SYSTEM, "code": "ep-a"},
    ]


def test_without_isolation_nothing_is_tagged_or_filtered(server: FakeServer) -> None:
    ep = episode_on(server, isolation=False)
    ep.create({"resourceType": "Basic", "code": {"text": "x"}})
    assert "meta" not in json.loads(server.sent("POST")[0].content)
    bundle = ep.search("Basic", {"_id": "srv-1"})
    assert bundle["resourceType"] == "Bundle"
    assert "_tag:not" not in server.requests[-1].url.params
    ep.close()


# -- transactions --------------------------------------------------------------------------------


def _tx(*entries: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _post(resource: dict[str, Any]) -> dict[str, Any]:
    return {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}


GOOD = {"resourceType": "Basic", "code": {"text": "ok"}}
BAD = {"resourceType": "Basic"}  # Basic.code is 1..1


def test_a_batch_entry_refused_locally_keeps_its_place(server: FakeServer, ep: HttpEpisode) -> None:
    """The lenient server would store the invalid entry: it is answered locally (4xx) in its
    place, and only the valid ones are sent."""
    out = ep.transaction(_tx(_post(BAD), _post(GOOD), kind="batch"))
    statuses = [e["response"]["status"] for e in out["entry"]]
    assert len(statuses) == 2 and statuses[0].startswith("4") and statuses[1].startswith("201")
    assert len(json.loads(server.sent("POST")[0].content)["entry"]) == 1


def test_a_transaction_with_an_invalid_entry_sends_nothing(
    server: FakeServer, ep: HttpEpisode
) -> None:
    with pytest.raises(FhirError) as err:
        ep.transaction(_tx(_post(GOOD), _post(BAD)))
    assert err.value.status == 400 and server.requests == [] and ep.writes == []


def _answering_bundles(kind: str, *responses: dict[str, str]) -> Handler:
    """A lenient server that answers every Bundle POSTed to the base with ``responses``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/fhir/":
            entries = [{"response": r} for r in responses]
            return httpx.Response(
                200, json={"resourceType": "Bundle", "type": kind, "entry": entries}
            )
        return lenient(request)

    return handler


def test_transaction_tags_only_creates_and_tracks_every_write(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """POST entries are tagged as this episode's; a PUT of a base resource and a DELETE are not.
    Every answered ``location`` (``Type/id``, with or without ``_history``) is a tracked write,
    and so is a DELETE answered 2xx (no location: matched by its place in the Bundle), first,
    as the server runs them (FHIR's order: DELETE, POST, PUT)."""

    server.handler = _answering_bundles(
        "transaction-response",
        {"status": "201 Created", "location": "Basic/b1"},
        {"status": "200 OK", "location": "Basic/base-1/_history/2"},
        {"status": "204 No Content"},
    )
    put = {**GOOD, "id": "base-1"}
    ep.transaction(
        _tx(
            _post(GOOD),
            {"resource": put, "request": {"method": "PUT", "url": "Basic/base-1"}},
            {"request": {"method": "DELETE", "url": "Basic/base-2"}},
        )
    )
    sent = json.loads(server.sent("POST")[-1].content)["entry"]
    assert [t["code"] for t in sent[0]["resource"]["meta"]["tag"]] == ["1", "ep-a"]
    assert "meta" not in sent[1]["resource"] and "resource" not in sent[2]
    assert [(w.method, w.resource_type, w.id) for w in ep.writes] == [
        ("delete", "Basic", "base-2"),
        ("create", "Basic", "b1"),
        ("update", "Basic", "base-1"),
    ]


def test_a_batch_records_only_the_deletes_the_server_did(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """A batch whose first DELETE the server refused (404) and whose second it did: only the
    second is a write; a conditional DELETE is refused locally (400) in its place, never sent."""

    server.handler = _answering_bundles(
        "batch-response", {"status": "404 Not Found"}, {"status": "204 No Content"}
    )
    out = ep.transaction(
        _tx(
            {"request": {"method": "DELETE", "url": "Basic/gone"}},
            {"request": {"method": "DELETE", "url": "Basic?code=ok"}},
            {"request": {"method": "DELETE", "url": "Basic/base-2"}},
            kind="batch",
        )
    )
    assert [e["response"]["status"][:3] for e in out["entry"]] == ["404", "400", "204"]
    sent = json.loads(server.sent("POST")[-1].content)["entry"]
    assert [e["request"]["url"] for e in sent] == ["Basic/gone", "Basic/base-2"]
    assert [(w.method, w.resource_type, w.id) for w in ep.writes] == [("delete", "Basic", "base-2")]


def test_an_empty_transaction_is_sent_as_it_is(server: FakeServer, ep: HttpEpisode) -> None:
    out = ep.transaction({"resourceType": "Bundle", "type": "transaction"})
    assert out["type"] == "transaction-response" and ep.writes == []


# -- reset ----------------------------------------------------------------------------------------


def test_reset_deletes_and_expunges_created_resources(server: FakeServer, ep: HttpEpisode) -> None:
    """A created resource is deleted, then expunged with both HAPI flags (HAPI JPA $expunge:
    expungeDeletedResources, expungePreviousVersions) so no version of it stays on the server."""
    ep.create({"resourceType": "Basic", "code": {"text": "x"}})
    n = len(server.requests)
    ep.reset()
    calls = [(r.method, r.url.path) for r in server.requests[n:]]
    assert calls == [("DELETE", "/fhir/Basic/srv-1"), ("POST", "/fhir/Basic/srv-1/$expunge")]
    params = json.loads(server.requests[-1].content)["parameter"]
    assert {p["name"]: p["valueBoolean"] for p in params} == {
        "expungeDeletedResources": True,
        "expungePreviousVersions": True,
    }
    assert ep.writes == []


def test_reset_puts_back_an_updated_base_resource(server: FakeServer, ep: HttpEpisode) -> None:
    ep.update("Basic", "b7", {"resourceType": "Basic", "id": "b7", "code": {"text": "new"}})
    n = len(server.requests)
    ep.reset()
    assert [(r.method, r.url.path) for r in server.requests[n:]] == [("PUT", "/fhir/Basic/b7")]
    assert json.loads(server.requests[-1].content) == {"resourceType": "Basic", "id": "b7"}


# -- the backend ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, body",
    [(200, {"resourceType": "Bundle"}), (404, {"resourceType": "CapabilityStatement"})],
)
def test_a_server_without_a_capability_statement_is_refused(
    monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, Any]
) -> None:
    """``/metadata`` must answer 200 with a CapabilityStatement (R4 http.html#capabilities)."""
    monkeypatch.setattr(httpx, "get", lambda *a, **k: httpx.Response(status, json=body))
    with pytest.raises(ConnectionError):
        HttpBackend(BASE)


def test_the_backend_checks_the_server_by_default() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError):
        HttpBackend(f"http://127.0.0.1:{port}/fhir", timeout=2.0)


# -- own resources sorted into the base page (``_sort``) -----------------------------------------


def _res(rtype: str, rid: str, **fields: Any) -> dict[str, Any]:
    return {"resource": {"resourceType": rtype, "id": rid, **fields}, "search": {"mode": "match"}}


def _vq(rid: str, value: float, component: float | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "status": "final",
        "code": {"text": "x"},
        "valueQuantity": {"value": value, "unit": "mmol/L"},
    }
    if component is not None:
        fields["component"] = [
            {"code": {"text": "c"}, "valueQuantity": {"value": component, "unit": "mmol/L"}}
        ]
    return _res("Observation", rid, **fields)


def _coded(rid: str, *codes: str) -> dict[str, Any]:
    coding = [{"system": "urn:test", "code": c} for c in codes]
    return _res("Observation", rid, status="final", code={"coding": coding})


def _person(rid: str, family: str, given: str) -> dict[str, Any]:
    return _res("Patient", rid, name=[{"family": family, "given": [given]}])


@pytest.mark.parametrize(
    "rtype, sort, base, own, expected",
    [
        # by id: the own b1 goes between the server's a1 and c1
        ("Patient", "_id", ["a1", "c1"], ["b1"], ["a1", "b1", "c1"]),
        # by a quantity, both ways (the component value 0.5 is not the Observation's value)
        ("Observation", "value-quantity", [_vq("q1", 1.0), _vq("q4", 4.0)],
         [_vq("q2", 2.0, component=0.5), _vq("q5", 5.0)], ["q1", "q2", "q4", "q5"]),
        ("Observation", "-value-quantity", [_vq("q4", 4.0), _vq("q1", 1.0)],
         [_vq("q5", 5.0), _vq("q2", 2.0)], ["q5", "q4", "q2", "q1"]),
        # by a token: ascending takes a resource's lowest code, descending its highest
        ("Observation", "code", [_coded("t1", "b"), _coded("t3", "d")], [_coded("t2", "c", "z")],
         ["t1", "t2", "t3"]),
        ("Observation", "-code", [_coded("t3", "d"), _coded("t1", "b")], [_coded("t2", "c", "a")],
         ["t3", "t2", "t1"]),
        # by a string: family only (given names sort the other way round)
        ("Patient", "family", [_person("s1", "Adams", "Zoe"), _person("s3", "Clark", "Abe")],
         [_person("s2", "Baker", "Mia")], ["s1", "s2", "s3"]),
    ],
)  # fmt: skip
def test_own_matches_are_sorted_into_the_page(
    server: FakeServer,
    ep: HttpEpisode,
    rtype: str,
    sort: str,
    base: list[Any],
    own: list[Any],
    expected: list[str],
) -> None:
    """The server sorts each query; the client merges the two sorted lists by the same key
    (R4 search.html#sort: ascending by a resource's lowest value, descending by its highest)."""
    base_entries = [_res("Patient", x) if isinstance(x, str) else x for x in base]
    own_entries = [_res("Patient", x) if isinstance(x, str) else x for x in own]
    ep.create({"resourceType": rtype} if rtype == "Patient" else
              {"resourceType": rtype, "status": "final", "code": {"text": "x"}})  # fmt: skip
    server.handler = _shared(own=own_entries, own_total=len(own_entries), base=base_entries)
    bundle = ep.search(rtype, {"_sort": sort, "_count": "10"})
    assert _match_ids(bundle) == expected


# -- request(): what goes to the server as it is, and what runs through the episode -------------


def test_request_sends_reads_as_they_are_and_runs_compartments_here(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """A vread goes to the server unchanged; a compartment search (which HAPI's JPA server does
    not implement) becomes a type search with the patient parameter (R4 compartmentdefinition)."""
    assert ep.request("GET", "Patient/p1/_history/1")[0] == 200
    assert server.requests[-1].url.path == "/fhir/Patient/p1/_history/1"
    status, _ = ep.request("GET", "Patient/p1/Observation?code=x")
    sent = server.requests[-1].url
    assert status == 200 and sent.path == "/fhir/Observation"
    assert sent.params.get_list("patient") == ["p1"] and sent.params.get_list("code") == ["x"]


def test_a_request_the_grammar_refuses_never_reaches_the_server(
    server: FakeServer, ep: HttpEpisode
) -> None:
    status, outcome = ep.request("GET", "Patient/p1/$bogus/x/y/z")
    assert status == 400 and outcome["resourceType"] == "OperationOutcome"
    assert server.requests == []


def test_a_next_link_that_cannot_be_sent_is_a_fhir_error(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """A server whose ``next`` link holds a control character: the client answers 400 (httpx's
    InvalidURL does not escape)."""
    handler = paged([[_obs(1)], [_obs(2)]], 2)

    def broken(request: httpx.Request) -> httpx.Response:
        answer = handler(request)
        bundle = json.loads(answer.content)
        bundle["link"] = [{"relation": "next", "url": f"{BASE}/Observation?page=\x7f"}]
        return httpx.Response(200, json=bundle)

    server.handler = broken
    with pytest.raises(FhirError) as err:
        ep.search("Observation", {"_count": "2"})
    assert err.value.status == 400


# -- updates that create, overlays ----------------------------------------------------------------


def _missing(rtype_id: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/fhir/{rtype_id}":
            return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
        return _shared(own=[_res("Basic", "new-1")], own_total=1, base=[])(request)

    return handler


def test_an_update_that_creates_is_tagged_and_found(server: FakeServer, ep: HttpEpisode) -> None:
    """PUT to an id the server does not have creates it (R4 http.html#upsert): it is this
    episode's (tagged) and the next search of its type asks for the episode's own resources."""
    server.handler = _missing("Basic/new-1")
    ep.update("Basic", "new-1", {"resourceType": "Basic", "id": "new-1", "code": {"text": "x"}})
    put = json.loads(server.sent("PUT")[0].content)
    assert [t["code"] for t in put["meta"]["tag"]] == ["1", "ep-a"]
    assert _match_ids(ep.search("Basic", {"_id": "new-1"})) == ["new-1"]


def test_an_overlay_is_put_tagged_in_one_transaction(server: FakeServer, ep: HttpEpisode) -> None:
    ep.load_overlay([{"resourceType": "Basic", "id": "ov-1", "code": {"text": "x"}}])
    sent = json.loads(server.sent("POST")[0].content)
    assert sent["type"] == "transaction"
    assert [e["request"] for e in sent["entry"]] == [{"method": "PUT", "url": "Basic/ov-1"}]
    assert [t["code"] for t in sent["entry"][0]["resource"]["meta"]["tag"]] == ["1", "ep-a"]
    assert ep.writes == []


def test_an_empty_overlay_sends_nothing_and_one_without_an_id_is_refused(
    server: FakeServer, ep: HttpEpisode
) -> None:
    ep.load_overlay([])
    assert server.requests == []
    with pytest.raises(FhirError) as err:
        ep.load_overlay([{"resourceType": "Basic", "code": {"text": "x"}}])
    assert err.value.status == 400 and server.sent("POST") == []


def test_load_uploads_to_a_real_server_and_counts() -> None:
    """``HttpBackend.load`` through medsim.fhir.upload to serve-fhir: two resources, count 2."""
    from medsim.fhir import EmbeddedBackend
    from medsim.fhir.server import FhirHttpServer

    inner = EmbeddedBackend(base_url="http://127.0.0.1:0/fhir")
    server = FhirHttpServer(inner)
    inner.base_url = server.url
    server.start_background()
    try:
        backend = HttpBackend(server.url)
        basics = [{"resourceType": "Basic", "id": f"u{i}", "code": {"text": "u"}} for i in (1, 2)]
        assert backend.load(basics) == 2
    finally:
        server.shutdown()
        server.server_close()
        inner.close()


def test_reset_after_a_batch_read_writes_nothing(server: FakeServer, ep: HttpEpisode) -> None:
    """A batch that only reads (``GET Patient/p1``) changed nothing: reset sends no request (a
    PUT of the unchanged copy would still make a new version on the server)."""
    read = {"resourceType": "Patient", "id": "p1"}
    answer = {"resourceType": "Bundle", "type": "batch-response",
              "entry": [{"resource": read, "response": {"status": "200 OK"}}]}  # fmt: skip
    server.handler = lambda r: (
        httpx.Response(200, json=answer) if r.url.path == "/fhir/" else lenient(r)
    )
    ep.transaction(_tx({"request": {"method": "GET", "url": "Patient/p1"}}, kind="batch"))
    n = len(server.requests)
    ep.reset()
    assert server.requests[n:] == []


def test_the_first_page_has_no_previous_link_and_the_second_one_has(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """Paging links of a merged search (R4 paging): offset 0 has ``next`` and no ``previous``;
    offset 1 has a ``previous`` link back to offset 0."""
    _create_own(ep)
    server.handler = _shared(own=[_obs(9)], own_total=1, base=[_obs(1), _obs(2)])
    first = {x["relation"] for x in ep.search("Observation", {"_count": "1"})["link"]}
    assert first == {"self", "next"}
    second = ep.search("Observation", {"_count": "1", "_offset": "1"})
    relations = {x["relation"]: x["url"] for x in second["link"]}
    assert _match_ids(second) == ["o2"] and relations["previous"].endswith("_offset=0")


def test_a_merged_search_without_count_pages_by_twenty(server: FakeServer, ep: HttpEpisode) -> None:
    """Without ``_count`` a merged page holds 20 entries (HAPI's default page size and the
    embedded engine's): 25 server matches and 1 own give 20 now, total 26, and a next link."""
    _create_own(ep)
    server.handler = _shared(own=[_obs(99)], own_total=1, base=[_obs(i) for i in range(25)])
    bundle = ep.search("Observation", {"subject": "Patient/p1"})
    assert len(_match_ids(bundle)) == 20 and bundle["total"] == 26
    assert any(x["relation"] == "next" for x in bundle["link"])


def test_a_server_that_pages_small_is_followed_to_the_asked_page(
    server: FakeServer, ep: HttpEpisode
) -> None:
    """A server whose pages hold 2 matches (HAPI caps pages): for ``_offset=2&_count=2`` the
    server's first 4 matches are needed, so its ``next`` link is followed once; the merged page
    is o3, o4 (the own o9 comes after the server's, unsorted) and the total 5 + 1."""
    _create_own(ep)
    base = [_obs(i) for i in range(1, 6)]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            return lenient(request)
        if "_tag" in request.url.params:
            entries, total = [_obs(9)], 1
        else:
            start = int(request.url.params.get("page", "0"))
            entries, total = base[start : start + 2], len(base)
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total}
        if "_tag" not in request.url.params and int(request.url.params.get("page", "0")) + 2 < 5:
            nxt = int(request.url.params.get("page", "0")) + 2
            bundle["link"] = [{"relation": "next", "url": f"{BASE}/Observation?page={nxt}"}]
        return httpx.Response(200, json={**bundle, "entry": entries})

    server.handler = handler
    bundle = ep.search("Observation", {"_offset": "2", "_count": "2"})
    assert _match_ids(bundle) == ["o3", "o4"] and bundle["total"] == 6
