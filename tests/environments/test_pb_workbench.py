"""The PhysicianBench workbench tools on the embedded EHR: paging, filters by code and words,
executed writes with structured dosage, clear errors that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import medsim
from medsim.environments.physicianbench.workbench.write import route_concept, timing
from medsim.tools.base import ToolContext
from medsim.tools.registry import get_tool

PATIENT = "pat-0020"


@pytest.fixture(scope="module")
def ctx() -> Iterator[ToolContext]:
    env = medsim.make("PhysicianBench-v0")
    env.reset(options={"task_id": "pb-af-apixaban-01"})
    yield env.unwrapped._context
    env.close()


def call(ctx: ToolContext, name: str, **args: Any) -> Any:
    result = get_tool(name).invoke(args, ctx)
    assert result.error is None, result.error
    return result.value


def test_labs_paging_covers_every_result_once_newest_first(ctx: ToolContext) -> None:
    direct = ctx.fhir.search(
        "Observation", {"patient": PATIENT, "code": "http://loinc.org|2160-0", "_count": "500"}
    )
    expected = {e["resource"]["id"] for e in direct["entry"]}
    first = call(ctx, "fhir_observation_search_labs", patient=PATIENT, code="2160-0", count=7)
    assert first["total"] == len(expected) and first["pages"] == -(-len(expected) // 7)
    seen: list[dict[str, Any]] = []
    for page in range(1, first["pages"] + 1):
        seen += call(
            ctx, "fhir_observation_search_labs", patient=PATIENT, code="2160-0", count=7, page=page
        )["entries"]
    assert sorted(r["id"] for r in seen) == sorted(expected)
    times = [r["effectiveDateTime"] for r in seen]
    assert times == sorted(times, reverse=True)
    assert all("meta" not in r for r in seen)


def test_words_find_what_the_code_finds(ctx: ToolContext) -> None:
    by_code = call(ctx, "fhir_observation_search_labs", patient=PATIENT, code="2160-0", count=200)
    by_words = call(
        ctx, "fhir_observation_search_labs", patient=PATIENT, text="creatinine serum", count=200
    )
    assert {r["id"] for r in by_code["entries"]} <= {r["id"] for r in by_words["entries"]}
    codes = {r["code"]["coding"][0]["code"] for r in by_words["entries"]}
    assert "9318-7" not in codes  # "serum" excludes the urine albumin/creatinine ratio
    none = call(ctx, "fhir_observation_search_labs", patient=PATIENT, text="zzzqqq")
    assert none == {"entries": [], "total": 0, "page": 1, "pages": 1}


def test_date_window_and_categories(ctx: ToolContext) -> None:
    window = call(
        ctx,
        "fhir_observation_search_vitals",
        patient=PATIENT,
        text="weight",
        date_from="2024-01-01",
        date_to="2024-12-31",
        count=200,
    )
    assert window["total"] > 0
    assert all(r["effectiveDateTime"][:4] == "2024" for r in window["entries"])
    assert all(
        c["coding"][0]["code"] == "vital-signs" for r in window["entries"] for c in r["category"]
    )


def test_notes_are_decoded(ctx: ToolContext) -> None:
    notes = call(
        ctx, "fhir_document_reference_search_clinical_notes", patient=PATIENT, text="e-consult"
    )
    assert notes["total"] == 1
    note = notes["entries"][0]
    assert "E-CONSULT REQUEST" in note["note_text"]
    assert all("data" not in c["attachment"] for c in note["content"])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"patient": "pat 0020"}, "patient"),
        ({"patient": PATIENT, "date_from": "yesterday"}, "date_from"),
        ({"patient": PATIENT, "count": 0}, "count"),
        ({"patient": PATIENT, "page": 0}, "page"),
        ({"patient": PATIENT, "bogus": 1}, "bogus"),
    ],
)
def test_bad_read_arguments(ctx: ToolContext, args: dict[str, Any], fragment: str) -> None:
    result = get_tool("fhir_observation_search_labs").invoke(args, ctx)
    assert result.kind == "invalid_arguments" and fragment in result.error


@pytest.mark.parametrize(
    ("words", "per_day"),
    [
        ("twice daily", 2),
        ("BID", 2),
        ("once daily", 1),
        ("q8h", 3),
        ("every 12 hours", 2),
        ("every other day", 0.5),
        ("once weekly", 1 / 7),
    ],
)
def test_frequency_words_become_timing(words: str, per_day: float) -> None:
    repeat = timing(words)["repeat"]
    unit_per_day = {"d": 1, "h": 24, "wk": 1 / 7}[repeat["periodUnit"]]
    assert repeat["frequency"] * unit_per_day / repeat["period"] == per_day


def test_unknown_frequency_and_route_stay_text() -> None:
    assert timing("with breakfast on Mondays") == {"code": {"text": "with breakfast on Mondays"}}
    assert route_concept("PO")["coding"][0]["code"] == "26643006"
    assert route_concept("intrathecal") == {"text": "intrathecal"}


def test_writes_are_executed_and_invalid_ones_change_nothing() -> None:
    env = medsim.make("PhysicianBench-v0")
    env.reset(options={"task_id": "pb-hf-mra-hyperkalemia-01"})
    ctx = env.unwrapped._context
    before = len(ctx.fhir.writes)
    bad = get_tool("fhir_medication_request_create").invoke(
        {
            "patient": "pat-0086",
            "medication_code": "313096",
            "medication_display": "x",
            "dose_value": -5,
            "dose_unit": "mg",
            "frequency": "daily",
        },
        ctx,
    )
    assert bad.kind == "invalid_arguments" and len(ctx.fhir.writes) == before
    other = get_tool("fhir_medication_request_discontinue").invoke(
        {"patient": "pat-0001", "order_id": "spiro-pb-hf-mra-hyperkalemia-01", "reason": "x"}, ctx
    )
    assert other.kind == "invalid_arguments" and len(ctx.fhir.writes) == before
    done = call(
        ctx,
        "fhir_medication_request_discontinue",
        patient="pat-0086",
        order_id="spiro-pb-hf-mra-hyperkalemia-01",
        reason="hyperkalemia",
    )
    assert done["status"] == "stopped"
    again = get_tool("fhir_medication_request_discontinue").invoke(
        {"patient": "pat-0086", "order_id": "spiro-pb-hf-mra-hyperkalemia-01", "reason": "x"}, ctx
    )
    assert again.kind == "invalid_arguments" and "stopped" in again.error
    order = call(
        ctx,
        "fhir_medication_request_create",
        patient="pat-0086",
        medication_code="313096",
        medication_display="spironolactone 25 MG Oral Tablet",
        dose_value=12.5,
        dose_unit="mg",
        frequency="once daily",
        duration_days=30,
    )
    stored = ctx.fhir.read("MedicationRequest", order["id"])
    dosage = stored["dosageInstruction"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 12.5
    assert dosage["timing"]["repeat"]["frequency"] == 1
    assert dosage["timing"]["repeat"]["boundsDuration"]["value"] == 30
    assert stored["authoredOn"] == env.unwrapped.task.now.isoformat()
    bad_time = get_tool("fhir_service_request_create").invoke(
        {"patient": "pat-0086", "code": "2823-3", "display": "K", "occurrence": "next week"}, ctx
    )
    assert bad_time.kind == "invalid_arguments"
    env.close()
