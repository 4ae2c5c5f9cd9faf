"""The MedCalc task generator: byte-identical regeneration, coverage, truths that follow from
the notes, controls, and the safe expression evaluator of the case specs."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import date
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.calculators import catalog, compute
from medsim.environments.medcalc.ehr_env import SUITE as EHR_SUITE
from medsim.environments.medcalc.generate import (
    EHR_FILE,
    V0_FILE,
    dumps,
    ehr,
    pack,
    stored_content,
    v0,
)
from medsim.environments.medcalc.generate.__main__ import TASKS_DIR, main
from medsim.environments.medcalc.generate.sampling import Redraw, SpecError, draw_case, evaluate
from medsim.environments.medcalc.notes_env import SUITE as V0_SUITE


def test_v0_regenerates_byte_identically() -> None:
    assert dumps(v0.build(seed=0, per_calculator=10)) == stored_content(TASKS_DIR / V0_FILE)


def test_ehr_regenerates_byte_identically() -> None:
    assert dumps(ehr.build(seed=0, per_calculator=4)) == stored_content(TASKS_DIR / EHR_FILE)


def test_gzip_framing_is_deterministic_and_check_command(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    content = dumps(v0.build(seed=1, per_calculator=1, ids=["bmi"]))
    assert pack(content) == pack(content)
    assert (
        main(["--env", "v0", "--per-calculator", "1", "--seed", "1", "--out", str(tmp_path)]) == 0
    )
    assert (
        main(
            [
                "--env",
                "v0",
                "--per-calculator",
                "1",
                "--seed",
                "1",
                "--out",
                str(tmp_path),
                "--check",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "--env",
                "v0",
                "--per-calculator",
                "1",
                "--seed",
                "2",
                "--out",
                str(tmp_path),
                "--check",
            ]
        )
        == 1
    )
    assert "DIFFERS" in capsys.readouterr().out


def test_v0_covers_every_calculator_at_least_ten_times() -> None:
    per_calc = Counter(t.id.rsplit("-", 1)[0].removeprefix("medcalc-") for t in V0_SUITE.tasks())
    assert set(per_calc) == {c["id"] for c in catalog()}
    assert min(per_calc.values()) >= 10


def test_ehr_covers_at_least_15_calculators_4_times() -> None:
    per_calc = Counter(
        t.id.rsplit("-", 1)[0].removeprefix("medcalc-ehr-") for t in EHR_SUITE.tasks()
    )
    assert len(per_calc) >= 15 and min(per_calc.values()) >= 4


def test_v0_truths_follow_from_the_reference_inputs() -> None:
    """The reference's calculate inputs are the note's values; recomputing them gives the
    answer the reference reports, which the answer checkpoint accepts."""
    for task in V0_SUITE.tasks():
        calc, fin = task.reference_solution
        assert isinstance(calc, dict) and isinstance(fin, dict)
        args = calc["arguments"]
        value = compute(args["name"], args["inputs"]).value
        assert fin["arguments"]["answer"] == value, task.id


def test_v0_notes_state_the_inputs_and_use_other_units() -> None:
    tasks = V0_SUITE.tasks()
    converted = [t for t in tasks if "unit-conversion" in t.metadata.tags]
    assert len(converted) >= 100
    for task in converted[:50]:
        inputs = task.reference_solution[0]["arguments"]["inputs"]  # type: ignore[index]
        for value in inputs.values():
            if isinstance(value, dict) and "unit" in value:
                number = value["value"]
                text = f"{number:,}" if isinstance(number, int) and number >= 10000 else str(number)
                assert text in task.instruction, (task.id, value)


def test_v0_is_not_built_from_the_medcalc_bench_notes() -> None:
    text = resources.files("medsim.data.medcalc").joinpath("test_data_v1.0.csv").read_text()
    notes = [r["Patient Note"][:60] for r in csv.DictReader(io.StringIO(text))]
    instructions = "\n".join(t.instruction for t in V0_SUITE.tasks())
    assert not any(n in instructions for n in notes if len(n) == 60)


def test_controls_exist_and_cover_the_mistakes() -> None:
    names = Counter(c.name for t in V0_SUITE.tasks() for c in t.negative_controls)
    assert names["wrong_answer"] == 550
    # only real unit confusions (issue 21): fewer than the 250 that included bicarbonate in mg/dL
    assert names["wrong_unit"] >= 140 and names["missed_input"] >= 450
    assert sum(n for k, n in names.items() if k.startswith("wrong_method_")) >= 350
    ehr_names = Counter(c.name for t in EHR_SUITE.tasks() for c in t.negative_controls)
    assert ehr_names["no_lookup"] == ehr_names["wrong_answer"] == len(EHR_SUITE.tasks())
    assert ehr_names["wrong_unit"] >= 25 and ehr_names["missed_input"] >= 70
    assert ehr_names["wrong_calculator"] == 32  # every task of a calculator with alternatives


def test_ehr_instruction_names_only_patient_and_question() -> None:
    for task in EHR_SUITE.tasks():
        assert task.instruction.startswith(f"Patient {task.patient}.")
        assert task.patient.startswith("pat-") and task.overlay
        for res in task.overlay:
            quantity = res.get("valueQuantity")
            if quantity and len(str(quantity["value"])) >= 4:
                assert str(quantity["value"]) not in task.instruction, task.id


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(1, 50))
def test_evaluate_arithmetic_and_comparisons(a: int, b: int, c: int) -> None:
    env = {"a": a, "b": b, "c": c}
    assert evaluate("a + b * 2 - c", env) == a + b * 2 - c
    assert evaluate("a / c", env) == a / c
    assert evaluate("a < b and not c == 0", env) == (a < b and c != 0)
    assert evaluate("-a >= b or a != b", env) == (-a >= b or a != b)


@pytest.mark.parametrize("expr", ["__import__('os')", "a.real", "[a]", "a[0]", "lambda: 1", "a +"])
def test_evaluate_refuses_anything_else(expr: str) -> None:
    with pytest.raises(SpecError):
        evaluate(expr, {"a": 1, "b": 2, "c": 3})


def test_draw_case_constraints_and_modifiers() -> None:
    spec = {
        "sodium": {"int": [130, 140]},
        "_ag": {"int": [8, 12]},
        "bicarbonate": {"const": 24},
        "chloride": {"expr": "sodium - bicarbonate - _ag", "dp": 0, "min": 90},
        "weight": {"float": [60, 80], "dp": 1, "alt": {"lb": 1.0}},
        "cycle": {"int": [25, 30], "omit": 1.0},
        "pill": {"bool": 1.0, "only_if": {"sex": "female"}},
        "lmp": {"days_before_now": [10, 10]},
    }
    d = draw_case(spec, random.Random("x"), date(2024, 3, 20))
    assert d.values["chloride"] == d.values["sodium"] - 24 - d.values["_ag"]
    assert d.units == {"weight": "lb"} and "cycle" in d.omitted
    assert d.values["pill"] is False and d.values["lmp"] == "03/10/2024"
    assert set(d.inputs()) == {"sodium", "bicarbonate", "chloride", "weight", "pill", "lmp"}
    with pytest.raises(Redraw):
        draw_case({"x": {"int": [1, 1], "max": 0}}, random.Random(0), date(2024, 1, 1))
    with pytest.raises(Redraw):
        draw_case({"x": {"int": [1, 1]}}, random.Random(0), date(2024, 1, 1), ["x > 1"])
