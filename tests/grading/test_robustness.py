"""Graders never crash on whatever an agent wrote or a tool returned (malformed FHIR included)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medsim.grading import EpisodeRecord, ToolCall, checkpoint_status
from medsim.grading.checkpoints.registry import builtin_graders
from tests.grading.helpers import LOINC, RXNORM, SNOMED, cp, make_task

K = {"codes": [f"{LOINC}|2823-3"]}
ALL = [
    cp(
        "ret",
        "data_retrieved",
        resource_type="Observation",
        code=K,
        category={"codes": ["laboratory"]},
    ),
    cp("val", "value_reported", expected={"value": [3.1, "2024-03-13"]}, tolerance=0.1),
    cp("rng", "value_reported", range=[1, 2], index=0),
    cp("txt", "answer_matches", regex=["low"]),
    cp("calc", "calculator_used", calculator="bmi", inputs={"weight": 70}, result=[20, 30]),
    cp(
        "made",
        "resource_created",
        resource_type="MedicationRequest",
        code={"codes": [f"{RXNORM}|308192"], "display_regex": "amox"},
        status=["active"],
        dosage={
            "dose": {"value": 500, "unit": "mg", "rel_tolerance": 0.1},
            "rate": {"value": 1, "unit": "g/h"},
            "route": {
                "codes": [f"{SNOMED}|26643006"],
                "display_regex": "oral",
                "allow_string": True,
            },
            "frequency": {"text_regex": "tid", "per_day": 3},
        },
        occurrence={"after": "@now", "before": "@now+P1D"},
        text_regex=["x"],
        fields={"a.b": 1},
    ),
    cp("none", "nothing_created", resource_type="MedicationRequest", status=["active"]),
    cp("dup", "no_duplicate_orders", against_chart=False),
    cp("contra", "no_contraindicated_order", forbidden=[K]),
    cp("dose", "dose_within_max", unit="mg", max_dose=1000, max_daily=3000),
    cp("pt", "writes_only_task_patient"),
    cp(
        "order",
        "action_order",
        first={"retrieved": {"resource_type": "Observation"}},
        then={"written": {"resource_type": "MedicationRequest"}},
    ),
    cp(
        "order2",
        "action_order",
        first={"tool": "fhir_.*", "args_regex": "x"},
        then={"calculator": "bmi"},
    ),
    cp(
        "note",
        "note_written",
        regex=["k"],
        resource_types=["DocumentReference", "Communication", "ServiceRequest"],
        include_finish_note=True,
        mentions=[{"expected": {"value": 3.1}}],
    ),
    cp(
        "reply",
        "workspace_file",
        path="output/reply.md",
        regex=["k"],
        quantities=[{"expected": {"value": 3.1}, "unit_regex": "mmol"}],
    ),
]

LEAF = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["Patient/pat-1", "2024-03-14", "mg", "d", "active", "tid", "oral", "308192"])
)
KEYS = st.sampled_from(
    [
        "resourceType",
        "id",
        "subject",
        "patient",
        "reference",
        "code",
        "coding",
        "system",
        "status",
        "dosageInstruction",
        "doseAndRate",
        "doseQuantity",
        "doseRange",
        "low",
        "high",
        "value",
        "unit",
        "route",
        "timing",
        "repeat",
        "frequency",
        "period",
        "periodUnit",
        "text",
        "note",
        "payload",
        "content",
        "attachment",
        "data",
        "authoredOn",
        "occurrenceDateTime",
        "entry",
        "resource",
        "category",
        "rateRatio",
        "numerator",
        "display",
        "a",
        "b",
    ]
)
JUNK = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)
RTYPE = st.sampled_from(
    [
        "MedicationRequest",
        "Observation",
        "ServiceRequest",
        "Communication",
        "DocumentReference",
        "Patient",
    ]
)


AMOX = {"coding": [{"system": RXNORM, "code": "308192", "display": "amoxicillin"}]}
NUM = st.floats(-1e6, 1e6) | st.integers(-10, 5000) | LEAF
UNIT = st.sampled_from(["mg", "g", "mcg", "tablet", "mEq", "", "h"]) | LEAF
QTY = st.fixed_dictionaries({"value": NUM}, optional={"unit": UNIT, "code": UNIT}) | JUNK
REPEAT = st.fixed_dictionaries(
    {},
    optional={
        "frequency": NUM,
        "frequencyMax": NUM,
        "period": NUM,
        "periodUnit": st.sampled_from(["d", "h", "wk", "s", "x"]) | LEAF,
    },
)
DOSE_AND_RATE = st.fixed_dictionaries(
    {"doseQuantity": QTY},
    optional={
        "doseRange": st.fixed_dictionaries({"low": QTY, "high": QTY}),
        "rateQuantity": QTY,
        "rateRatio": st.fixed_dictionaries({"numerator": QTY, "denominator": QTY}),
    },
)
DOSAGE = st.fixed_dictionaries(
    {
        "timing": st.fixed_dictionaries({"repeat": REPEAT}, optional={"code": JUNK}) | JUNK,
        "doseAndRate": st.lists(DOSE_AND_RATE, min_size=1, max_size=2) | JUNK,
    },
    optional={"text": JUNK, "route": JUNK},
)


@st.composite
def junk_records(draw: st.DrawFn) -> EpisodeRecord:
    writes = []
    for seq in range(draw(st.integers(0, 4))):
        rtype = draw(RTYPE)
        # mostly well-attributed, matching resources, so graders get past their first checks
        body: dict[str, Any] = {
            "subject": {"reference": "Patient/pat-1"},
            "status": "active",
            "medicationCodeableConcept": AMOX,
            "code": K,
            "authoredOn": "2024-03-14T10:00:00Z",
            "occurrenceDateTime": "2024-03-14T12:00:00Z",
            "dosageInstruction": draw(st.lists(DOSAGE, min_size=1, max_size=2) | JUNK),
        }
        body.update(draw(st.dictionaries(KEYS, JUNK, max_size=4)))
        body["resourceType"] = rtype
        writes.append(
            {
                "method": draw(st.sampled_from(["create", "update", "delete"])),
                "resource_type": rtype,
                "id": draw(st.sampled_from(["1", "2"])),
                "resource": body,
                "seq": seq,
                "step": seq + 1,
            }
        )
    calls = [
        ToolCall(
            step=i,
            name=draw(st.sampled_from(["fhir_search", "calculate", "GET", "write_file"])),
            arguments={
                "calculator": draw(st.sampled_from(["bmi", "x", 5])),
                "file_path": draw(st.sampled_from(["output/reply.md", "../x", 3]) | JUNK),
                **draw(
                    st.dictionaries(
                        st.sampled_from(["inputs", "weight", "height", "x", "content", "mode"]),
                        JUNK,
                        max_size=3,
                    )
                ),
            },
            result=draw(JUNK),
            write_seqs=draw(st.lists(st.integers(0, 3), max_size=2)),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    return EpisodeRecord(
        task_id="t",
        tool_calls=calls,
        writes=writes,
        answer=draw(JUNK),
        note=draw(st.none() | st.text(max_size=20)),
        terminated=True,
    )


def test_every_grader_is_exercised() -> None:
    assert {c["grader"] for c in ALL} == set(builtin_graders())


TASK = make_task(ALL)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk_records())
def test_graders_never_crash(record: EpisodeRecord) -> None:
    task = TASK
    for final in (False, True):
        status: dict[str, Any] = checkpoint_status(task, record, None, final=final)
        crashed = {k: v["evidence"] for k, v in status.items() if "crashed" in v["evidence"]}
        assert not crashed
