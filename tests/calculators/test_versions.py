"""Issue 21: labels and docs say which version of each rule is implemented and whether a newer
one replaced it (MELD-Na vs MELD 3.0, MDRD vs the 2021 NKF-ASN recommendation)."""

from __future__ import annotations

from pathlib import Path

from medsim.calculators import compute, get
from medsim.calculators.base import registry
from medsim.environments.medcalc.notes_env import SUITE as V0_SUITE

DOCS = Path(__file__).parents[2] / "docs"


def test_every_calculator_states_its_version() -> None:
    for calc in registry().values():
        assert calc.version.startswith("Version: "), calc.id
        assert "Newer or replacing rules: " in calc.version, calc.id
        assert calc.description.endswith(calc.version), calc.id
        assert calc.info()["version"] == calc.version


def test_meld_na_is_not_labelled_the_current_optn_rule() -> None:
    calc = get("meld_na")
    assert "UNOS/OPTN" not in calc.name and "MELD 3.0" in calc.name
    assert "July 2023" in calc.version and "MELD 3.0" in calc.description
    assert get("MELD Na (UNOS/OPTN)") is calc  # MedCalc-Bench's name still finds it
    for task in V0_SUITE.tasks():
        if task.id.startswith("medcalc-meld_na-"):
            assert "MELD 3.0" in task.instruction, task.id


def test_mdrd_race_note() -> None:
    calc = get("mdrd_gfr")
    assert "NKF-ASN" in calc.description and "CKD-EPI 2021" in calc.version
    mdrd = [t for t in V0_SUITE.tasks() if t.id.startswith("medcalc-mdrd_gfr-")]
    assert mdrd and all("NKF-ASN" in t.instruction for t in mdrd)
    races = {
        t.reference_solution[0]["arguments"]["inputs"].get("race")  # type: ignore[index]
        for t in mdrd
    }
    assert "non-black" in races  # "non-black" is stated, and read as not Black


def test_mdrd_reads_non_black_as_not_black() -> None:
    """docs/medcalc.md once said the calculator reads "non-black" as Black."""
    base = {"age": 60, "sex": "male", "creatinine": 1.2}
    plain = compute("mdrd_gfr", base).value
    # 175 x 1.2^-1.154 x 60^-0.203, by hand
    assert abs(plain - 175 * 1.2**-1.154 * 60**-0.203) < 0.01
    assert compute("mdrd_gfr", {**base, "race": "non-black"}).value == plain
    assert abs(compute("mdrd_gfr", {**base, "race": "black"}).value - plain * 1.212) < 0.01
    text = (DOCS / "medcalc.md").read_text()
    assert 'reads `"non-black"` as' not in text and "NKF-ASN" in text
