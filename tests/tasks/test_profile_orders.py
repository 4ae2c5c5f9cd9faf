"""Patient profiles expose the patient's active medication orders (RxNorm code -> id), so a
template can stop or supersede one of the patient's own orders by id."""

from __future__ import annotations

from medsim.data.cohort import iter_resources
from medsim.tasks.profiles import profiles


def test_orders_are_the_active_medication_requests() -> None:
    pid = "pat-0005"
    expected = set()
    inactive = set()
    for res in iter_resources():
        if res.get("resourceType") != "MedicationRequest":
            continue
        if res.get("subject", {}).get("reference") != f"Patient/{pid}":
            continue
        (inactive if res.get("status") != "active" else expected).add(res["id"])
    prof = profiles()[pid]
    orders = prof.context("2025-05-01")["orders"]
    assert expected and set(orders.values()) == expected
    assert not set(orders.values()) & inactive
    assert set(orders) <= prof.medications
