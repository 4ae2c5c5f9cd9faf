"""Dosage calculators: corticosteroid conversion and morphine milligram equivalents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators import compute
from medsim.calculators.dosage.opioids import DRUGS
from medsim.calculators.dosage.steroids import EQUIVALENT_MG
from tests.calculators.equation_helpers import approx, rejects, value

SC = "steroid_conversion"
MME = "morphine_milligram_equivalents"


@pytest.mark.parametrize(
    ("src", "dose", "dst", "expected"),
    [("prednisone", 10, "methylprednisolone", 8.0), ("Prednisone PO", 10, "Dexamethasone IV", 1.5),
     ("hydrocortisone", 20, "prednisone", 5.0), ("cortisone PO", 25, "betamethasone", 0.75),
     ("MethylPrednisoLONE IV", 9.599, "MethylPrednisoLONE PO", 9.599)],
)  # fmt: skip
def test_steroid_equivalents(src: str, dose: float, dst: str, expected: float) -> None:
    assert value(SC, from_steroid=src, dose=dose, to_steroid=dst) == approx(expected)


def test_steroid_medcalc_entities_and_microgram_dose() -> None:
    row = {"input steroid": ["Dexamethasone PO", 7.96, "mg"], "target steroid": "PrednisoLONE PO"}
    assert compute(24, row).value == approx(53.067)
    assert value(
        SC, from_steroid="dexamethasone", dose=[750, "µg"], to_steroid="prednisone"
    ) == approx(5)


@given(st.sampled_from(sorted(EQUIVALENT_MG)), st.sampled_from(sorted(EQUIVALENT_MG)),
       st.floats(0.1, 500))  # fmt: skip
def test_steroid_conversion_round_trips(a: str, b: str, dose: float) -> None:
    there = value(SC, from_steroid=a, dose=dose, to_steroid=b)
    back = value(SC, from_steroid=b, dose=there, to_steroid=a)
    assert back == approx(dose, rel=2e-3, abs_=0.02)  # values are rounded to 0.001 mg


def _regimen(*items: tuple[str, object, float]) -> dict[str, object]:
    return {"opioids": [{"drug": d, "dose": dose, "doses_per_day": n} for d, dose, n in items]}


@pytest.mark.parametrize(
    ("items", "expected"),
    [((("hydrocodone", 5, 4),), 20.0),  # CDC 2022 table footnote examples
     ((("oxycodone", 10, 2),), 30.0),
     ((("fentanyl_patch", [25, "mcg/hr"], 1),), 60.0),
     ((("methadone", 10, 3), ("morphine", 15, 2)), 171.0),
     ((("tapentadol", 50, 1), ("tramadol", 50, 1), ("fentanyl_buccal", [20, "µg"], 2)), 35.2)],
)  # fmt: skip
def test_mme_cdc(items: tuple[tuple[str, object, float], ...], expected: float) -> None:
    assert compute(MME, _regimen(*items)).value == approx(expected)


def test_mme_medcalc_entities_read_patch_strength_as_microgram_per_hour() -> None:
    row = {"FentANYL patch Dose": [60, "mg"], "FentANYL patch Dose Per Day": [1, "per day"],
           "HYDROmorphone Dose": [20, "mg"], "HYDROmorphone Dose Per Day": [3, "per day"],
           "FentaNYL buccal Dose": [30, "µg"], "FentaNYL buccal Dose Per Day": [2, "per day"]}  # fmt: skip
    assert compute(49, row).value == approx(451.8)


@given(st.sampled_from(sorted(DRUGS)), st.floats(1, 500), st.floats(1, 500), st.integers(1, 6))
def test_mme_additive_and_monotone(drug: str, d1: float, d2: float, n: int) -> None:
    one = float(compute(MME, _regimen((drug, d1, n))).value)
    two = float(compute(MME, _regimen((drug, d2, n))).value)
    both = compute(MME, _regimen((drug, d1, n), (drug, d2, n))).value
    assert both == approx(one + two, rel=1e-3, abs_=2e-3)
    assert (one <= two) == (d1 <= d2) or one == approx(two)


@pytest.mark.parametrize(
    ("calc", "field", "inputs"),
    [
        (SC, "from_steroid", {"from_steroid": "cortisol-x", "dose": 10, "to_steroid": "prednisone"}),
        (SC, "dose", {"from_steroid": "prednisone", "dose": -5, "to_steroid": "prednisone"}),
        (SC, "dose", {"from_steroid": "prednisone", "dose": [5, "mL"], "to_steroid": "prednisone"}),
        (SC, "to_steroid", {"from_steroid": "prednisone", "dose": 5}),
        (MME, "opioids", {"opioids": []}),
        (MME, "drug", _regimen(("heroin", 10, 1))),
        (MME, "dose", _regimen(("morphine", [10, "µg/h"], 1))),
        (MME, "doses_per_day", {"opioids": [{"drug": "morphine", "dose": 10}]}),
        (MME, "Aspirin Dose", {"Aspirin Dose": [81, "mg"], "Morphine Dose": [10, "mg"]}),
    ],
)  # fmt: skip
def test_bad_inputs_name_the_field(calc: str, field: str, inputs: dict[str, object]) -> None:
    rejects(calc, field, inputs)
