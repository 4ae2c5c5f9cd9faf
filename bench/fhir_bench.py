"""Embedded FHIR engine benchmark: load time, query latency, reset time, memory.

    python bench/fhir_bench.py                 # 100 patients x ~5,000 resources (generated, cached)
    python bench/fhir_bench.py --patients 20 --per-patient 1000   # quicker
    python bench/fhir_bench.py --scale 1000    # + 100 vs 1,000 patients side by side (issue 19)

Every index is built into a temporary cache directory (``MEDSIM_CACHE_DIR``), never into the
shared ~/.cache/medsim; generated cohorts are kept in bench/.cache (not shipped).

Issue 19 ratios, each measured ``--repeats`` times in the same run (median and every repeat):
latest-value and date-window searches / the same rows looked up in a bare indexed sqlite3 table
(target <= 5); the first build's resources/s beside a floor that only parses the NDJSON and inserts
raw rows (target: >= 5x the 5,929 resources/s of 2026-11-23); index size / uncompressed NDJSON
(target <= 2). With ``--scale``: per-query latency, reset and memory per extra episode at 1,000 vs
100 patients (targets: latency within 1.25x, reset and memory flat) and the peak RSS of generating
each cohort (target: independent of the patient count).

Prints one table. Targets (docs/architecture.md §3, issue 2): search p50 < 0.5 ms, reset p50 < 1 ms and flat
from 10 to 100 patients, a second isolated episode < 5 MB. The baseline row runs the same
"latest potassium" query as a naive JSON scan (``json_extract`` over the resources table, no
search index) in the same process, so the ratio is measured, not quoted.
"""

from __future__ import annotations

import argparse
import atexit
import gzip
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

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
    """The cached generated cohort; generating it records the generator's peak RSS beside it
    (``<name>.rss``, MB), so the scale rows need not generate 1,000 patients twice."""
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"cohort-{patients}x{per_patient}.ndjson.gz"
    if not out.exists():
        rss = generate(patients, per_patient, out)
        rss_path(out).write_text(f"{rss:.1f}\n")
    return out


def rss_path(out: Path) -> Path:
    return out.with_name(out.name + ".rss")


def generate(patients: int, per_patient: int, out: Path) -> float:
    """Generate a cohort in a fresh process; returns that process's peak RSS in MB."""
    code = (
        "import resource, sys\n"
        "from medsim.data.cohort.generate import main\n"
        f"rc = main(['--patients', '{patients}', '--seed', '42', '--resources-per-patient', "
        f"'{per_patient}', '--out', {str(out)!r}])\n"
        "if rc:\n    sys.exit(rc)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(res.stdout.strip().splitlines()[-1]) / 1024


def timeit(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def build(path: Path) -> tuple[EmbeddedBackend, float]:
    """A first build of ``path`` into a fresh temporary cache (removed when the bench exits)."""
    tmp = tempfile.mkdtemp(prefix="medsim-bench-")
    atexit.register(shutil.rmtree, tmp, True)
    os.environ["MEDSIM_CACHE_DIR"] = tmp
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
        # the same lookup with an answer of one entry and no count, at any cohort size: the
        # family-name row above returns (and counts) every match, ~10x more at 10x the patients
        "patient by family name, first match": lambda: ep.search(
            "Patient", {"family": "smi", "_count": "1", "_total": "none"}
        ),
    }


def naive_latest_k(backend: EmbeddedBackend, pid: str) -> Callable[[], Any]:
    conn = sqlite3.connect(f"{backend.path.as_uri()}?mode=ro", uri=True)
    conn.create_function("json_text", 1, backend.bodies().text, deterministic=True)

    def run() -> Any:
        return conn.execute(
            "SELECT j FROM (SELECT json_text(body) AS j FROM resources "
            "               WHERE type = 'Observation') "
            "WHERE json_extract(j, '$.subject.reference') = ? "
            "AND EXISTS (SELECT 1 FROM json_each(json_extract(j, '$.code.coding')) c "
            "            WHERE json_extract(c.value, '$.code') = '2823-3') "
            "ORDER BY json_extract(j, '$.effectiveDateTime') DESC LIMIT 1",
            (f"Patient/{pid}",),
        ).fetchall()

    return run


CHILD_BUILD = """
import os, shutil, sys, tempfile, time
os.environ["MEDSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="medsim-bench-")
os.environ["MEDSIM_PROGRESS"] = "0"
from medsim.fhir import EmbeddedBackend
t = time.process_time()
backend = EmbeddedBackend(sys.argv[1])
print(time.process_time() - t, backend.count())
shutil.rmtree(os.environ["MEDSIM_CACHE_DIR"])
"""


def build_cpu(tree: Path, data: Path) -> float:
    """CPU seconds of a first build of ``data`` by the medsim source tree ``tree``, in a fresh
    process with its own temporary cache (imports excluded)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run(
        [sys.executable, "-c", CHILD_BUILD, str(data.resolve())],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tree,  # ``-c`` puts the working directory first on sys.path
    )
    return float(res.stdout.split()[0])


BUILD_BEFORE = 5929  # resources/s of the first build measured on 2026-11-23 (docs/benchmarks.md)


def ndjson_lines(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as fh:
        yield from fh


def floor_build(path: Path) -> tuple[float, int, int]:
    """(seconds, resources, uncompressed bytes): parse every NDJSON line and insert the raw rows
    (type, id, body) into a fresh SQLite file in one transaction: the least any build must do."""
    tmp = Path(tempfile.mkdtemp(prefix="medsim-floor-")) / "floor.sqlite"
    t = time.perf_counter()
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("CREATE TABLE raw (type TEXT, id TEXT, body TEXT)")
    n = size = 0
    batch: list[tuple[str, str, str]] = []
    for line in ndjson_lines(path):
        size += len(line)
        res = json.loads(line)
        batch.append((res["resourceType"], res["id"], line.decode()))
        n += 1
        if len(batch) >= 5000:
            conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", batch)
            batch.clear()
    conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", batch)
    conn.commit()
    conn.close()
    seconds = time.perf_counter() - t
    shutil.rmtree(tmp.parent, ignore_errors=True)
    return seconds, n, size


class Bare:
    """The same rows in a bare SQLite table with composite indexes: the lookup any hand-written
    store would do (one indexed SELECT, then ``orjson.loads`` of each body: the fastest parse,
    since medsim's store parses with orjson too; until 2026-12-02 session 6 this baseline used
    ``json.loads`` while the store did, and a store parsing with orjson read 0.91x it)."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        base, text = backend.path, backend.bodies().text  # rows hold plain JSON text
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE TABLE obs (patient TEXT, code TEXT, category TEXT, date TEXT, body TEXT)"
        )
        src = sqlite3.connect(f"{base.as_uri()}?mode=ro", uri=True)
        rows = []
        for (stored,) in src.execute("SELECT body FROM resources WHERE type = 'Observation'"):
            body = text(stored)
            r = json.loads(body)
            codes = [c.get("code") for c in (r.get("code") or {}).get("coding", [])]
            cats = [c.get("code") for cat in r.get("category", []) for c in cat.get("coding", [])]
            patient = str((r.get("subject") or {}).get("reference", "")).rsplit("/", 1)[-1]
            for code in codes or [None]:
                rows.append(
                    (patient, code, cats[0] if cats else None, r.get("effectiveDateTime"), body)
                )
        self.db.executemany("INSERT INTO obs VALUES (?, ?, ?, ?, ?)", rows)
        self.db.execute("CREATE INDEX ix_code ON obs (patient, code, date)")
        self.db.execute("CREATE INDEX ix_cat ON obs (patient, category, date)")
        src.close()

    def latest(self, pid: str, code: str) -> list[Any]:
        sql = "SELECT body FROM obs WHERE patient = ? AND code = ? ORDER BY date DESC LIMIT 1"
        return [orjson.loads(b) for (b,) in self.db.execute(sql, (pid, code))]

    def window(self, pid: str, category: str, since: str, count: int = 20) -> list[Any]:
        sql = (
            "SELECT body FROM obs WHERE patient = ? AND category = ? AND date >= ? "
            "ORDER BY date LIMIT ?"
        )
        return [orjson.loads(b) for (b,) in self.db.execute(sql, (pid, category, since, count))]


def median_ratio(fn: Callable[[], float], repeats: int) -> tuple[float, list[float]]:
    values = [fn() for _ in range(repeats)]
    return statistics.median(values), values


def fmt_ratio(values: tuple[float, list[float]]) -> str:
    return f"{values[0]:.2f} [" + ", ".join(f"{v:.2f}" for v in values[1]) + "]"


def generation_peak_rss(patients: int, per_patient: int) -> float:
    """Peak RSS (MB) of the process that generated the cached cohort (or of a new generation
    to a temporary file, for a cohort cached without that record)."""
    recorded = rss_path(cohort(patients, per_patient))
    if recorded.exists():
        return float(recorded.read_text())
    out = Path(tempfile.mkdtemp(prefix="medsim-gen-")) / "c.ndjson.gz"
    rss = generate(patients, per_patient, out)
    shutil.rmtree(out.parent, ignore_errors=True)
    return rss


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


def episode_memory(backend: EmbeddedBackend, pid: str, k: int = 10) -> float:
    """MB of RSS per extra episode (``k`` opened and queried)."""
    before = rss_mb()
    extra = [backend.episode() for _ in range(k)]
    for e in extra:
        for fn in queries(e, pid).values():
            fn()
    return (rss_mb() - before) / k


def _entries(result: Any) -> int:
    """Entries in a search's Bundle (1 for a read)."""
    return len(result.get("entry", [])) if result.get("resourceType") == "Bundle" else 1


def scale_rows(big: int, per_patient: int, n: int, repeats: int) -> list[tuple[str, str, str]]:
    """100 vs ``big`` patients, the same resources per patient: query, reset, memory, generation."""
    small = 100
    made = {p: build(cohort(p, per_patient))[0] for p in (small, big)}
    pid = "pat-0050" if big >= 50 else "pat-0001"
    rows: list[tuple[str, str, str]] = [
        (
            f"scale: {p} patients",
            f"{b.count():,} resources",
            f"index {b.path.stat().st_size / 1e6:.0f} MB",
        )
        for p, b in made.items()
    ]
    eps = {p: b.episode() for p, b in made.items()}
    for name in queries(eps[small], pid):

        def ratio(name: str = name) -> float:
            a = timeit(queries(eps[big], pid)[name], n)[0]
            b = timeit(queries(eps[small], pid)[name], n)[0]
            return a / b

        sizes = {p: _entries(queries(e, pid)[name]()) for p, e in eps.items()}
        note = "target <= 1.25"
        if sizes[big] != sizes[small]:  # not the same work: say so beside the ratio
            note = f"answer {sizes[small]} vs {sizes[big]} entries: grows with it, not a target"
        rows.append((f"scale {big}/{small}: {name}", fmt_ratio(median_ratio(ratio, repeats)), note))
    reset = median_ratio(
        lambda: reset_time(made[big], pid)[0] / reset_time(made[small], pid)[0], repeats
    )
    rows.append((f"scale {big}/{small}: reset after 2 writes", fmt_ratio(reset), "flat (~1)"))
    mem = {p: episode_memory(b, pid) for p, b in made.items()}
    rows.append(
        (
            "scale: memory per extra episode",
            f"{mem[small]:.2f} / {mem[big]:.2f} MB",
            f"{small} / {big} patients",
        )
    )
    gen = {p: generation_peak_rss(p, per_patient) for p in (small, big)}
    rows.append(
        (
            "scale: generation peak RSS",
            f"{gen[small]:.0f} / {gen[big]:.0f} MB",
            f"{small} / {big} patients; ratio {gen[big] / gen[small]:.2f} (target ~1)",
        )
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--per-patient", type=int, default=5000)
    ap.add_argument(
        "--small", type=int, default=10, help="patients in the reset-scaling comparison"
    )
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3, help="repeats of each issue-19 ratio")
    ap.add_argument("--scale", type=int, default=0, help="also compare 100 vs this many patients")
    ap.add_argument("--scale-per-patient", type=int, default=500)
    ap.add_argument(
        "--build-baseline",
        type=Path,
        help="a medsim source tree (e.g. `git worktree add /tmp/r2 9a3c4eb`, the start of issue "
        "19's round two) whose first build of the same cohort is timed beside this tree's",
    )
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
    floor_s, floor_n, ndjson_bytes = floor_build(big_path)
    rate, floor_rate = n_res / load_s, floor_n / floor_s
    rows.append(
        (
            "floor: parse NDJSON + insert raw rows",
            f"{floor_s:.1f} s",
            f"{floor_rate:,.0f} resources/s; build = {rate / floor_rate:.2f} x floor",
        )
    )
    rows.append(
        (
            "build speed vs 2026-11-23 (5,929 res/s, idle machine)",
            f"{rate / BUILD_BEFORE:.2f} x",
            "target >= 5",
        )
    )
    if args.build_baseline:
        ratio = median_ratio(
            lambda: build_cpu(args.build_baseline, big_path) / build_cpu(ROOT, big_path),
            args.repeats,
        )
        rows.append(
            (
                "first build CPU: baseline tree / this tree",
                fmt_ratio(ratio),
                f"baseline {args.build_baseline}; target >= 5",
            )
        )
    index_mb = backend.path.stat().st_size / 1e6
    rows.append(
        (
            "index on disk / uncompressed NDJSON",
            f"{index_mb / (ndjson_bytes / 1e6):.2f} x",
            f"{index_mb:.0f} MB / {ndjson_bytes / 1e6:.0f} MB; target <= 2",
        )
    )
    t = time.perf_counter()
    EmbeddedBackend(big_path)  # cached base
    rows.append(("open cached base", f"{(time.perf_counter() - t) * 1000:.1f} ms", ""))

    ep = backend.episode()
    pid = "pat-0050" if args.patients >= 50 else "pat-0001"
    for name, fn in queries(ep, pid).items():
        fn()
        p50, p99 = timeit(fn, args.n)
        rows.append((f"search: {name}", f"p50 {p50:.3f} ms", f"p99 {p99:.3f} ms"))
    naive = naive_latest_k(backend, pid)
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

    bare = Bare(backend)
    latest = queries(ep, pid)["latest K (code+patient, sort -date, count 1)"]
    window = queries(ep, pid)["labs since date (category+patient+date)"]
    assert len(bare.window(pid, "laboratory", "2023-01-01")) == len(window()["entry"])
    assert bare.latest(pid, "2823-3")[0]["id"] == latest()["entry"][0]["resource"]["id"]
    for label, fast, slow in (
        ("latest K / bare sqlite3", latest, lambda: bare.latest(pid, "2823-3")),
        (
            "labs since date / bare sqlite3",
            window,
            lambda: bare.window(pid, "laboratory", "2023-01-01"),
        ),
    ):
        ratio = median_ratio(
            lambda f=fast, b=slow: timeit(f, args.n)[0] / timeit(b, args.n)[0], args.repeats
        )
        rows.append((f"ratio: {label}", fmt_ratio(ratio), "target <= 5"))

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

    if args.scale:
        rows += scale_rows(args.scale, args.scale_per_patient, args.n, args.repeats)

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure'.ljust(width)} | value            | note")
    print("-" * (width + 45))
    for name, value, note in rows:
        print(f"{name.ljust(width)} | {value.ljust(16)} | {note}")
    print(json.dumps({"resources": n_res}))


if __name__ == "__main__":
    main()
