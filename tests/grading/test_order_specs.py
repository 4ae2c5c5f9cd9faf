"""Order checkpoints (:mod:`medsim.grading.checkpoints.orders`) on the cases test_orders.py does
not write: updates of chart orders, date-only times, repeated fields, count limits, the status
filter of ``nothing_created``, duplicates of uncoded orders and of a code group, grading without
a store. Every expected status is worked out by hand from the checkpoint's contract (its
docstring) and the small chart of ``tests.grading.helpers`` (pat-1; lisinopril med-1 active).
"""

from __future__ import annotations

from typing import Any

import pytest

from medsim.grading import GradingError, checkpoint_status, grade, validate_params
from tests.grading.helpers import RXNORM, chart_resources, cp, medication_request

AMOX = {"codes": [f"{RXNORM}|308192"]}
LISINOPRIL = {"codes": [f"{RXNORM}|314076"]}


def _st(d: Any, cid: str = "c", final: bool = True) -> dict[str, Any]:
    return dict(checkpoint_status(d.task, d.record, d.episode, final=final)[cid])


def _chart_order() -> dict[str, Any]:
    return next(r for r in chart_resources() if r["id"] == "med-1")


@pytest.mark.parametrize(
    ("include_updates", "status"), [(None, "passed"), (True, "passed"), (False, "failed")]
)
def test_an_updated_chart_order_counts_unless_only_creations_do(
    drive: Any, include_updates: bool | None, status: str
) -> None:
    """Stopping the chart's lisinopril is an update of med-1, not a new order (it keeps its
    authoredOn of 2023, so the task turns the authoredOn window off). Updates count by default."""
    spec = {"resource_type": "MedicationRequest", "code": LISINOPRIL, "status": ["stopped"],
            "authored": None}  # fmt: skip
    if include_updates is not None:
        spec["include_updates"] = include_updates
    d = drive([cp("c", "resource_created", **spec)])
    d.write({**_chart_order(), "status": "stopped"}, method="update")
    out = _st(d)
    assert out["status"] == status, out["evidence"]
    if status == "failed":
        assert "updated, not created" in out["evidence"]


@pytest.mark.parametrize(
    ("authored", "status"),
    [
        ("2024-03-14", "passed"),  # a date is the whole day: today is not before "now" (09:00)
        ("2024-03-13", "failed"),  # yesterday
        ("2024-03-14T08:59:59+00:00", "failed"),  # a time before now
    ],
)
def test_a_date_only_authored_on_is_its_whole_day(drive: Any, authored: str, status: str) -> None:
    d = drive([cp("c", "resource_created", resource_type="MedicationRequest", code=AMOX)])
    d.write(medication_request(authored=authored))
    out = _st(d)
    assert out["status"] == status, out["evidence"]


def test_a_field_matches_when_any_of_its_values_is_expected(drive: Any) -> None:
    """Two instructions (500 mg and 250 mg): the dose path has both values; 250 is one of them."""
    order = medication_request()
    second = {**order["dosageInstruction"][0], "doseAndRate": [
        {"doseQuantity": {"value": 250, "unit": "mg"}}]}  # fmt: skip
    order["dosageInstruction"].append(second)
    path = "dosageInstruction.doseAndRate.doseQuantity.value"
    for want, status in ((250, "passed"), ([500], "passed"), ([125, 1000], "failed")):
        d = drive([cp("c", "resource_created", resource_type="MedicationRequest",
                      fields={path: want})])  # fmt: skip
        d.write(order)
        assert _st(d)["status"] == status, want


def test_count_limits_are_at_least_one() -> None:
    base = {"resource_type": "MedicationRequest"}
    validate_params("resource_created", {**base, "min_count": 1, "max_count": 1})
    for bad in ({"min_count": 0}, {"max_count": 0}):
        with pytest.raises(GradingError):
            validate_params("resource_created", {**base, **bad})


def test_a_count_range_counts_every_match(drive: Any) -> None:
    spec = {"resource_type": "MedicationRequest", "code": AMOX, "min_count": 2, "max_count": 2}
    d = drive([cp("c", "resource_created", **spec)])
    d.write(medication_request())
    assert _st(d)["status"] == "failed"  # 1 of 2
    d.write(medication_request(dose=250))
    assert _st(d)["status"] == "passed"
    d.write(medication_request(dose=125))
    assert _st(d)["status"] == "failed"  # 3 > 2


@pytest.mark.parametrize(
    ("order_status", "status"), [("cancelled", "passed"), ("active", "failed")]
)
def test_nothing_created_counts_only_the_statuses_it_names(
    drive: Any, order_status: str, status: str
) -> None:
    spec = {"resource_type": "MedicationRequest", "status": ["active", "draft"]}
    d = drive([cp("c", "nothing_created", **spec)])
    d.write(medication_request(status=order_status))
    out = _st(d)
    assert out["status"] == status, out["evidence"]
    if status == "failed":  # the evidence names the kind and the order
        assert "MedicationRequest written: MedicationRequest/" in out["evidence"], out["evidence"]


def _uncoded(text: str) -> dict[str, Any]:
    order = medication_request()
    order["medicationCodeableConcept"] = {"text": text}
    return order


def test_uncoded_orders_are_told_apart_by_their_text(drive: Any) -> None:
    d = drive([cp("c", "no_duplicate_orders")])
    d.write(_uncoded("amoxicillin 500 mg capsule"))
    d.write(_uncoded("ondansetron 4 mg tablet"))
    assert _st(d)["status"] == "passed"
    d.write(_uncoded("amoxicillin 500 mg capsule"))
    assert _st(d)["status"] == "failed"


def test_a_code_group_ignores_chart_orders_outside_it_and_is_named(drive: Any) -> None:
    """The group is amoxicillin; the chart's active lisinopril is not in it."""
    d = drive([cp("c", "no_duplicate_orders", code={"display_regex": "amoxicillin"})])
    d.write(medication_request())
    assert _st(d)["status"] == "passed"
    d.write(medication_request(dose=250))
    out = _st(d)
    assert out["status"] == "failed" and "amoxicillin" in out["evidence"], out["evidence"]


def test_no_duplicate_orders_without_a_store(drive: Any) -> None:
    """Re-grading a record with no store: with no orders there is nothing to compare (passed);
    with an order, the chart cannot be read to look for the same order (pending)."""
    d = drive([cp("c", "no_duplicate_orders")])
    d.finish([])
    assert grade(d.task, d.record, None).checkpoints["c"]["status"] == "passed"
    d2 = drive([cp("c", "no_duplicate_orders")])
    d2.write(medication_request())
    d2.finish([])
    assert grade(d2.task, d2.record, None).checkpoints["c"]["status"] == "pending"


def test_no_duplicate_is_pending_until_the_end(drive: Any) -> None:
    d = drive([cp("c", "no_duplicate_orders")])
    d.write(medication_request())
    assert _st(d, final=False)["status"] == "pending"
    assert _st(d)["status"] == "passed"


def test_a_cancelled_or_deleted_reorder_is_not_a_duplicate(drive: Any) -> None:
    d = drive([cp("c", "no_duplicate_orders")])
    d.write(medication_request())
    d.write(medication_request(dose=250, status="cancelled"))
    stored = d.write(medication_request(dose=125))
    d.delete("MedicationRequest", stored["id"])
    out = _st(d)
    assert out["status"] == "passed", out["evidence"]


def test_a_time_window_with_a_bad_bound_is_refused() -> None:
    base = {"resource_type": "ServiceRequest"}
    validate_params("resource_created", {**base, "occurrence": {"after": "@today+P1D"}})
    with pytest.raises(GradingError):
        validate_params("resource_created", {**base, "occurrence": {"after": "tomorrow-ish"}})


def test_one_matching_instruction_is_enough(drive: Any) -> None:
    """Two instructions (R4 Dosage repeats): 500 mg and 250 mg three times a day; the expected
    500 mg matches the first. Neither at 750 mg: failed."""
    order = medication_request()
    order["dosageInstruction"].append({**order["dosageInstruction"][0], "doseAndRate": [
        {"doseQuantity": {"value": 250, "unit": "mg"}}]})  # fmt: skip
    for mg, status in ((500, "passed"), (250, "passed"), (750, "failed")):
        spec = {
            "resource_type": "MedicationRequest",
            "dosage": {"dose": {"value": mg, "unit": "mg"}},
        }
        d = drive([cp("c", "resource_created", **spec)])
        d.write(order)
        assert _st(d)["status"] == status, mg
