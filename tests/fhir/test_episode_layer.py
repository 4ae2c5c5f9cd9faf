"""The embedded episode layer over a hand-written base: searches that mix base and layer rows.

The base is eight resources written out below; every expected set is worked out by hand from it
and from the episode's writes (the isolation oracle: an episode sees the base plus exactly its own
writes, a deleted or overwritten base resource is gone from every search, include and reverse
include, and after reset nothing of the episode shows). Search semantics per R4 search.html
(``_has`` #has, ``_include``/``_revinclude`` #include, paging links #paging); empty arrays never
appear in FHIR JSON (R4 json.html).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend, FhirError
from medsim.fhir.episode import EmbeddedEpisode

BASE_URL = "http://medsim.test/fhir"
LOINC = "http://loinc.org"
K, NA = "2823-3", "2951-2"  # LOINC potassium, sodium (serum/plasma)


def _obs(oid: str, patient: str, code: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "valueQuantity": {"value": value, "unit": "mmol/L"},
    }


def _patient(pid: str, gender: str, gp: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "gender": gender,
        "generalPractitioner": [{"reference": f"Practitioner/{gp}"}],
    }


BASE: list[dict[str, Any]] = [
    {"resourceType": "Practitioner", "id": "dr-1"},
    {"resourceType": "Practitioner", "id": "dr-2"},
    _patient("p1", "female", "dr-1"),
    _patient("p2", "male", "dr-2"),
    _patient("p3", "female", "dr-1"),
    _obs("b1", "p1", K, 4.0),
    _obs("b2", "p1", NA, 139.0),
    _obs("b3", "p2", K, 5.8),
]


@pytest.fixture(scope="module")
def backend() -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(base_url=BASE_URL)
    b.load(BASE)
    yield b
    b.close()


@pytest.fixture
def ep(backend: EmbeddedBackend) -> Iterator[EmbeddedEpisode]:
    episode = backend.episode()
    yield episode
    episode.close()


def _ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def _new_obs(patient: str, code: str, value: float) -> dict[str, Any]:
    return {k: v for k, v in _obs("x", patient, code, value).items() if k != "id"}


# -- _has over base and layer --------------------------------------------------------------------


def test_has_sees_layer_writes_and_not_deleted_base_rows(ep: EmbeddedEpisode) -> None:
    """Patients with a potassium result: base p1 (b1) and p2 (b3); the episode adds one for p3,
    then deletes b3: {p1, p3}."""
    has_k = {"_has:Observation:patient:code": f"{LOINC}|{K}"}
    assert sorted(_ids(ep.search("Patient", has_k))) == ["p1", "p2"]
    ep.create(_new_obs("p3", K, 3.9))
    assert sorted(_ids(ep.search("Patient", has_k))) == ["p1", "p2", "p3"]
    ep.delete("Observation", "b3")
    assert sorted(_ids(ep.search("Patient", has_k))) == ["p1", "p3"]
    # _has with _id: the intersection ({p1, p2} and {p1, p3})
    assert _ids(ep.search("Patient", {**has_k, "_id": "p1,p2"})) == ["p1"]
    # two _has clauses: potassium and sodium results (only p1 has both)
    both = [("_has:Observation:patient:code", f"{LOINC}|{K}"),
            ("_has:Observation:patient:code", f"{LOINC}|{NA}")]  # fmt: skip
    assert _ids(ep.search("Patient", both)) == ["p1"]
    # the references must point at the searched type: no Practitioner is an Observation's subject
    assert _ids(ep.search("Practitioner", {"_has:Observation:patient:code": K})) == []


def test_chained_search_reads_the_layer(ep: EmbeddedEpisode) -> None:
    """``subject:Patient.gender=male``: b3 (p2). After the episode makes p1 male: b1, b2, b3."""
    chain = {"subject:Patient.gender": "male"}
    assert _ids(ep.search("Observation", chain)) == ["b3"]
    ep.update("Patient", "p1", {**_patient("p1", "male", "dr-1")})
    assert sorted(_ids(ep.search("Observation", chain))) == ["b1", "b2", "b3"]


# -- _include / _revinclude over base and layer -------------------------------------------------


def test_include_reads_the_current_version_and_skips_deleted(ep: EmbeddedEpisode) -> None:
    ep.update("Practitioner", "dr-1", {"resourceType": "Practitioner", "id": "dr-1",
                                       "active": True})  # fmt: skip
    ep.delete("Practitioner", "dr-2")
    bundle = ep.search("Patient", {"_id": "p1,p2,p3", "_include": "Patient:general-practitioner"})
    assert sorted(_ids(bundle)) == ["p1", "p2", "p3"]
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert included == [{**included[0], "active": True}] and included[0]["id"] == "dr-1"


def test_include_with_a_target_type(ep: EmbeddedEpisode) -> None:
    """``Observation:subject:Patient`` includes p1 once for b1 and b2; ``:Group`` nothing."""
    q = {"_id": "b1,b2"}
    assert _ids(ep.search("Observation", {**q, "_include": "Observation:subject:Patient"}),
                "include") == ["p1"]  # fmt: skip
    assert _ids(ep.search("Observation", {**q, "_include": "Observation:subject:Group"}),
                "include") == []  # fmt: skip
    # an _include naming another type than the searched one adds nothing
    assert _ids(ep.search("Observation", {**q, "_include": "Patient:general-practitioner"}),
                "include") == []  # fmt: skip


def test_revinclude_sees_layer_rows_and_not_deleted_ones(ep: EmbeddedEpisode) -> None:
    created = ep.create(_new_obs("p3", K, 3.9))
    ep.delete("Observation", "b3")
    rev = {"_revinclude": "Observation:subject"}
    assert _ids(ep.search("Patient", {"_id": "p3", **rev}), "include") == [created["id"]]
    assert _ids(ep.search("Patient", {"_id": "p2", **rev}), "include") == []
    assert sorted(_ids(ep.search("Patient", {"_id": "p1", **rev}), "include")) == ["b1", "b2"]


def test_revinclude_follows_a_reference_the_episode_moved(ep: EmbeddedEpisode) -> None:
    """b1 re-pointed from p1 to p3 in the layer: it is p3's, no longer p1's."""
    ep.update("Observation", "b1", _obs("b1", "p3", K, 4.0))
    rev = {"_revinclude": "Observation:subject"}
    assert _ids(ep.search("Patient", {"_id": "p1", **rev}), "include") == ["b2"]
    assert _ids(ep.search("Patient", {"_id": "p3", **rev}), "include") == ["b1"]


# -- paging, links and the Bundle's shape -------------------------------------------------------


def test_pages_span_base_and_layer_in_sort_order(ep: EmbeddedEpisode) -> None:
    """Potassium values: b1 4.0, b3 5.8 (base) and the episode's 3.0, 5.0: ascending by value
    3.0, 4.0, 5.0, 5.8 over pages of one, with self/next/previous links worked out by hand."""
    low = ep.create(_new_obs("p3", K, 3.0))["id"]
    mid = ep.create(_new_obs("p3", K, 5.0))["id"]
    params = {"code": K, "_sort": "value-quantity", "_count": "1"}
    pages = [ep.search("Observation", {**params, "_offset": str(n)}) for n in range(4)]
    assert [_ids(p) for p in pages] == [[low], ["b1"], [mid], ["b3"]]
    assert {p["total"] for p in pages} == {4}
    base = f"{BASE_URL}/Observation?code={K}&_sort=value-quantity&_count=1"
    links = {x["relation"]: x["url"] for x in pages[2]["link"]}
    assert links == {
        "self": f"{base}&_offset=2",
        "next": f"{base}&_offset=3",
        "previous": f"{base}&_offset=1",
    }
    last = {x["relation"]: x["url"] for x in pages[3]["link"]}
    assert "next" not in last and last["previous"] == f"{base}&_offset=2"
    first = {x["relation"] for x in pages[0]["link"]}
    assert first == {"self", "next"}


def test_a_sort_over_both_layers_puts_missing_values_last(ep: EmbeddedEpisode) -> None:
    """Sodium and potassium by value, descending, over the base (b2 139, b3 5.8, b1 4.0) and the
    episode's writes (p3: 7.0, and one without a value): values high to low across layers, the
    valueless one last (R4 search.html#sort: missing values sort last here, as on HAPI)."""
    high = ep.create(_new_obs("p3", K, 7.0))["id"]
    bare = ep.create({k: v for k, v in _new_obs("p3", K, 0).items() if k != "valueQuantity"})["id"]
    got = _ids(ep.search("Observation", {"_sort": "-value-quantity"}))
    assert got == ["b2", high, "b3", "b1", bare]
    got = _ids(ep.search("Observation", {"_sort": "value-quantity"}))
    assert got == ["b1", "b3", high, "b2", bare]


def test_previous_link_does_not_go_below_zero(ep: EmbeddedEpisode) -> None:
    bundle = ep.search("Observation", {"code": K, "_count": "3", "_offset": "1"})
    prev = [x["url"] for x in bundle["link"] if x["relation"] == "previous"]
    assert prev == [f"{BASE_URL}/Observation?code={K}&_count=3&_offset=0"]


def test_count_one_returns_one(ep: EmbeddedEpisode) -> None:
    ep.create(_new_obs("p3", K, 3.0))
    assert len(_ids(ep.search("Observation", {"code": K, "_count": "1"}))) == 1


def test_links_quote_what_needs_quoting(ep: EmbeddedEpisode) -> None:
    """A value with a space and an ``&``: percent-encoded in the links (RFC 3986), so following
    the link asks the same search."""
    bundle = ep.search("Patient", {"name": "a&b c", "_count": "1"})
    assert bundle["link"][0]["url"] == f"{BASE_URL}/Patient?name=a%26b+c&_count=1"
    assert bundle["total"] == 0 and "entry" not in bundle  # no empty arrays in FHIR JSON


def test_summary_count_and_total_none(ep: EmbeddedEpisode) -> None:
    ep.create(_new_obs("p3", K, 3.0))
    ep.delete("Observation", "b1")
    counted = ep.search("Observation", {"code": K, "_summary": "count"})
    assert counted["total"] == 2 and "entry" not in counted
    assert counted["link"][0]["url"] == f"{BASE_URL}/Observation?code={K}&_summary=count"
    no_total = ep.search("Observation", {"code": K, "_total": "none"})
    assert "total" not in no_total and len(_ids(no_total)) == 2


def test_a_changed_search_after_a_write_is_not_served_stale(ep: EmbeddedEpisode) -> None:
    """The same search before and after a delete (the parsed query, and its SQL, are cached)."""
    params = {"code": K}
    ep.create(_new_obs("p3", K, 3.0))
    before = _ids(ep.search("Observation", params))
    ep.delete("Observation", "b1")
    after = _ids(ep.search("Observation", params))
    assert "b1" in before and "b1" not in after and len(after) == len(before) - 1


def test_request_base_url_sets_full_urls_for_that_request(ep: EmbeddedEpisode) -> None:
    status, bundle = ep.request("GET", "Patient?_id=p1", base_url="http://host.example/fhir/")
    assert status == 200
    assert bundle["entry"][0]["fullUrl"] == "http://host.example/fhir/Patient/p1"
    assert ep.search("Patient", {"_id": "p1"})["entry"][0]["fullUrl"] == f"{BASE_URL}/Patient/p1"


# -- ids, versions, deletes ------------------------------------------------------------------------


def test_ids_do_not_reuse_a_deleted_base_id_and_restart_after_reset(
    backend: EmbeddedBackend,
) -> None:
    """The base has Basic/1 and Basic/2; the episode deletes Basic/1: new Basics get ids no
    visible or deleted resource has, and a reset episode hands out the same ids again."""
    b = EmbeddedBackend(base_url=BASE_URL)
    b.load([{"resourceType": "Basic", "id": i, "code": {"text": i}} for i in ("1", "2")])
    ep = b.episode()
    try:
        ep.delete("Basic", "1")
        first = ep.create({"resourceType": "Basic", "code": {"text": "new"}})["id"]
        second = ep.create({"resourceType": "Basic", "code": {"text": "new"}})["id"]
        assert first not in ("1", "2") and second not in ("1", "2", first)
        with pytest.raises(FhirError) as err:
            ep.read("Basic", "1")
        assert err.value.status == 410
        ep.reset()
        again = ep.create({"resourceType": "Basic", "code": {"text": "new"}})["id"]
        assert ep.read("Basic", "1")["code"] == {"text": "1"}  # the delete is undone too
        assert again not in ("1", "2")
        ep.reset()
        fresh = b.episode()
        assert fresh.create({"resourceType": "Basic", "code": {"text": "x"}})["id"] == again
        fresh.close()
    finally:
        ep.close()
        b.close()


def test_update_to_a_new_id_is_version_1_then_2(ep: EmbeddedEpisode) -> None:
    """Create-as-update (R4 http.html#update): the first version is 1, the next 2."""
    res = {"resourceType": "Basic", "id": "made-here", "code": {"text": "x"}}
    assert ep.update("Basic", "made-here", res)["meta"]["versionId"] == "1"
    assert ep.update("Basic", "made-here", res)["meta"]["versionId"] == "2"
    assert ep.update("Patient", "p1", _patient("p1", "other", "dr-1"))["meta"]["versionId"] == "2"


def test_delete_of_an_unknown_or_deleted_resource_is_404(ep: EmbeddedEpisode) -> None:
    for rid in ("nope", "b1"):
        if rid == "b1":
            ep.delete("Observation", "b1")
        with pytest.raises(FhirError) as err:
            ep.delete("Observation", rid)
        assert err.value.status == 404
    assert [(w.method, w.id) for w in ep.writes] == [("delete", "b1")]


def test_exists(ep: EmbeddedEpisode) -> None:
    ep.delete("Observation", "b1")
    made = ep.create(_new_obs("p3", K, 3.0))["id"]
    assert ep.exists("Observation", "b2") and ep.exists("Observation", made)
    assert not ep.exists("Observation", "b1") and not ep.exists("Observation", "nope")


def test_history_and_vread_of_unknown_resources_are_404(ep: EmbeddedEpisode) -> None:
    for call in (lambda: ep.vread("Patient", "nope", "1"),
                 lambda: ep.history("Patient", "nope")):  # fmt: skip
        with pytest.raises(FhirError) as err:
            call()
        assert err.value.status == 404
    ep.update("Patient", "p1", _patient("p1", "other", "dr-1"))
    ep.delete("Observation", "b1")
    typed = ep.history("Patient", None)  # type-level: every version, newest first
    newest = typed["entry"][0]["resource"]
    assert (newest["id"], newest["meta"]["versionId"], newest["gender"]) == ("p1", "2", "other")
    with pytest.raises(FhirError) as err:
        ep.history("Patient", "p1", {"name": "x"})
    assert err.value.status == 400
    deleted = ep.history("Observation", "b1")
    assert [e["request"]["method"] for e in deleted["entry"]] == ["DELETE", "POST"]  # v2, v1
    assert ep.history("Observation", None, {"_count": "0"}).get("entry") is None


# -- references and overlays -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref, accepted",
    [
        ("Patient/p1", True),
        (f"{BASE_URL}/Patient/p1", True),  # absolute, this server, exists
        ("http://elsewhere.example/fhir/Patient/zz", True),  # another server: not checked
        ("#contained", True),
        (f"{BASE_URL}/Patient/nope", False),  # absolute, this server, missing
        ("Patient/nope", False),
        ("urn:uuid:0b7e6c52-3a51-4d6e-9a43-3f3b0a1f7c11", False),  # only inside a transaction
        ("Patient", False),  # no id
    ],
)
def test_reference_checks(ep: EmbeddedEpisode, ref: str, accepted: bool) -> None:
    res = {**_new_obs("p1", K, 4.1), "performer": [{"reference": ref}]}
    if accepted:
        assert ep.read("Observation", ep.create(res)["id"])["performer"] == [{"reference": ref}]
    else:
        with pytest.raises(FhirError) as err:
            ep.create(res)
        assert err.value.status == 400 and ep.writes == []


def test_an_overlay_without_an_id_changes_nothing(ep: EmbeddedEpisode) -> None:
    good = {"resourceType": "Basic", "id": "ov-1", "code": {"text": "1"}}
    with pytest.raises(FhirError) as err:
        ep.load_overlay([good, {"resourceType": "Basic", "code": {"text": "2"}}])
    assert err.value.status == 400
    with pytest.raises(FhirError):
        ep.read("Basic", "ov-1")


def test_an_overlay_is_version_1_and_a_second_load_replaces_it(ep: EmbeddedEpisode) -> None:
    ep.load_overlay([{"resourceType": "Basic", "id": "ov-1", "code": {"text": "1"}}])
    ep.load_overlay([{"resourceType": "Basic", "id": "ov-1", "code": {"text": "2"}}])
    assert ep.read("Basic", "ov-1")["code"] == {"text": "2"} and ep.writes == []
    assert len(_ids(ep.search("Basic", {"_id": "ov-1"}))) == 1
    stored = ep.update("Basic", "ov-1", {"resourceType": "Basic", "id": "ov-1",
                                         "code": {"text": "3"}})  # fmt: skip
    assert stored["meta"]["versionId"] == "2"


def test_has_results_of_one_episode_never_reach_another(backend: EmbeddedBackend) -> None:
    """Episode A writes a potassium result for p3 and runs a ``_has`` search; episode B, running
    the same search after it, sees the base alone ({p1, p2}), and A still sees its own write."""
    has_k = {"_has:Observation:patient:code": f"{LOINC}|{K}", "_count": "7"}
    a, b = backend.episode(), backend.episode()
    try:
        a.create(_new_obs("p3", K, 3.9))
        assert sorted(_ids(a.search("Patient", has_k))) == ["p1", "p2", "p3"]
        assert sorted(_ids(b.search("Patient", has_k))) == ["p1", "p2"]
        assert sorted(_ids(a.search("Patient", has_k))) == ["p1", "p2", "p3"]
    finally:
        a.close(), b.close()


# -- history, versions, limits (R4 http.html#history, #versions) ------------------------------


def test_history_of_a_write_sequence_has_methods_and_versions(ep: EmbeddedEpisode) -> None:
    """Create, update, delete: three history entries, newest first, with the interactions
    POST, PUT, DELETE and versions 3, 2, 1 (each write adds one version); a base resource's
    update and delete continue from its loaded version 1 (2, then 3)."""
    made = ep.create(_new_obs("p1", K, 4.4))
    ep.update("Observation", made["id"], {**made, "status": "amended"})
    ep.delete("Observation", made["id"])
    bundle = ep.history("Observation", made["id"])
    methods = [e["request"]["method"] for e in bundle["entry"]]
    assert methods == ["DELETE", "PUT", "POST"]
    assert bundle["entry"][0]["response"]["etag"] == 'W/"3"'  # the delete is version 3
    versions = [e["resource"]["meta"]["versionId"] for e in bundle["entry"] if "resource" in e]
    assert versions[-2:] == ["2", "1"]
    b1 = ep.read("Observation", "b1")
    assert ep.update("Observation", "b1", {**b1, "status": "amended"})["meta"]["versionId"] == "2"
    ep.delete("Observation", "b1")
    base_history = ep.history("Observation", "b1")
    assert base_history["entry"][0]["request"]["method"] == "DELETE"
    assert base_history["entry"][0]["response"]["etag"] == 'W/"3"'
    assert ep.vread("Observation", "b1", "2")["status"] == "amended"


def test_history_of_an_unknown_type_is_refused(ep: EmbeddedEpisode) -> None:
    with pytest.raises(FhirError) as err:
        ep.history("NotAType", None)
    assert err.value.status in (400, 404)


def test_a_body_at_the_size_limit_is_stored_and_one_byte_more_is_refused(
    ep: EmbeddedEpisode,
) -> None:
    """MAX_BODY_BYTES is the largest body a write may carry (2,000,000 bytes of stored JSON)."""
    from medsim.fhir import storage
    from medsim.fhir.interface import MAX_BODY_BYTES

    note = _new_obs("p1", K, 4.1)
    note["note"] = [{"text": ""}]
    size = len(
        storage.dumps(
            {**note, "id": "1", "meta": {"versionId": "1", "lastUpdated": "2025-01-01T00:00:00Z"}}
        )
    )
    note["note"] = [{"text": "x" * (MAX_BODY_BYTES - size)}]
    ep.clock = lambda: "2025-01-01T00:00:00Z"
    stored = ep.create(note)
    assert len(storage.dumps(stored)) == MAX_BODY_BYTES
    note["note"] = [{"text": "x" * (MAX_BODY_BYTES - size + 1)}]
    with pytest.raises(FhirError) as err:
        ep.create(note)
    assert err.value.status == 413


def test_count_zero_has_no_next_link(ep: EmbeddedEpisode) -> None:
    """``_count=0``: only the total (R4 search.html#count), and no page to go to next."""
    bundle = ep.search("Observation", {"_count": "0"})
    assert bundle["total"] == 3 and not bundle.get("entry")
    assert [x["relation"] for x in bundle.get("link", [])] == ["self"]


def test_an_invalid_overlay_is_refused_every_time_a_valid_one_loads_every_time(
    ep: EmbeddedEpisode,
) -> None:
    """Overlay validation is remembered per stored text (an env loads its task's overlay at every
    reset): only a resource that passed is remembered."""
    bad = {"resourceType": "Observation", "id": "ov-bad", "status": "no-such-status"}
    for _ in range(2):
        with pytest.raises(FhirError) as err:
            ep.load_overlay([dict(bad)])
        assert err.value.status == 400
        ep.reset()
    good = {"resourceType": "Basic", "id": "ov-1", "code": {"text": "1"}}
    for _ in range(2):
        ep.load_overlay([dict(good)])
        assert ep.read("Basic", "ov-1")["code"] == {"text": "1"}
        ep.reset()


def _layer(ep: EmbeddedEpisode) -> list[tuple[Any, ...]]:
    """The layer's resources in rid order with their index rows (rid left out)."""
    conn = ep._conn
    out = []
    for rid, *row in conn.execute(
        "SELECT rid, type, id, version, patient, body FROM main.resources ORDER BY rid"
    ):
        index = sorted(
            (table, *r[1:])
            for table in ("tok", "str", "date", "ref", "qty", "num")
            for r in conn.execute(f"SELECT * FROM main.{table} WHERE rid = ?", (rid,))
        )
        out.append((*row, [tuple(map(str, r[:1])) + tuple(map(str, r[2:])) for r in index]))
    return out


def test_an_overlay_is_stored_as_its_resources_one_at_a_time(backend: EmbeddedBackend) -> None:
    """Overlays are stored in one batch: the same layer (rows, order, index rows) as loading each
    resource on its own, a resource given twice replacing the earlier copy."""
    items = [
        {"resourceType": "Basic", "id": "ov-1", "code": {"text": "one"}},
        {"resourceType": "Observation", "id": "ov-k", "status": "final", "code": {"coding": [
            {"system": LOINC, "code": "2823-3"}]}, "subject": {"reference": "Patient/p1"},
         "effectiveDateTime": "2024-01-02T03:04:05Z"},
        {"resourceType": "Basic", "id": "ov-2", "code": {"text": "two"}},
        {"resourceType": "Basic", "id": "ov-1", "code": {"text": "one, again"}},
    ]  # fmt: skip
    batch, single = backend.episode(), backend.episode()
    try:
        for ep in (batch, single):
            ep.load_overlay([{"resourceType": "Basic", "id": "ov-2", "code": {"text": "old"}}])
        batch.load_overlay([dict(r) for r in items])
        for r in items:
            single.load_overlay([dict(r)])
        assert _layer(batch) == _layer(single)
        assert _ids(batch.search("Basic", {})) == ["ov-2", "ov-1"]
        assert batch.read("Basic", "ov-1")["code"] == {"text": "one, again"}
    finally:
        batch.close()
        single.close()
