"""Embedded FHIR engine benchmark: load time, query latency, reset time, memory.

    python bench/fhir_bench.py                 # 100 patients x ~5,000 resources (generated, cached)
    python bench/fhir_bench.py --patients 20 --per-patient 1000   # quicker

Prints one table. Targets (docs/architecture.md §3, issue 2): search p50 < 0.5 ms, reset p50 < 1 ms and flat
from 10 to 100 patients, a second isolated episode < 5 MB. The baseline row runs the same
"latest potassium" query as a naive JSON scan (``json_extract`` over the resources table, no
search index) in the same process, so the ratio is measured, not quoted.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from medsim.fhir import EmbeddedBackend  # noqa: E402

CACHE = ROOT / "bench" / ".cache"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cohort(patients: int, per_patient: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"cohort-{patients}x{per_patient}.ndjson.gz"
    if not out.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "medsim.data.cohort.generate",
                "--patients",
                str(patients),
                "--seed",
                "42",
                "--resources-per-patient",
                str(per_patient),
                "--out",
                str(out),
            ],
            check=True,
        )
    return out


def timeit(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def build(path: Path) -> tuple[EmbeddedBackend, float]:
    os.environ["MEDSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="medsim-bench-")
    t = time.perf_counter()
    backend = EmbeddedBackend(path)
    return backend, time.perf_counter() - t


def queries(ep: Any, pid: str) -> dict[str, Callable[[], Any]]:
    return {
        "read Patient": lambda: ep.read("Patient", pid),
        "latest K (code+patient, sort -date, count 1)": lambda: ep.search(
            "Observation",
            {"patient": pid, "code": "http://loinc.org|2823-3", "_sort": "-date", "_count": "1"},
        ),
        "labs since date (category+patient+date)": lambda: ep.search(
            "Observation", {"patient": pid, "category": "laboratory", "date": "ge2023-01-01"}
        ),
        "vitals page (category+patient, count 20)": lambda: ep.search(
            "Observation", {"patient": pid, "category": "vital-signs"}
        ),
        "problem list": lambda: ep.search(
            "Condition", {"patient": pid, "category": "problem-list-item"}
        ),
        "active meds": lambda: ep.search("MedicationRequest", {"patient": pid, "status": "active"}),
        "notes (count 5, sort -date)": lambda: ep.search(
            "DocumentReference", {"patient": pid, "_sort": "-date", "_count": "5"}
        ),
        "patient by family name": lambda: ep.search("Patient", {"family": "smi"}),
    }


def naive_latest_k(path: Path, pid: str) -> Callable[[], Any]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)

    def run() -> Any:
        return conn.execute(
            "SELECT body FROM resources WHERE type = 'Observation' "
            "AND json_extract(body, '$.subject.reference') = ? "
            "AND EXISTS (SELECT 1 FROM json_each(json_extract(body, '$.code.coding')) c "
            "            WHERE json_extract(c.value, '$.code') = '2823-3') "
            "ORDER BY json_extract(body, '$.effectiveDateTime') DESC LIMIT 1",
            (f"Patient/{pid}",),
        ).fetchall()

    return run


def reset_time(episode_or_backend: Any, pid: str, n: int = 300) -> tuple[float, float]:
    """Time ``reset()`` alone (p50, p99 in ms), each time after the episode wrote two resources."""
    ep = (
        episode_or_backend.episode()
        if hasattr(episode_or_backend, "episode")
        else episode_or_backend
    )
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "bench"},
        "subject": {"reference": f"Patient/{pid}"},
        "valueString": "x",
    }
    samples = []
    for _ in range(n):
        ep.create(obs)
        ep.create(obs)
        t = time.perf_counter()
        ep.reset()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--per-patient", type=int, default=5000)
    ap.add_argument(
        "--small", type=int, default=10, help="patients in the reset-scaling comparison"
    )
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()

    big_path = cohort(args.patients, args.per_patient)
    small_path = cohort(args.small, args.per_patient)
    rss0 = rss_mb()
    backend, load_s = build(big_path)
    n_res = backend.count()
    rows: list[tuple[str, str, str]] = [
        ("cohort", f"{args.patients} patients, {n_res:,} resources", ""),
        (
            "load (first build, cached after)",
            f"{load_s:.1f} s",
            f"{n_res / load_s:,.0f} resources/s",
        ),
    ]
    t = time.perf_counter()
    EmbeddedBackend(big_path)  # cached base
    rows.append(("open cached base", f"{(time.perf_counter() - t) * 1000:.1f} ms", ""))

    ep = backend.episode()
    pid = "pat-0050" if args.patients >= 50 else "pat-0001"
    for name, fn in queries(ep, pid).items():
        fn()
        p50, p99 = timeit(fn, args.n)
        rows.append((f"search: {name}", f"p50 {p50:.3f} ms", f"p99 {p99:.3f} ms"))
    naive = naive_latest_k(backend.path, pid)
    naive()
    n50, _ = timeit(naive, max(5, args.n // 30))
    fast = queries(ep, pid)["latest K (code+patient, sort -date, count 1)"]
    f50, _ = timeit(fast, args.n)
    rows.append(
        (
            "baseline: same latest-K as naive JSON scan",
            f"p50 {n50:.2f} ms",
            f"medsim is {n50 / f50:,.0f}x faster",
        )
    )

    r_big = reset_time(backend, pid)
    small, _ = build(small_path)
    r_small = reset_time(small, "pat-0001")
    rows.append(
        (
            f"reset after 2 writes, {args.small} patients",
            f"p50 {r_small[0]:.3f} ms",
            f"p99 {r_small[1]:.3f} ms",
        )
    )
    rows.append(
        (
            f"reset after 2 writes, {args.patients} patients",
            f"p50 {r_big[0]:.3f} ms",
            f"ratio big/small {r_big[0] / max(r_small[0], 1e-9):.2f}",
        )
    )

    before = rss_mb()
    extra = [backend.episode() for _ in range(10)]
    for e in extra:
        for fn in queries(e, pid).values():
            fn()
    per_episode = (rss_mb() - before) / len(extra)
    rows.append(("memory per extra episode (10 opened, queried)", f"{per_episode:.2f} MB", ""))
    rows.append(("process RSS", f"{rss_mb():.0f} MB", f"(+{rss_mb() - rss0:.0f} MB since start)"))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure'.ljust(width)} | value            | note")
    print("-" * (width + 45))
    for name, value, note in rows:
        print(f"{name.ljust(width)} | {value.ljust(16)} | {note}")
    print(json.dumps({"resources": n_res}))


if __name__ == "__main__":
    main()
