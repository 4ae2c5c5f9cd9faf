"""Episodes never see each other's writes: sequentially, across threads and across asyncio tasks."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from tests.fhir.helpers import all_ids


def _obs(tag: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": tag},
        "subject": {"reference": "Patient/pat-5"},
        "valueString": tag,
    }


def test_reset_drops_writes(backend: Any) -> None:
    ep = backend.episode()
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


def test_two_episodes_do_not_see_each_other(backend: Any) -> None:
    a, b = backend.episode(), backend.episode()
    try:
        base = set(all_ids(a, "Observation", {"patient": "pat-5"}))
        created = a.create(_obs("only-a"))
        assert set(all_ids(b, "Observation", {"patient": "pat-5"})) == base
        assert created["id"] in all_ids(a, "Observation", {"patient": "pat-5"}, count=100)
    finally:
        a.reset(), b.reset(), a.close(), b.close()


def test_threads_are_isolated(backend: Any) -> None:
    errors: list[str] = []

    def worker(n: int) -> None:
        ep = backend.episode()
        try:
            base = len(all_ids(ep, "Observation", {"patient": "pat-5"}, count=200))
            for i in range(5):
                ep.create(_obs(f"t{n}-{i}"))
            seen = all_ids(ep, "Observation", {"patient": "pat-5"}, count=200)
            if len(seen) != base + 5:
                errors.append(f"worker {n} saw {len(seen)} (base {base})")
        finally:
            ep.reset()
            ep.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_asyncio_tasks_are_isolated(backend: Any) -> None:
    async def one(n: int) -> int:
        ep = backend.episode()
        try:
            await asyncio.to_thread(ep.create, _obs(f"async-{n}"))
            bundle = await asyncio.to_thread(ep.search, "Observation", {"code:text": f"async-{n}"})
            others = await asyncio.to_thread(ep.search, "Observation", {"code:text": "async-"})
            return bundle["total"] * 100 + others["total"]
        finally:
            ep.reset()
            ep.close()

    async def main() -> list[int]:
        return await asyncio.gather(*(one(n) for n in range(4)))

    results = asyncio.run(main())
    assert all(r // 100 == 1 for r in results)
