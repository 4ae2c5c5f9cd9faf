"""PhysicianBench-v0: every curated task's reference solution scores 1.0 and every negative
control less; train instances are patient-disjoint from the test split, deterministic, and pass
the same test; the AUTHORING guide's example is the real template."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import medsim
from medsim.core.validate import validate_tasks
from medsim.environments.physicianbench import SUITE, make_env
from medsim.tasks.schema import Task

ROOT = Path(__file__).resolve().parents[2] / "environments" / "physicianbench"
TASK_TYPES = {
    "diagnosis_interpretation",
    "medication_prescribing",
    "treatment_planning",
    "workup_risk_stratification",
}
CATEGORIES = {"data_retrieval", "clinical_reasoning", "action_execution", "documentation"}


@pytest.fixture(scope="module")
def test_tasks() -> list[Task]:
    return SUITE.tasks()


def test_make_works_without_server_or_key() -> None:
    env = medsim.make("PhysicianBench-v0")
    obs, info = env.reset(seed=0)
    assert "E-consult" in obs and info["task_id"].startswith("pb-")
    names = {t["function"]["name"] for t in info["tools"]}
    assert {"write_file", "terminology_search", "fhir_observation_search_labs"} <= names
    env.close()


def test_every_curated_task_reference_and_controls(test_tasks: list[Task]) -> None:
    reports = validate_tasks(SUITE, test_tasks)
    for report in reports:
        assert report.ok, (report.task_id, report.problems)
        assert report.scores["reference"] == 1.0
        controls = {k: v for k, v in report.scores.items() if k != "reference"}
        assert len(controls) >= 2, report.task_id
        assert all(v < 1.0 for v in controls.values()), (report.task_id, controls)


def test_task_metadata_is_complete(test_tasks: list[Task]) -> None:
    for task in test_tasks:
        details = task.metadata.details
        assert task.workflow in TASK_TYPES and details["task_type"] == task.workflow
        assert 5 <= sum(1 for c in task.checkpoints if not c.gate) <= 9, task.id
        assert any(c.gate for c in task.checkpoints), task.id
        assert {c.category for c in task.checkpoints} <= CATEGORIES, task.id
        cited = {c["id"] for c in details["citations"]}
        for cid, refs in details["checkpoint_citations"].items():
            assert refs and set(refs) <= cited, (task.id, cid, refs)
        for spec in task.checkpoints:  # decisions and values cite their source
            if spec.category == "clinical_reasoning" or spec.grader == "dose_within_max":
                assert spec.id in details["checkpoint_citations"], (task.id, spec.id)
        for cit in details["citations"]:
            assert re.search(r"(19|20)\d\d", cit["source"]), cit  # a year in every source
        assert {"reviewer", "date", "checked", "changed"} <= set(details["review"])


def test_train_split_is_patient_disjoint_and_deterministic() -> None:
    train = SUITE.train_tasks(8)
    test_patients = SUITE.test_patients()
    assert test_patients == {t.patient for t in SUITE.tasks()}
    assert not {t.patient for t in train} & test_patients
    again = SUITE.train_tasks(8, 0)
    assert [t.model_dump() for t in train] == [t.model_dump() for t in again]
    other = SUITE.train_tasks(8, 1)
    assert [t.model_dump() for t in train] != [t.model_dump() for t in other]
    assert {t.split for t in train} == {"train"}


def test_train_split_env_same_seed_same_instance() -> None:
    env = make_env(split="train", train_count=3)
    first, _ = env.reset(seed=4)
    tid = env.task.id
    second, _ = env.reset(seed=4)
    assert first == second and env.task.id == tid and env.task.split == "train"
    env.close()
    with pytest.raises(ValueError, match="split"):
        make_env(split="dev")


def test_train_sample_reference_and_controls() -> None:
    """8 train instances per template, 224 in all (issue 13 asks for a sample of at least 200;
    MEDSIM_PB_TRAIN=30 runs the whole train split)."""
    per_template = int(os.environ.get("MEDSIM_PB_TRAIN", "8"))
    sample = SUITE.train_tasks(per_template, seed=0)
    assert len(sample) == per_template * len(SUITE.templates())
    reports = validate_tasks(SUITE, sample)
    for report in reports:
        assert report.ok, (report.task_id, report.problems)


def test_authoring_example_is_the_real_template() -> None:
    doc = (ROOT / "AUTHORING.md").read_text(encoding="utf-8")
    example = (ROOT / "templates" / "subclinical_hypothyroidism.yaml").read_text(encoding="utf-8")
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block == example


def test_reference_solutions_run_without_tool_errors(test_tasks: list[Task]) -> None:
    """A physician's chart review: no failed call, and a median of at least 20 tool calls."""
    env = medsim.make("PhysicianBench-v0")
    lengths = []
    for task in test_tasks:
        env.reset(options={"task_id": task.id})
        for action in task.reference_solution:
            *_, info = env.step(action)
            assert info["error"] is None, (task.id, action, info["error"])
        lengths.append(len(task.reference_solution))
    env.close()
    assert sorted(lengths)[len(lengths) // 2] >= 20, lengths


def test_random_agent_scores_near_zero(test_tasks: list[Task]) -> None:
    from medsim.agents.random_agent import RandomAgent
    from medsim.core.rollout import run_episode

    env = make_env(max_steps=12)
    agent = RandomAgent(env.action_space, seed=0)
    scores = [run_episode(env, agent, task_id=t.id, seed=0).score for t in test_tasks]
    env.close()
    assert sum(scores) / len(scores) < 0.1, scores
    assert max(scores) < 0.3, scores


def test_without_judge_rubric_is_flagged_ungraded(test_tasks: list[Task]) -> None:
    task = next(t for t in test_tasks if t.rubric)
    env = medsim.make("PhysicianBench-v0")
    env.reset(options={"task_id": task.id})
    for action in task.reference_solution:
        _, reward, *_, info = env.step(action)
    assert reward == 1.0
    assert info["reward_breakdown"]["rubric/ungraded"] == 0.0
    grade = env.unwrapped.record.grade
    assert grade["rubric"]["ungraded"] == [c.id for c in task.rubric]
    env.close()


def test_readme_counts_match_the_suite(test_tasks: list[Task]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- counts: (.*?) -->", text)
    assert found is not None
    counts = dict(item.split("=") for item in found.group(1).split())
    gates = sum(1 for t in test_tasks for c in t.checkpoints if c.gate)
    scored = sum(1 for t in test_tasks for c in t.checkpoints if not c.gate)
    assert counts == {
        "templates": str(len(SUITE.templates())),
        "tasks": str(len(test_tasks)),
        "checkpoints": str(scored),
        "gates": str(gates),
    }
    for tpl in SUITE.templates():
        assert f"`{tpl.template}`" in text, tpl.template


def test_cli_lists_and_demos_the_suite(capsys: pytest.CaptureFixture[str]) -> None:
    from medsim.cli.main import main

    assert main(["tasks", "list", "PhysicianBench-v0"]) == 0
    out = capsys.readouterr().out
    assert "pb-af-apixaban-01" in out and "medication_prescribing" in out
    assert "cardiology" in out and "retrieval" in out and "gates" in out
    assert main(["tasks", "list", "PhysicianBench-v0", "--split", "train"]) == 0
    out = capsys.readouterr().out
    assert "-train-0000" in out and "train" in out
    args = ["demo", "--env", "PhysicianBench-v0", "--task", "pb-subclinical-hypothyroid-01"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "write_file(" in out and "all reference solutions score 1.0" in out


def test_guideline_alternatives_are_accepted(test_tasks: list[Task]) -> None:
    """Alternate-day oral iron (Stoffel 2017; BSG 2021) scores like once-daily iron."""
    from medsim.core.rollout import ScriptedAgent, run_episode

    task = next(t for t in test_tasks if t.id == "pb-iron-deficiency-01")
    actions = []
    for action in task.reference_solution:
        assert isinstance(action, dict)
        if action["name"] == "fhir_medication_request_create":
            action = {
                **action,
                "arguments": {**action["arguments"], "frequency": "every other day"},
            }
        actions.append(action)
    env = make_env()
    result = run_episode(env, ScriptedAgent(actions, "alternate-day"), task_id=task.id, seed=0)
    env.close()
    assert result.score == 1.0, result.record.grade
