"""Wrong methods and tolerances (issue 21): the accepted range of a decimal answer excludes every
plausible wrong method's answer, each wrong method is kept as a control whose answer must fail,
and only real unit confusions are controls.

Wrong answers are recomputed here from the published formulas, not taken from the generator."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.calculators import get
from medsim.environments.medcalc.ehr_env import SUITE as EHR_SUITE
from medsim.environments.medcalc.grading import AnswerRule, rule_for
from medsim.environments.medcalc.notes_env import SUITE as V0_SUITE
from medsim.tasks.schema import Task


def answer_range(task: Task) -> tuple[float, float]:
    spec = next(c for c in task.checkpoints if c.id == "answer")
    low, high = spec.params["range"]
    return float(low), float(high)


def canonical(task: Task) -> dict[str, Any]:
    """The reference calculate call's inputs, normalised by the calculator (canonical units)."""
    from medsim.calculators import compute

    call = next(
        a for a in task.reference_solution if isinstance(a, dict) and a["name"] == "calculate"
    )
    return compute(call["arguments"]["name"], call["arguments"]["inputs"]).inputs


# ---- the rule -----------------------------------------------------------------------------------


def test_narrowed_keeps_half_the_distance_to_the_nearest_wrong_method() -> None:
    """Issue 21: serum osmolality 323.0 with BUN left out 313.3 sat inside +/-5 % (306.9-339.2)."""
    rule = rule_for(get("serum_osmolality"), 323.0)
    assert rule.is_correct(313.3)  # MedCalc-Bench's +/-5 % accepts the wrong method
    narrowed = rule.narrowed([313.3, 400.0])
    assert narrowed is not None and (narrowed.low, narrowed.high) == (318.15, 327.85)
    assert not narrowed.is_correct(313.3) and narrowed.is_correct(323.0)


def test_narrowed_albumin_corrected_gap() -> None:
    """Issue 21: the plain anion gap 22 for an albumin-corrected 22.25 passed."""
    narrowed = rule_for(get("albumin_corrected_anion_gap"), 22.25).narrowed([22.0])
    assert narrowed is not None and (narrowed.low, narrowed.high) == (22.125, 22.375)
    assert not narrowed.is_correct(22.0) and narrowed.is_correct(22.3)


def test_narrowed_never_widens_and_ignores_equal_answers() -> None:
    rule = rule_for(get("serum_osmolality"), 300.0)
    same = rule.narrowed([300.0, 500.0])  # a method that gives the truth is no mistake here
    assert same is not None and (same.low, same.high) == (rule.low, rule.high)  # +/-5 % cap


def test_narrowed_refuses_a_case_that_cannot_tell_methods_apart() -> None:
    rule = rule_for(get("serum_osmolality"), 300.0)
    assert rule.narrowed([300.5]) is None  # 0.25 half-distance < 0.5 % of 300


def test_integer_rules_are_unchanged() -> None:
    rule = rule_for(get("cha2ds2_vasc"), 4)
    assert rule.narrowed([4, 3]) == rule
    assert AnswerRule(30, "range", 5.0, 5.0, 5.0).narrowed([5.1]) is not None  # exact rule


# ---- the shipped tasks --------------------------------------------------------------------------


@pytest.mark.parametrize("suite", [V0_SUITE, EHR_SUITE], ids=["v0", "ehr"])
def test_osmolality_tasks_reject_the_bun_omitted_answer(suite: Any) -> None:
    tasks = [t for t in suite.tasks() if "serum_osmolality" in t.id]
    assert tasks
    for task in tasks:
        x = canonical(task)
        wrong = 2 * x["sodium"] + x["glucose"] / 18  # BUN / 2.8 left out
        low, high = answer_range(task)
        assert not low <= wrong <= high, task.id
        names = [c.name for c in task.negative_controls]
        assert "wrong_method_bun_omitted" in names, task.id


def test_v0_osmolality_07_of_the_review() -> None:
    """Issue 21: MedCalc-v0 osmolality-07 accepted 323.5 for 339.6."""
    task = next(t for t in V0_SUITE.tasks() if t.id == "medcalc-serum_osmolality-07")
    low, high = answer_range(task)
    assert not low <= 323.5 <= high


def test_albumin_corrected_anion_gap_keeps_the_wrong_calculator_control() -> None:
    """Issue 21: the generator silently dropped the wrong-calculator control."""
    tasks = [t for t in EHR_SUITE.tasks() if "albumin_corrected_anion_gap" in t.id]
    assert len(tasks) == 4
    for task in tasks:
        control = task.negative_control("wrong_calculator")
        assert control.must_fail == ["answer"]
        x = canonical(task)
        plain = x["sodium"] - x["chloride"] - x["bicarbonate"]
        low, high = answer_range(task)
        assert not low <= plain <= high, task.id


@pytest.mark.parametrize("suite", [V0_SUITE, EHR_SUITE], ids=["v0", "ehr"])
def test_no_unit_control_that_no_laboratory_makes(suite: Any) -> None:
    """Issue 21: bicarbonate in mg/dL (no laboratory reports it so) was a wrong_unit control."""
    for task in suite.tasks():
        for control in task.negative_controls:
            if control.name != "wrong_unit":
                continue
            call = next(
                a for a in control.actions if isinstance(a, dict) and a["name"] == "calculate"
            )
            for name in ("bicarbonate", "sodium", "chloride", "serum_sodium"):
                given = call["arguments"]["inputs"].get(name)
                assert not (isinstance(given, dict) and given.get("unit") == "mg/dL"), task.id


@pytest.mark.parametrize("suite", [V0_SUITE, EHR_SUITE], ids=["v0", "ehr"])
def test_every_calculation_task_has_a_must_fail_control(suite: Any) -> None:
    for task in suite.tasks():
        assert any("answer" in c.must_fail for c in task.negative_controls), task.id


def test_decimal_ranges_are_never_wider_than_medcalc_bench() -> None:
    for task in [*V0_SUITE.tasks(), *EHR_SUITE.tasks()]:
        spec = next(c for c in task.checkpoints if c.id == "answer")
        if "range" not in spec.params:
            continue
        low, high = spec.params["range"]
        call = next(
            a for a in task.reference_solution if isinstance(a, dict) and a["name"] == "finish"
        )
        truth = float(call["arguments"]["answer"])
        assert high - low <= 0.1 * abs(truth) + 1e-6, task.id
        assert low <= truth <= high, task.id


def test_generated_train_instances_are_plausible_and_separated() -> None:
    """Issue 21: every generated instance, not only the shipped test split, passes the chart
    plausibility rules and rejects its wrong methods (here: another seed, weight/height/creatinine
    calculators)."""
    from medsim.data.overlay import resolve_overlay
    from medsim.environments.medcalc.generate.ehr import build
    from medsim.environments.medcalc.generate.plausible import history
    from medsim.tasks.plausibility import chart_problems

    ids = ["bmi", "creatinine_clearance_cockcroft_gault", "serum_osmolality"]
    for data in build(seed=7, per_calculator=3, ids=ids):
        task = Task.model_validate(data)
        resolved = list(resolve_overlay(task.overlay, task.patient, task.now))
        chart = history(task.patient) + resolved
        assert chart_problems(chart, {str(r["id"]) for r in resolved}) == [], task.id
        controls = [c for c in task.negative_controls if c.must_fail]
        assert controls and all("answer" in c.must_fail for c in controls), task.id
