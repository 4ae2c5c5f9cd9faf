"""Generate the synthetic cohort: ``python -m medsim.data.cohort.generate``.

    python -m medsim.data.cohort.generate --patients 100 --seed 42 \\
        --out medsim/data/cohort/cohort.ndjson.gz [--resources-per-patient N] [--validate]

Output: one FHIR R4 resource per line (shared organizations, locations, practitioners first, then
each patient's chart in time order), gzip with mtime 0, plus ``<name>.meta.json`` beside it with
the generator version, seed, reference ("as of") date, counts and the sha256 of the file. Only
``random.Random`` instances seeded from (seed, patient number, purpose) are used — no global RNG
and no wall clock — so the same version and seed give identical bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from medsim.data.cohort.clock import DEFAULT_AS_OF, iso, parse_day
from medsim.data.cohort.config import CohortConfig, load_config
from medsim.data.cohort.planner import plan_conditions, plan_visits, record_years, years_before
from medsim.data.cohort.population import Directory, build_directory, make_person, patient_resource
from medsim.data.cohort.reader import meta_path
from medsim.data.cohort.record import PatientRecord
from medsim.data.cohort.visits import PatientSimulator

Json = dict[str, Any]
GENERATOR_VERSION = "1.0.0"
MAX_PATIENTS = 100_000
TOLERANCE = 0.15


def _rng(seed: int, number: int, purpose: str) -> random.Random:
    return random.Random(f"medsim-cohort:{seed}:{number}:{purpose}")


def generate_patient(
    cfg: CohortConfig,
    directory: Directory,
    seed: int,
    number: int,
    as_of: datetime,
    intensity: float = 1.0,
) -> list[Json]:
    """One patient's resources (Patient first). Demographics, conditions and disease severity
    depend only on (seed, number); ``intensity`` changes how much care is recorded."""
    person = make_person(cfg, directory, _rng(seed, number, "person"), number, as_of)
    plan_rng = _rng(seed, number, "plan")
    record_start = years_before(as_of, record_years(plan_rng))
    plans = plan_conditions(cfg, person, plan_rng, as_of, record_start)
    tag = f"{intensity:.4f}"
    visits = plan_visits(
        cfg, person, plans, _rng(seed, number, f"visits:{tag}"), record_start, as_of, intensity
    )
    # Baseline physiology and disease severity come from a stream that ignores intensity, so a
    # bigger record of the same patient is the same patient.
    phys_rng = _rng(seed, number, "physiology")
    rec = PatientRecord(
        cfg, person, directory, _rng(seed, number, f"sim:{tag}"), as_of, intensity, phys_rng
    )
    sim = PatientSimulator(rec, plans, phys_rng, record_start)
    rec.phys.rng = rec.rng  # measurement noise from here on
    rec.out.append(patient_resource(person))
    return sim.run(visits)


def generate_patient_sized(
    cfg: CohortConfig,
    directory: Directory,
    seed: int,
    number: int,
    as_of: datetime,
    target: int | None,
) -> list[Json]:
    """:func:`generate_patient`, re-run with a scaled intensity until near ``target`` resources."""
    intensity = 1.0
    resources = generate_patient(cfg, directory, seed, number, as_of, intensity)
    if target is None:
        return resources
    for _ in range(6):
        count = len(resources)
        if abs(count - target) <= TOLERANCE * target:
            break
        previous, intensity = intensity, min(max(intensity * (target / count) ** 1.15, 0.2), 200.0)
        if intensity == previous:  # clamped: a re-run would give the very same resources
            break
        resources = generate_patient(cfg, directory, seed, number, as_of, intensity)
    return resources


def iter_cohort(
    patients: int,
    seed: int,
    as_of: datetime = DEFAULT_AS_OF,
    resources_per_patient: int | None = None,
) -> Iterator[Json]:
    """Every resource of the cohort in file order."""
    if not 1 <= patients <= MAX_PATIENTS:
        raise ValueError(f"--patients must be between 1 and {MAX_PATIENTS}, got {patients}")
    if resources_per_patient is not None and resources_per_patient < 50:
        raise ValueError("--resources-per-patient must be at least 50")
    cfg = load_config()
    directory = build_directory(cfg, seed)
    yield from directory.resources
    for number in range(1, patients + 1):
        yield from generate_patient_sized(
            cfg, directory, seed, number, as_of, resources_per_patient
        )


def write_cohort(
    out: Path,
    patients: int,
    seed: int,
    as_of: datetime = DEFAULT_AS_OF,
    resources_per_patient: int | None = None,
    validate: bool = False,
) -> Json:
    """Write the gzip NDJSON file and its metadata sidecar; returns the metadata."""
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    per_patient: Counter[str] = Counter()
    validator = None
    if validate:
        from medsim.data.cohort.validate import Validator

        validator = Validator()
    started = time.perf_counter()
    tmp = out.with_name(out.name + ".tmp")
    buffer: list[str] = []
    try:  # bad arguments or an interruption leave no partial file behind
        with (
            open(tmp, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        ):
            for res in iter_cohort(patients, seed, as_of, resources_per_patient):
                counts[res["resourceType"]] += 1
                owner = _owner(res)
                if owner:
                    per_patient[owner] += 1
                if validator is not None:
                    validator.check(res)
                buffer.append(json.dumps(res, ensure_ascii=False, separators=(",", ":")))
                if len(buffer) >= 2000:
                    gz.write(("\n".join(buffer) + "\n").encode("utf-8"))
                    buffer.clear()
            if buffer:
                gz.write(("\n".join(buffer) + "\n").encode("utf-8"))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    if validator is not None and validator.errors:
        tmp.unlink()
        raise ValueError(f"{len(validator.errors)} invalid resources, first: {validator.errors[0]}")
    tmp.replace(out)
    sha = hashlib.sha256()
    with open(out, "rb") as fh:  # in chunks: memory stays flat however large the cohort
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    digest = sha.hexdigest()
    total = sum(counts.values())
    meta = {
        "generator": "medsim.data.cohort.generate",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "patients": patients,
        "as_of": iso(as_of),
        "resources_per_patient_target": resources_per_patient,
        "resources": total,
        "resource_counts": dict(sorted(counts.items())),
        "resources_per_patient": {
            "min": min(per_patient.values(), default=0),
            "max": max(per_patient.values(), default=0),
        },
        "sha256": digest,
        "fhir_version": "4.0.1",
        "recipe": _recipe(out, patients, seed, as_of, resources_per_patient),
    }
    meta_path(out).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    meta["_seconds"] = seconds
    return meta


def _owner(res: Json) -> str | None:
    if res["resourceType"] == "Patient":
        return str(res["id"])
    ref = (res.get("subject") or res.get("patient") or {}).get("reference", "")
    return ref.split("/", 1)[1] if ref.startswith("Patient/") else None


def _recipe(out: Path, patients: int, seed: int, as_of: datetime, rpp: int | None) -> str:
    parts = ["python -m medsim.data.cohort.generate", f"--patients {patients}", f"--seed {seed}"]
    if as_of != DEFAULT_AS_OF:
        parts.append(f"--as-of {as_of.date().isoformat()}")
    if rpp is not None:
        parts.append(f"--resources-per-patient {rpp}")
    parts.append(f"--out {out.name}")
    return " ".join(parts)


def build_arg_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Arguments of the generator (shared by ``medsim data generate``)."""
    parser = parser or argparse.ArgumentParser(
        prog="python -m medsim.data.cohort.generate",
        description="Generate medsim's seeded synthetic FHIR R4 patient cohort.",
    )
    parser.add_argument(
        "--patients", type=int, default=100, help="number of patients (default 100)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--out", type=Path, default=Path("cohort.ndjson.gz"), help="output .ndjson.gz path"
    )
    parser.add_argument(
        "--resources-per-patient",
        type=int,
        default=None,
        metavar="N",
        help="scale the care recorded so each patient has about N resources",
    )
    parser.add_argument(
        "--as-of",
        default=DEFAULT_AS_OF.date().isoformat(),
        help="reference date the cohort is 'as of' (default 2025-01-01)",
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="validate every resource with fhir.resources R4B models",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Generate from parsed arguments and print a summary."""
    try:
        as_of = parse_day(args.as_of)
        meta = write_cohort(
            args.out, args.patients, args.seed, as_of, args.resources_per_patient, args.validate
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = meta.pop("_seconds")
    size = args.out.stat().st_size
    print(
        f"wrote {args.out} ({size / 1e6:.1f} MB): {meta['resources']} resources, "
        f"{meta['patients']} patients in {seconds:.1f} s "
        f"({meta['resources'] / max(seconds, 1e-9):,.0f} resources/s)"
        + (" - all valid R4B" if args.validate else "")
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_arg_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
