"""The compact view on hand-written FHIR and plain JSON (expected text written out by hand)."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.observation.compact import brief, render_json

K = "http://loinc.org"


def obs(oid: str, value: float, date: str, patient: str = "pat-1") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "meta": {"lastUpdated": "2025-01-01T00:00:00Z", "versionId": "3"},
        "text": {"status": "generated", "div": "<div>narrative</div>"},
        "status": "final",
        "code": {"coding": [{"system": K, "code": "2823-3", "display": "Potassium"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": date,
        "valueQuantity": {"value": value, "unit": "mmol/L", "system": "http://unitsofmeasure.org"},
        "note": [],
    }


def bundle(entries: list[dict[str, Any]], query: str, total: int, nxt: str | None = None) -> Any:
    links = [{"relation": "self", "url": f"http://h/fhir/Observation?{query}"}]
    if nxt:
        links.append({"relation": "next", "url": f"http://h/fhir/Observation?{nxt}"})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {"fullUrl": f"http://h/fhir/Observation/{e['id']}", "resource": e} for e in entries
        ],
    }


def test_search_table_one_patient() -> None:
    b = bundle(
        [obs("o1", 3.1, "2025-01-15"), obs("o2", 4.0, "2024-12-01")],
        "patient=pat-1&_count=2",
        5,
        "patient=pat-1&_count=2&_offset=2",
    )
    assert render_json(b).split("\n") == [
        "Observation: 2 of 5 matches (next page: same search + _offset=2)",
        "all rows: code=Potassium (LOINC 2823-3), status=final",
        "date | value | id",
        "2025-01-15 | 3.1 mmol/L | o1",
        "2024-12-01 | 4.0 mmol/L | o2",
    ]


def test_search_without_patient_shows_whose_rows() -> None:
    b = bundle([obs("o1", 3.1, "2025-01-15", "a"), obs("o2", 3.1, "2025-01-15", "b")], "code=x", 2)
    lines = render_json(b).split("\n")
    assert lines[0] == "Observation: 2 matches"
    assert lines[2] == "patient | id"
    assert lines[-2:] == ["Patient/a | o1", "Patient/b | o2"]


def test_single_resource_drops_meta_narrative_and_empty() -> None:
    text = render_json(obs("o1", 3.1, "2025-01-15"))
    assert text.split("\n") == [
        "Observation o1",
        "status: final",
        "code: Potassium (LOINC 2823-3)",
        "subject: Patient/pat-1",
        "effectiveDateTime: 2025-01-15",
        "valueQuantity: 3.1 mmol/L",
    ]


def test_shapes() -> None:
    hl7 = "http://terminology.hl7.org/CodeSystem/condition-clinical"
    assert brief({"coding": [{"system": hl7, "code": "active", "display": "Active"}]}) == "active"
    assert brief({"reference": "Practitioner/p1", "display": "Dr X"}) == "Practitioner/p1 (Dr X)"
    assert brief({"start": "2020", "end": "2021"}) == "2020 to 2021"
    assert brief({"given": ["Ann", "B"], "family": "Lee"}) == "Ann B Lee"
    note = base64.b64encode(b"K 3.1, repeat BMP").decode()
    assert brief({"contentType": "text/plain", "data": note}) == "[text/plain] K 3.1, repeat BMP"
    race = {
        "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
        "extension": [{"url": "text", "valueString": "White"}],
    }
    assert brief(race) == "race: White"  # the US Core profile prefix is dropped


def test_flat_json_tool_result_rows_become_a_table() -> None:
    value = {
        "query": "warfarin",
        "count": 2,
        "results": [
            {"id": "a1", "name": "INR", "value": 2.4},
            {"id": "a2", "name": "INR", "value": 3.1},
        ],
        "warnings": [],
    }
    assert render_json(value).split("\n") == [
        "query=warfarin, count=2",
        "results: 2 rows",
        "all rows: name=INR",
        "value | id",
        "2.4 | a1",
        "3.1 | a2",
        "warnings: (none)",
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=25,
)
IDS = st.lists(
    st.from_regex(r"[A-Za-z0-9\-.]{1,20}", fullmatch=True), min_size=1, max_size=12, unique=True
)


@settings(max_examples=100, deadline=None)
@given(JSON)
def test_any_json_renders(value: Any) -> None:
    assert isinstance(render_json(value), str)


@settings(max_examples=100, deadline=None)
@given(IDS, st.lists(st.sampled_from(["a", "b"]), min_size=12, max_size=12))
def test_every_row_keeps_its_id(ids: list[str], patients: list[str]) -> None:
    entries = [obs(i, n / 10, f"2025-01-{n + 1:02d}", patients[n]) for n, i in enumerate(ids)]
    lines = render_json(bundle(entries, "code=x", len(ids))).split("\n")
    rows = lines[-len(ids) :]
    assert [r.rsplit(" | ", 1)[-1] for r in rows] == ids


@settings(max_examples=100, deadline=None)
@given(IDS)
def test_every_row_of_a_workbench_page_keeps_its_id(ids: list[str]) -> None:
    entries = [obs(i, n / 10, f"2025-01-{n + 1:02d}") for n, i in enumerate(ids)]
    page = {"entries": entries, "total": 40, "page": 1, "pages": 4, "next_page": 2}
    rows = render_json(page).split("\n")[-len(ids) :]
    assert [r.rsplit(" | ", 1)[-1] for r in rows] == ids


def test_workbench_page_is_a_resource_table() -> None:
    page = {
        "entries": [obs("o1", 3.1, "2025-01-15T06:00:00+00:00"), obs("o2", 4.0, "2024-12-01")],
        "total": 5,
        "page": 1,
        "pages": 3,
        "next_page": 2,
    }
    assert render_json(page).split("\n") == [
        "total=5, page=1, pages=3, next_page=2",
        "all rows: code=Potassium (LOINC 2823-3), status=final, patient=Patient/pat-1",
        "date | value | id",
        "2025-01-15T06:00:00Z | 3.1 mmol/L | o1",
        "2024-12-01 | 4.0 mmol/L | o2",
    ]
    one = {"entries": [obs("o1", 3.1, "2025-01-15")], "total": 1, "page": 1, "pages": 1}
    assert render_json(one).split("\n") == [
        "total=1, page=1, pages=1",
        "date | code | value | status | patient | id",
        "2025-01-15 | Potassium (LOINC 2823-3) | 3.1 mmol/L | final | Patient/pat-1 | o1",
    ]
    empty = {"entries": [], "total": 0, "page": 1, "pages": 1}
    assert render_json(empty) == "total=0, page=1, pages=1\nentries: (none)"


def test_calculator_result_is_its_value_and_interpretation() -> None:
    value = {
        "calculator": "cha2ds2_vasc",
        "name": "CHA2DS2-VASc Score",
        "value": 5,
        "unit": "points",
        "explanation": "CHA2DS2-VASc (Lip et al., Chest 2010)\n- Age: 85 years (>= 75) -> +2\n"
        "Total: 5 points (range 0 to 9)\nInterpretation: high risk (>= 2)",
        "inputs": {"age": 85.0, "sex": "female"},
    }
    assert render_json(value) == "cha2ds2_vasc = 5 points\nInterpretation: high risk (>= 2)"
    bmi = {"calculator": "bmi", "value": 34.009, "unit": "kg/m2", "explanation": "BMI = ..."}
    assert render_json(bmi) == "bmi = 34.009 kg/m2"
    fib4 = {"calculator": "fib4", "value": 2.592, "unit": None, "explanation": "FIB-4 = ..."}
    assert render_json(fib4) == "fib4 = 2.592"


def test_a_write_result_does_not_repeat_what_was_sent() -> None:
    sent = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/pat-1"},
        "note": [{"text": "Hold if potassium above 5.0 mmol/L"}],
    }
    saved = {**sent, "id": "17", "meta": {"versionId": "1"}, "status": "on-hold"}
    args = {"resource_type": "MedicationRequest", "resource": sent}
    assert render_json(saved, args).split("\n") == [
        "MedicationRequest 17 (saved; 3 elements as sent)",
        "status: on-hold",
    ]
    # a read (no arguments naming a resource) shows every element
    assert render_json(saved).count("\n") == 4
    message = "Potassium 6.1 mmol/L this morning: stop lisinopril and repeat a BMP tomorrow."
    comm = {
        "resourceType": "Communication",
        "id": "c1",
        "status": "completed",
        "payload": [{"contentString": message}],
    }
    text = render_json(comm, {"patient": "pat-1", "message": message})
    assert text.split("\n") == [
        "Communication c1",
        "status: completed",
        f"payload: contentString=(message as sent, {len(message)} characters)",
    ]
    assert message in render_json(comm, {"message": "another text, long enough to count " * 3})


def test_object_does_not_echo_the_arguments() -> None:
    value = {"query": "amlodipine", "system": "rxnorm", "total": 0, "results": []}
    assert render_json(value, {"query": "amlodipine", "system": "snomed"}).split("\n") == [
        "system=rxnorm, total=0",
        "results: (none)",
    ]


def test_value_shapes_keep_every_code_value_and_date() -> None:
    loinc = {"system": K, "code": "2823-3", "display": "Potassium [Moles/volume] in Serum"}
    assert brief({"coding": [loinc], "text": "Potassium"}) == "Potassium (LOINC 2823-3)"
    assert brief({"coding": [loinc]}) == "Potassium [Moles/volume] in Serum (LOINC 2823-3)"
    assert brief("2025-01-15T06:00:00+00:00") == "2025-01-15T06:00:00Z"
    assert brief("2025-01-15T06:00:00-05:00") == "2025-01-15T06:00:00-05:00"
    assert brief("a note written at 06:00+00:00") == "a note written at 06:00+00:00"
    dose = {"value": 40.0, "unit": "mg"}
    said = {"text": "Take 1 tablet (40 mg) daily", "doseAndRate": [{"doseQuantity": dose}]}
    assert brief(said) == "Take 1 tablet (40 mg) daily"
    other = {"text": "Take 140 mg daily", "doseAndRate": [{"doseQuantity": dose}]}
    assert brief(other) == "Take 140 mg daily; 40.0 mg"


def test_a_long_label_is_cut_but_never_its_codes() -> None:
    covid = {
        "coding": [
            {
                "system": "http://snomed.info/sct",
                "code": "840539006",
                "display": "Disease caused by severe acute respiratory syndrome coronavirus 2 "
                "(disorder)",
            },
            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "U07.1"},
        ]
    }
    rows = [
        {"resourceType": "Condition", "id": "c1", "code": covid, "onsetDateTime": "2020-08-24"},
        {"resourceType": "Condition", "id": "c2", "code": {"text": "x" * 100}},
    ]
    lines = render_json({"entries": rows, "total": 2}).split("\n")
    assert lines[-2] == (
        "2020-08-24 | Disease caused by severe acute respiratory … (SNOMED 840539006, "
        "ICD-10-CM U07.1) | c1"
    )
    assert lines[-1] == " | " + "x" * 79 + "… | c2"  # free text is cut at 80 characters
