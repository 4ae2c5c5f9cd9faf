"""MedAgentBench-v0's chart: medsim's synthetic cohort as it stood at the suite's fixed "now".

A suite-specific derived base (built once, cached like the cohort's SQLite index) rather than
per-task overlays, because the properties it adds belong to the whole chart, not to one task's
findings:

* **Local codes beside LOINC.** MedAgentBench searches ``code=MG``, ``K``, ``GLU``, ``A1C`` and
  the flowsheet row ``BP``. Every cohort Observation of those tests gets the local code as a
  second coding (``data/chart.yaml``), so ``Observation?patient=X&code=K`` returns the patient's
  whole potassium history, exactly like the LOINC search. Overlays alone would leave the history
  LOINC-only and make the two searches disagree.
* **The chart at "now".** Resources dated after 2023-11-13T10:15:00+00:00 are dropped (a result
  counts from when it was issued), and states that only the future could know are rolled back:
  a condition that abated later is active, an encounter that ended later is in progress, a
  prescription stopped later is active. "Most recent" then means the same in the chart, in the
  grader and for the agent.
* **Patient.id is the MRN**, as in MedAgentBench (``Patient/S6315806``), in the original's form
  ``S`` + 7 digits derived from the cohort's MRN; the MRN also stays the Patient's ``MR``
  identifier, so ``Patient?identifier=S6315806`` works as well.

The file is deterministic (same cohort and rules -> same bytes) and cached under
``~/.cache/medsim/medagentbench/`` keyed by the cohort's and the rules' hashes.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from medsim.yamlload import safe_load

Json = dict[str, Any]
RULES_PATH = Path(__file__).parent / "data" / "chart.yaml"
BUILDER_VERSION = "1"
_PATIENT_REF = re.compile(r'"Patient/(pat-\d+)"')


@lru_cache(maxsize=1)
def rules() -> Json:
    """The derivation rules (``data/chart.yaml``)."""
    data: Json = safe_load(RULES_PATH.read_text(encoding="utf-8"))
    return data


def suite_now() -> datetime:
    """MedAgentBench's fixed clinical "now"."""
    return datetime.fromisoformat(str(rules()["now"]))


def mrn_id(mrn: str) -> str:
    """The MedAgentBench-style MRN (``S`` + 7 digits) of a cohort MRN such as ``MRN07300054``."""
    digits = re.sub(r"\D", "", mrn)
    if len(digits) < 7:
        raise ValueError(f"cannot derive a 7-digit MRN from {mrn!r}")
    return f"S{digits[-7:]}"


def _get(resource: Json, path: str) -> Any:
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def clinical_time(resource: Json) -> datetime | None:
    """When the resource entered the chart (first field of ``clinical_time`` present)."""
    for path in rules()["clinical_time"].get(resource["resourceType"], []):
        value = _get(resource, path)
        if isinstance(value, str):
            text = value if "T" in value else f"{value}T00:00:00+00:00"
            return datetime.fromisoformat(text)
    return None


def _after(value: Any, now: datetime) -> bool:
    if not isinstance(value, str):
        return False
    text = value if "T" in value else f"{value}T00:00:00+00:00"
    return datetime.fromisoformat(text) > now


def add_local_codes(resource: Json) -> Json:
    """The Observation with its local lab code / flowsheet id added beside LOINC (idempotent)."""
    cfg = rules()
    concept = resource.get("code") or {}
    codings = list(concept.get("coding") or [])
    extra = []
    for coding in codings:
        if coding.get("system") != "http://loinc.org":
            continue
        code = str(coding.get("code"))
        for table, system in (
            ("local_codes", cfg["lab_system"]),
            ("flowsheet_codes", cfg["flowsheet_system"]),
        ):
            if code in cfg[table]:
                local, display = cfg[table][code]
                extra.append({"system": system, "code": local, "display": display})
    have = {(c.get("system"), c.get("code")) for c in codings}
    new = [c for c in extra if (c["system"], c["code"]) not in have]
    if not new:
        return resource
    return {**resource, "code": {**concept, "coding": codings + new}}


def _roll_back(resource: Json, now: datetime) -> Json:
    """Undo what only the future knew about a resource dated before ``now``."""
    rtype = resource["resourceType"]
    out = resource
    if rtype == "Condition" and _after(resource.get("abatementDateTime"), now):
        out = copy.deepcopy(resource)
        del out["abatementDateTime"]
        out["clinicalStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                    "display": "Active",
                }
            ]
        }
    elif rtype == "Encounter" and _after(_get(resource, "period.end"), now):
        out = copy.deepcopy(resource)
        del out["period"]["end"]
        out.pop("length", None)
        out["status"] = "in-progress"
    elif rtype == "MedicationRequest" and resource.get("status") in ("stopped", "completed"):
        ends = [
            _get(d, "timing.repeat.boundsPeriod.end") for d in resource.get("dosageInstruction", [])
        ]
        if any(_after(e, now) for e in ends):
            out = copy.deepcopy(resource)
            out["status"] = "active"
            out.pop("statusReason", None)
    return out


def derive(resources: Iterable[Json], now: datetime | None = None) -> Iterator[Json]:
    """The MedAgentBench chart from cohort resources (see the module docstring)."""
    at = now or suite_now()
    items = list(resources)
    ids: dict[str, str] = {}
    for res in items:
        if res["resourceType"] == "Patient":
            mrns = [
                i["value"]
                for i in res.get("identifier", [])
                if any(c.get("code") == "MR" for c in _get(i, "type.coding") or [])
            ]
            if not mrns:
                raise ValueError(f"Patient/{res['id']} has no MR identifier")
            ids[res["id"]] = mrn_id(mrns[0])
    if len(set(ids.values())) != len(ids):
        raise ValueError("two cohort patients map to the same MedAgentBench MRN")
    kept: set[tuple[str, str]] = set()
    out: list[Json] = []
    for res in items:
        when = clinical_time(res)
        if when is not None and when > at:
            continue
        res = _roll_back(res, at)
        if res["resourceType"] == "Observation":
            res = add_local_codes(res)
        if res["resourceType"] == "Patient":
            res = _as_mrn_patient(res, ids[res["id"]])
        text = _PATIENT_REF.sub(
            lambda m: f'"Patient/{ids.get(m.group(1), m.group(1))}"', _dump(res)
        )
        res = json.loads(text)
        kept.add((res["resourceType"], res["id"]))
        out.append(res)
    for res in out:
        yield _drop_dangling(res, kept)


def _as_mrn_patient(res: Json, mrn: str) -> Json:
    out = copy.deepcopy(res)
    out["id"] = mrn
    for ident in out.get("identifier", []):
        if any(c.get("code") == "MR" for c in _get(ident, "type.coding") or []):
            ident["value"] = mrn
    return out


def _drop_dangling(res: Json, kept: set[tuple[str, str]]) -> Json:
    """Remove references to resources that are not in the chart (e.g. results issued later)."""
    if res["resourceType"] == "DiagnosticReport" and "result" in res:
        results = [
            r for r in res["result"] if tuple(str(r.get("reference", "")).split("/", 1)) in kept
        ]
        if len(results) != len(res["result"]):
            res = (
                {**res, "result": results}
                if results
                else {k: v for k, v in res.items() if k != "result"}
            )
    return res


def _dump(res: Json) -> str:
    return json.dumps(res, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def _fingerprint(cohort: Path) -> str:
    h = hashlib.sha256()
    h.update(f"builder={BUILDER_VERSION}\n".encode())
    h.update(RULES_PATH.read_bytes())
    with open(cohort, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:20]


def cache_root() -> Path:
    """``~/.cache/medsim/medagentbench`` (beside the engine's index cache; MEDSIM_CACHE_DIR)."""
    from medsim.fhir.embedded import cache_dir

    path = cache_dir().parent / "medagentbench"
    path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=4)
def chart_path(cohort: str | None = None) -> Path:
    """The derived chart file (gzip NDJSON), built on first use and cached on disk."""
    from medsim.data.cohort import cohort_path, iter_resources

    source = Path(cohort or cohort_path())
    target = cache_root() / f"chart-{_fingerprint(source)}.ndjson.gz"
    if target.exists():
        return target
    lines = "".join(_dump(r) + "\n" for r in derive(iter_resources(source)))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write(lines.encode("utf-8"))
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, target)
    return target


def chart_resources() -> Iterator[Json]:
    """The derived chart's resources (reads the cached file)."""
    from medsim.data.cohort import iter_resources

    return iter_resources(chart_path())
