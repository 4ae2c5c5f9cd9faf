"""Episodes never see each other's writes: sequentially, across threads and across asyncio tasks.

Runs on every backend (``isolation_backend``: embedded, HTTP against serve-fhir, HTTP against a
*shared* serve-fhir store, and HAPI when it runs). Each concurrent test makes every episode write
before any of them looks (a barrier), so a backend where all episodes shared one store would show
each episode the others' resources and fail; a test where the episodes merely took turns would not.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest

from medsim.fhir import FhirError
from tests.fhir.helpers import all_ids

WORKERS = 4


def _obs(tag: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "urn:medsim:test:isolation", "code": tag}], "text": tag},
        "subject": {"reference": "Patient/pat-5"},
        "valueString": tag,
    }


def _tagged(ep: Any, tag: str) -> list[str]:
    """Ids of the Observations with code ``tag`` that ``ep`` can find."""
    return all_ids(ep, "Observation", {"code": f"urn:medsim:test:isolation|{tag}"}, count=100)


def test_reset_drops_writes(isolation_backend: Any) -> None:
    ep = isolation_backend.episode()
    base = set(all_ids(ep, "Observation", {"patient": "pat-5"}))
    created = ep.create(_obs("a"))
    pat = ep.read("Patient", "pat-5")
    ep.update("Patient", "pat-5", {**pat, "gender": "unknown"})
    ep.delete("Observation", sorted(base)[0])
    ep.reset()
    assert set(all_ids(ep, "Observation", {"patient": "pat-5"})) == base
    assert ep.read("Patient", "pat-5")["gender"] == pat["gender"]
    assert created["id"] not in base and ep.writes == []
    ep.close()


def test_two_episodes_do_not_see_each_other(isolation_backend: Any) -> None:
    a, b = isolation_backend.episode(), isolation_backend.episode()
    tag = f"pair-{uuid.uuid4().hex[:8]}"
    try:
        base = set(all_ids(a, "Observation", {"patient": "pat-5"}))
        created = a.create(_obs(tag))
        assert set(all_ids(b, "Observation", {"patient": "pat-5"})) == base
        assert _tagged(b, tag) == []
        assert _tagged(a, tag) == [created["id"]]
        assert created["id"] in all_ids(a, "Observation", {"patient": "pat-5"}, count=100)
        with pytest.raises(FhirError) as err:  # not even by id
            b.read("Observation", created["id"])
        assert err.value.status in (404, 410)
        assert a.read("Observation", created["id"])["valueString"] == tag
    finally:
        a.reset(), b.reset(), a.close(), b.close()


def test_threads_are_isolated(isolation_backend: Any) -> None:
    tag = f"thread-{uuid.uuid4().hex[:8]}"
    all_written = threading.Barrier(WORKERS, timeout=120)
    seen: dict[int, list[str]] = {}
    own: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        ep = isolation_backend.episode()
        try:
            own[n] = [ep.create(_obs(tag))["id"] for _ in range(3)]  # ids may repeat across
            # episodes (each embedded episode numbers its own writes): only what each one sees counts
            all_written.wait()  # every episode has written before anyone looks
            seen[n] = _tagged(ep, tag)
            all_written.wait()  # ... and nobody resets before everyone has looked
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)
            all_written.abort()
        finally:
            ep.reset()
            ep.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(seen) == WORKERS
    for n in range(WORKERS):
        assert sorted(seen[n]) == sorted(own[n]), f"episode {n} saw other episodes' writes"


def test_asyncio_tasks_are_isolated(isolation_backend: Any) -> None:
    tag = f"async-{uuid.uuid4().hex[:8]}"

    async def one(n: int, all_written: asyncio.Barrier) -> tuple[str, list[str], int]:
        ep = isolation_backend.episode()
        try:
            created = await asyncio.to_thread(ep.create, _obs(tag))
            await asyncio.wait_for(all_written.wait(), 120)  # all written before anyone looks
            seen = await asyncio.to_thread(_tagged, ep, tag)
            bundle = await asyncio.to_thread(
                ep.search, "Observation", {"code": f"urn:medsim:test:isolation|{tag}"}
            )
            await asyncio.wait_for(all_written.wait(), 120)  # nobody resets before all looked
            return created["id"], seen, int(bundle["total"])
        finally:
            await asyncio.to_thread(ep.reset)
            ep.close()

    async def main() -> list[tuple[str, list[str], int]]:
        all_written = asyncio.Barrier(WORKERS)
        return await asyncio.gather(*(one(n, all_written) for n in range(WORKERS)))

    results = asyncio.run(main())
    assert len(results) == WORKERS
    for created, seen, total in results:
        assert seen == [created] and total == 1, "an episode saw another episode's write"


def test_after_reset_nothing_is_left_for_a_new_episode(isolation_backend: Any) -> None:
    tag = f"left-{uuid.uuid4().hex[:8]}"
    a = isolation_backend.episode()
    rid = a.create(_obs(tag))["id"]
    a.reset()
    a.close()
    b = isolation_backend.episode()
    try:
        assert _tagged(b, tag) == []
        with pytest.raises(FhirError):
            b.read("Observation", rid)
    finally:
        b.reset()
        b.close()


def test_own_writes_merged_into_a_sorted_search_keep_the_order(isolation_backend: Any) -> None:
    """A search sorted by a token (``_sort=code``) stays sorted when the episode's own resources
    are merged into the server's page (on a shared server they come from a second query)."""
    ep = isolation_backend.episode()
    tag = uuid.uuid4().hex[:8]
    try:
        # letters sort after every LOINC code (digits); "mm-3" also carries "ab-0", and an
        # ascending sort uses a resource's lowest value (so it goes before "cc-4")
        for codes in (["zz-2"], ["aa-1"], ["mm-3", "ab-0"], ["cc-4"]):
            coding = [{"system": "urn:medsim:test:sort", "code": c} for c in codes]
            ep.create({**_obs(tag), "code": {"coding": coding}})
        bundle = ep.search("Observation", {"patient": "pat-5", "_sort": "code", "_count": "200"})
        keys = [
            min(c["code"] for c in e["resource"]["code"]["coding"])
            for e in bundle["entry"]
            if e.get("search", {}).get("mode", "match") == "match"
        ]
        assert {"aa-1", "ab-0", "cc-4", "zz-2"} <= set(keys)
        assert keys == sorted(keys)
    finally:
        ep.reset()
        ep.close()


def test_own_writes_sorted_by_a_quantity_descending(isolation_backend: Any) -> None:
    """``_sort=-value-quantity`` over the episode's own resources: highest value first."""
    ep = isolation_backend.episode()
    tag = uuid.uuid4().hex[:8]
    try:
        for value in (1.5, 5.5, 3.5):
            ep.create(
                {
                    **{k: v for k, v in _obs(tag).items() if k != "valueString"},
                    "valueQuantity": {"value": value, "unit": "mmol/L",
                                      "system": "http://unitsofmeasure.org", "code": "mmol/L"},
                }
            )  # fmt: skip
        bundle = ep.search(
            "Observation",
            {"code": f"urn:medsim:test:isolation|{tag}", "_sort": "-value-quantity"},
        )
        assert [e["resource"]["valueQuantity"]["value"] for e in bundle["entry"]] == [5.5, 3.5, 1.5]
    finally:
        ep.reset()
        ep.close()


def test_reset_undoes_a_transactions_update_and_delete_of_base_resources(
    isolation_backend: Any,
) -> None:
    """A transaction that updates one base resource and deletes another: after reset both are
    back as they were (the isolation oracle: after reset nothing of the episode shows)."""
    ep = isolation_backend.episode()
    pat = ep.read("Patient", "pat-3")
    gone = sorted(all_ids(ep, "Observation", {"patient": "pat-3"}))[0]
    out = ep.transaction(
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": {**pat, "gender": "unknown"},
                    "request": {"method": "PUT", "url": "Patient/pat-3"},
                },
                {"request": {"method": "DELETE", "url": f"Observation/{gone}"}},
            ],
        }
    )
    assert [e["response"]["status"][:3] for e in out["entry"]] in (["200", "204"], ["200", "200"])
    assert ep.read("Patient", "pat-3")["gender"] == "unknown"
    # both writes are on record (graders such as writes_only_task_patient read them)
    assert sorted((w.method, w.resource_type, w.id) for w in ep.writes) == [
        ("delete", "Observation", gone),
        ("update", "Patient", "pat-3"),
    ]
    ep.reset()
    try:
        assert ep.read("Patient", "pat-3")["gender"] == pat["gender"]
        assert ep.read("Observation", gone)["id"] == gone
        assert "pat-3" in all_ids(ep, "Patient", {"gender": pat["gender"]})
    finally:
        ep.reset()
        ep.close()


def test_a_rest_get_search_is_isolated_too(isolation_backend: Any) -> None:
    """``request("GET", "Type?...")`` (the fhir_request tool, the REST route) sees what
    ``search`` sees: its own writes, never another episode's (on a shared server it went to the
    server unfiltered)."""
    a, b = isolation_backend.episode(), isolation_backend.episode()
    tag = f"rest-{uuid.uuid4().hex[:8]}"
    url = f"Observation?code=urn:medsim:test:isolation|{tag}"
    try:
        created = a.create(_obs(tag))
        status, seen_by_b = b.request("GET", url)
        assert status == 200 and seen_by_b.get("total") == 0 and not seen_by_b.get("entry")
        status, seen_by_a = a.request("GET", url)
        assert status == 200 and seen_by_a["total"] == 1
        assert [e["resource"]["id"] for e in seen_by_a["entry"]] == [created["id"]]
    finally:
        a.reset(), b.reset()
        a.close(), b.close()


@pytest.mark.parametrize("sort", [None, "code", "-code"])
def test_pages_over_own_writes_hold_count_and_return_every_match_once(
    isolation_backend: Any, sort: str | None
) -> None:
    """R4 paging with the episode's own resources among the matches: every page holds at most
    ``_count`` entries, ``total`` is the same on every page, and following ``next`` links returns
    each match exactly once (pat-5's chart plus 5 own Observations, pages of 3)."""
    ep = isolation_backend.episode()
    tag = uuid.uuid4().hex[:8]
    try:
        everything = set(all_ids(ep, "Observation", {"patient": "pat-5"}, count=500))
        for _ in range(5):
            everything.add(ep.create(_obs(tag))["id"])
        params = {"patient": "pat-5", "_count": "3", **({"_sort": sort} if sort else {})}
        status, bundle = 200, ep.search("Observation", params)  # then its links, over REST
        seen: list[str] = []
        totals = set()
        for _ in range(200):
            assert status == 200
            page = [
                e["resource"]["id"]
                for e in bundle.get("entry") or []
                if e.get("search", {}).get("mode", "match") == "match"
            ]
            assert len(page) <= 3
            seen += page
            totals.add(bundle["total"])
            nxt = [x["url"] for x in bundle.get("link") or [] if x["relation"] == "next"]
            if not nxt:
                break
            status, bundle = ep.request("GET", nxt[0])
        assert totals == {len(everything)}
        assert sorted(seen) == sorted(everything)  # each once
    finally:
        ep.reset()
        ep.close()


def test_a_bad_rest_search_after_own_writes_is_a_400_outcome_and_changes_nothing(
    isolation_backend: Any,
) -> None:
    """The REST search path of an episode that wrote the type (merged search on HTTP backends):
    an unknown parameter and a malformed ``_count`` answer 400 with an OperationOutcome, and
    the episode's view is unchanged."""
    ep = isolation_backend.episode()
    tag = f"bad-{uuid.uuid4().hex[:8]}"
    try:
        ep.create(_obs(tag))
        before = _tagged(ep, tag)
        for url in ("Observation?no-such-param=1", "Observation?_count=abc"):
            status, outcome = ep.request("GET", url)
            assert status == 400 and outcome["resourceType"] == "OperationOutcome", url
        assert _tagged(ep, tag) == before and len(before) == 1
    finally:
        ep.reset()
        ep.close()


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
def test_a_conditional_write_in_a_transaction_is_undone_by_reset_or_refused(
    isolation_backend: Any, method: str
) -> None:
    """``DELETE``/``PUT Type?params`` inside a transaction: either reset restores the base
    resource it hit, or the backend refuses the Bundle with a 4xx and changes nothing (an
    isolating HTTP backend cannot know beforehand which resources the server will match)."""
    ep = isolation_backend.episode()
    pat = ep.read("Patient", "pat-4")
    ident = (pat.get("identifier") or [{}])[0]
    cond = f"Patient?identifier={ident.get('system')}|{ident.get('value')}"
    assert all_ids(
        ep, "Patient", {"identifier": f"{ident.get('system')}|{ident.get('value')}"}
    ) == ["pat-4"]
    entry: dict[str, Any] = {"request": {"method": method, "url": cond}}
    if method == "PUT":
        entry["resource"] = {**pat, "gender": "unknown"}
    try:
        ep.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [entry]})
    except FhirError as err:
        assert 400 <= err.status < 500
        assert ep.read("Patient", "pat-4") == pat and ep.writes == []
    ep.reset()
    try:
        assert ep.read("Patient", "pat-4")["gender"] == pat["gender"]
        other = isolation_backend.episode()
        assert other.read("Patient", "pat-4")["gender"] == pat["gender"]
        other.close()
    finally:
        ep.reset()
        ep.close()
