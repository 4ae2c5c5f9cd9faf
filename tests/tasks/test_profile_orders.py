"""Patient profiles expose the patient's active medication orders (id, RxNorm code, display,
authoredOn), so a template can stop or supersede one of the patient's own orders by id."""

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
    got = {o["id"] for o in prof.context("2025-05-01")["orders"]}
    assert expected and got == expected
    assert not got & inactive
    for order in prof.context("2025-05-01")["orders"]:
        assert order["code"] in prof.medications
        assert order["display"] and order["authored"].startswith("20")
