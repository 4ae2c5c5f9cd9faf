"""The same agent queries on the embedded engine and on the real HAPI FHIR server, side by side.

    python bench/hapi_bench.py                  # starts HAPI itself (medsim hapi), 10 patients
    MEDSIM_HAPI_URL=http://127.0.0.1:8080/fhir python bench/hapi_bench.py --patients 20

Both backends get the same patients from the shipped cohort (plus the practitioners, organisations
and locations they reference). Each query runs through medsim's FHIR interface (the HTTP backend
for HAPI, with its episode isolation), so the numbers are what an agent's tool call costs. Reset =
two writes undone (embedded: drop the episode layer; HAPI: delete + $expunge each write).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fhir_bench import reset_time  # noqa: E402
from medsim.data.cohort import patient_subset  # noqa: E402
from medsim.fhir import EmbeddedBackend, FhirClient  # noqa: E402
from medsim.fhir.http import HttpBackend  # noqa: E402
from medsim.fhir.upload import upload  # noqa: E402


def timeit(fn: Callable[[], Any], n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def queries(pid: str) -> dict[str, Callable[[FhirClient], Any]]:
    return {
        "read Patient": lambda c: c.read("Patient", pid),
        "latest potassium": lambda c: c.search(
            "Observation",
            {"patient": pid, "code": "http://loinc.org|2823-3", "_sort": "-date", "_count": "1"},
        ),
        "labs since 2023": lambda c: c.search(
            "Observation", {"patient": pid, "category": "laboratory", "date": "ge2023-01-01"}
        ),
        "vitals page": lambda c: c.search(
            "Observation", {"patient": pid, "category": "vital-signs"}
        ),
        "problem list": lambda c: c.search(
            "Condition", {"patient": pid, "category": "problem-list-item"}
        ),
        "active meds": lambda c: c.search(
            "MedicationRequest", {"patient": pid, "status": "active"}
        ),
        "notes, newest 5": lambda c: c.search(
            "DocumentReference", {"patient": pid, "_sort": "-date", "_count": "5"}
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10)
    ap.add_argument("--n", type=int, default=50, help="repetitions per query")
    args = ap.parse_args()

    url = os.environ.get("MEDSIM_HAPI_URL")
    started = False
    if not url:
        import socket

        from medsim.fhir import hapi_server

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        t = time.perf_counter()
        url = hapi_server.start(port=port).url
        print(f"HAPI started in {time.perf_counter() - t:.0f} s at {url}")
        started = True
    try:
        data = patient_subset({f"pat-{i:04d}" for i in range(1, args.patients + 1)})
        t = time.perf_counter()
        upload(url, data, progress=False)
        hapi_load = time.perf_counter() - t
        t = time.perf_counter()
        embedded = EmbeddedBackend()
        embedded.load(data)
        emb_load = time.perf_counter() - t
        ours, theirs = embedded.episode(), HttpBackend(url).episode()
        pid = "pat-0001"
        rows = [("load", emb_load * 1000, hapi_load * 1000)]
        for name, fn in queries(pid).items():
            fn(ours), fn(theirs)
            rows.append(
                (name, timeit(lambda f=fn: f(ours), args.n), timeit(lambda f=fn: f(theirs), args.n))
            )
        rows.append(
            (
                "reset after 2 writes",
                reset_time(ours, pid, args.n)[0],
                reset_time(theirs, pid, max(5, args.n // 5))[0],
            )
        )
        print(
            f"\n{len(data):,} resources ({args.patients} patients); p50 in ms, same queries through medsim's FHIR interface"
        )
        print(f"{'measure':24} | {'embedded':>10} | {'HAPI':>10} | HAPI / embedded")
        print("-" * 68)
        for name, a, b in rows:
            print(f"{name:24} | {a:10.3f} | {b:10.3f} | {b / a:8.1f}x")
    finally:
        if started:
            from medsim.fhir import hapi_server

            hapi_server.stop()


if __name__ == "__main__":
    main()
