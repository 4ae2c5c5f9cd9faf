"""MedCalc-v0 and MedCalc-EHR-v0 through the real environment: every reference solution scores
1.0 and every negative control less (the whole suites: ~5 s), the options of ``make``, and the
EHR tasks' facts really being the latest in the chart."""

from __future__ import annotations

from typing import Any

import pytest

import medsim
from medsim.core.validate import validate_tasks
from medsim.environments.medcalc.benchv1 import bench_tasks
from medsim.environments.medcalc.ehr_env import SUITE as EHR_SUITE
from medsim.environments.medcalc.notes_env import SUITE as V0_SUITE
from medsim.registry import get_suite


def _check(reports: list[Any]) -> None:
    bad = [(r.task_id, r.problems) for r in reports if not r.ok]
    assert not bad, bad[:5]
    for r in reports:
        assert r.scores["reference"] == 1.0
        assert len(r.scores) >= 2 and all(v < 1.0 for k, v in r.scores.items() if k != "reference")


def test_medcalc_v0_all_tasks_validate() -> None:
    assert get_suite("medcalc") is V0_SUITE and get_suite("MedCalc-v0") is V0_SUITE
    reports = validate_tasks(V0_SUITE)
    assert len(reports) == 550
    _check(reports)
    units = [r for r in reports if "wrong_unit" in r.scores]
    assert units and all(r.scores["wrong_unit"] == 0.0 for r in units)


def test_medcalc_ehr_all_tasks_validate() -> None:
    assert get_suite("medcalc_ehr") is EHR_SUITE and get_suite("MedCalc-EHR-v0") is EHR_SUITE
    reports = validate_tasks(EHR_SUITE)
    assert len(reports) == 128  # 32 chartable calculators x 4 (docs/medcalc.md lists the rest)
    _check(reports)
    for r in reports:
        assert r.scores["no_lookup"] == 0.0 and r.scores["wrong_answer"] == pytest.approx(0.5)
        assert r.scores.get("missed_input", 0.0) < 0.5


def test_medcalc_bench_v1_rows_validate() -> None:
    tasks = bench_tasks()
    assert len(tasks) == 1047 and all("CC BY-SA 4.0" in t.metadata.source for t in tasks)
    _check(validate_tasks(V0_SUITE, tasks))


def test_make_options() -> None:
    env = medsim.make("MedCalc-v0", calculator_tools="per_calculator", tasks=V0_SUITE.tasks()[:3])
    _, info = env.reset(seed=0)
    names = [t["function"]["name"] for t in info["tools"]]
    assert "calculate" not in names and "calc_bmi" in names and len(names) == 57
    env.close()
    env = medsim.make("MedCalc-v0", calculator_tools="both", tasks=bench_tasks()[:2])
    _, info = env.reset(options={"task_id": "medcalc-bench-v1-0001"})
    assert "calculate" in [t["function"]["name"] for t in info["tools"]]
    env.close()
    with pytest.raises(ValueError, match="calculator_tools"):
        medsim.make("MedCalc-v0", calculator_tools="some")
    with pytest.raises(ValueError, match="dataset"):
        medsim.make("MedCalc-v0", dataset="v2")


def test_plain_text_is_the_answer_and_units_are_converted() -> None:
    env = medsim.make("MedCalc-v0")
    task_id = "medcalc-bmi-02"
    obs, _ = env.reset(options={"task_id": task_id})
    assert "Patient note:" in obs
    task = env.unwrapped.task  # type: ignore[attr-defined]
    truth = task.reference_solution[-1]["arguments"]["answer"]
    _, reward, terminated, _, info = env.step(f"{truth} kg/m2")
    assert terminated and reward == 1.0 and info["checkpoints"]["answer"]["status"] == "passed"
    env.reset(options={"task_id": task_id})
    _, reward, _, _, _ = env.step(str(round(truth * 1.1, 2)))
    assert reward == 0.0
    env.close()


@pytest.mark.parametrize(
    ("answer", "ok"),
    [("09/23/2014", True), ("9/23/2014", True), ("2014-09-23", True), ("09/24/2014", False)],
)
def test_date_answers_follow_medcalc_bench(answer: str, ok: bool) -> None:
    env = medsim.make("MedCalc-v0", dataset="medcalc-bench-v1")
    env.reset(options={"task_id": "medcalc-bench-v1-0928"})
    truth = env.unwrapped.task.reference_solution[0]["arguments"]["answer"]  # type: ignore[attr-defined]
    assert truth == "09/23/2014"  # the v1.0 label (disputed by medsim, see metadata.issues)
    _, reward, _, _, _ = env.step({"name": "finish", "arguments": {"answer": answer}})
    assert (reward == 1.0) is ok
    env.close()


def test_ehr_facts_are_the_latest_in_the_chart() -> None:
    """The values a task is about are what a "latest by code" search returns at its now."""
    env = medsim.make("MedCalc-EHR-v0")
    try:
        for task in EHR_SUITE.tasks():
            env.reset(options={"task_id": task.id})
            for spec in task.checkpoints:
                codes = spec.params.get("code", {}).get("codes", [])
                if spec.grader != "data_retrieved" or spec.params["resource_type"] != "Observation":
                    continue
                bundle = env.unwrapped.fhir.search(  # type: ignore[attr-defined]
                    "Observation",
                    {"patient": task.patient, "code": codes[0], "_sort": "-date", "_count": "1"},
                )
                latest = bundle["entry"][0]["resource"]
                assert latest["id"].startswith("ovl-"), (task.id, codes)
    finally:
        env.close()


def test_ehr_reference_calculation_matches_its_answer() -> None:
    env = medsim.make("MedCalc-EHR-v0")
    try:
        for task_id in (
            "medcalc-ehr-cha2ds2_vasc-01",
            "medcalc-ehr-creatinine_clearance_cockcroft_gault-01",
        ):
            env.reset(options={"task_id": task_id})
            task = env.unwrapped.task  # type: ignore[attr-defined]
            for action in task.reference_solution:
                _, reward, terminated, _, info = env.step(action)
            record = env.unwrapped.record  # type: ignore[attr-defined]
            calc = [c for c in record.tool_calls if c.name == "calculate"][0]
            assert calc.error is None and calc.result["value"] == record.answer
            assert terminated and reward == 1.0
            assert all(c["status"] == "passed" for c in info["checkpoints"].values())
    finally:
        env.close()
