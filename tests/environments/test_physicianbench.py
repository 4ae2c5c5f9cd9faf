"""PhysicianBench-v0: every curated task's reference solution scores 1.0 and every negative
control less; train instances are patient-disjoint from the test split, deterministic, and pass
the same test; the AUTHORING guide's example is the real template."""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from pathlib import Path

import pytest

import medsim
from medsim.core.validate import validate_tasks
from medsim.environments.physicianbench import SUITE, make_env
from medsim.tasks.packed import load_packed
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


@pytest.fixture(scope="module")
def shipped_train() -> list[Task]:
    return SUITE.train_tasks()


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
    train = SUITE.train_tasks(2)
    test_patients = SUITE.test_patients()
    assert test_patients == {t.patient for t in SUITE.tasks()}
    assert not {t.patient for t in train} & test_patients
    again = SUITE.train_tasks(2, 0)
    assert [t.model_dump() for t in train] == [t.model_dump() for t in again]
    other = SUITE.train_tasks(2, 1)
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


def test_patient_rule_two_curated_instances_at_most_and_train_never_on_them(
    shipped_train: list[Task],
) -> None:
    """A cohort patient hosts at most 2 curated test instances across all templates; no train
    instance (shipped or generated) ever uses a patient who hosts one."""
    hosts = Counter(inst.patient for tpl in SUITE.templates() for inst in tpl.instances)
    assert max(hosts.values()) <= 2, [p for p, n in hosts.items() if n > 2]
    test_patients = set(hosts)
    assert not {t.patient for t in shipped_train} & test_patients
    assert not {t.patient for t in SUITE.generate("train", 60, seed=3)} & test_patients


def test_shipped_train_set_is_large_distinct_current_and_patient_disjoint(
    shipped_train: list[Task],
) -> None:
    """>= 1,000 distinct instances (template, patient, now, parameters) over every template,
    written from the current template files (else: medsim tasks generate ... --ship)."""
    assert SUITE.train_file is not None and SUITE.train_file.exists()
    keys = {
        (
            t.metadata.details["template"],
            t.patient,
            t.now.isoformat(),
            json.dumps(t.metadata.details["parameters"], sort_keys=True),
        )
        for t in shipped_train
    }
    assert len(shipped_train) >= 1000 and len(keys) == len(shipped_train)
    assert {t.split for t in shipped_train} == {"train"}
    loaded = load_packed(str(SUITE.train_file))
    current = {tpl.template: tpl.digest for tpl in SUITE.templates()}
    stored = {
        (t.metadata.details["template"], t.metadata.details["template_digest"]) for t in loaded
    }
    assert stored == set(current.items()), (
        "the shipped train set is stale: medsim tasks generate PhysicianBench-v0 --split train --ship"
    )
    per_template = Counter(t.metadata.details["template"] for t in shipped_train)
    assert min(per_template.values()) >= 1000 // len(current)


def test_shipped_train_sample_reference_and_controls(shipped_train: list[Task]) -> None:
    """A sample of the shipped train set (1 instance per template by default; MEDSIM_PB_TRAIN=N
    takes N per template, MEDSIM_PB_TRAIN=all the whole set): reference 1.0, controls < 1."""
    wanted = os.environ.get("MEDSIM_PB_TRAIN", "1")
    by_template: dict[str, list[Task]] = {}
    for task in shipped_train:
        by_template.setdefault(task.metadata.details["template"], []).append(task)
    rng = random.Random(0)
    sample = [
        t
        for tasks in by_template.values()
        for t in (tasks if wanted == "all" else rng.sample(tasks, min(int(wanted), len(tasks))))
    ]
    assert len(sample) >= len(SUITE.templates())
    for report in validate_tasks(SUITE, sample):
        assert report.ok, (report.task_id, report.problems)
        assert report.scores["reference"] == 1.0


def test_train_env_loads_the_shipped_set(shipped_train: list[Task]) -> None:
    env = make_env(split="train")
    assert [t.id for t in env.unwrapped.tasks] == [t.id for t in shipped_train]
    env.reset(seed=1)
    assert env.task.split == "train" and env.task.patient not in SUITE.test_patients()
    env.close()


def _mix(tasks: list[Task]) -> dict[str, Counter[str]]:
    return {
        "specialty": Counter(t.specialty for t in tasks),
        "task_type": Counter(t.workflow for t in tasks),
        "difficulty": Counter(t.metadata.difficulty for t in tasks),
        "template": Counter(t.metadata.details["template"] for t in tasks),
    }


def test_regenerated_sets_keep_the_test_mix(test_tasks: list[Task]) -> None:
    """Contamination resistance: two seeds give two fresh sets with the test split's
    specialty, task type and difficulty mix, on non-test patients (unless tagged)."""
    want = _mix(test_tasks)
    test_patients = SUITE.test_patients()
    sets = [SUITE.generate("test", seed=s) for s in (1, 2)]
    for regen in sets:
        assert _mix(regen) == want
        assert not {t.id for t in regen} & {t.id for t in test_tasks}
        for t in regen:
            assert t.split == "test" and "regenerated" in t.metadata.tags
            if t.patient in test_patients:
                assert "reused-test-patient" in t.metadata.tags, t.id
    first = {(t.patient, t.now, json.dumps(t.metadata.details["parameters"])) for t in sets[0]}
    second = {(t.patient, t.now, json.dumps(t.metadata.details["parameters"])) for t in sets[1]}
    assert not first & second
    sample = random.Random(0).sample(sets[0], 6)
    for report in validate_tasks(SUITE, sample):
        assert report.ok, (report.task_id, report.problems)
    env = make_env(split="regenerated", variant_seed=2)
    env.reset(seed=0)
    assert "regenerated" in env.task.metadata.tags
    env.close()


def test_difficulty_follows_the_rule(test_tasks: list[Task]) -> None:
    """hard <=> >= 40 reference tool calls on every curated instance, >= 1 conflict and >= 1
    trap; every task carries its template's label; a declared label agrees with the rule."""
    rated = SUITE.difficulty()
    by_template: dict[str, list[Task]] = {}
    for task in test_tasks:
        by_template.setdefault(task.metadata.details["template"], []).append(task)
    for tpl in SUITE.templates():
        tasks = by_template[tpl.template]
        label = rated[tpl.template].label()
        hard = (
            min(len(t.reference_solution) for t in tasks) >= 40
            and len(tpl.hardness.conflicts) >= 1
            and len(tpl.hardness.traps) >= 1
        )
        assert (label == "hard") == hard, tpl.template
        assert {t.metadata.difficulty for t in tasks} == {label}, tpl.template
        if tpl.difficulty is not None:
            assert tpl.difficulty == label, (
                f"{tpl.path}: declares difficulty {tpl.difficulty} but the rule gives {label} "
                f"({rated[tpl.template].as_dict()}); remove the line or fix the template"
            )


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
    """A random agent earns almost nothing: on each task at most what doing nothing earns (the
    abstention checkpoints, "no biopsy ordered", bounded at 0.25) plus a lucky chart read or two."""
    from medsim.agents.random_agent import RandomAgent
    from medsim.core.rollout import run_episode

    env = make_env(max_steps=12)
    idle: dict[str, float] = {}
    for t in test_tasks:
        env.reset(options={"task_id": t.id})
        *_, info = env.step({"name": "finish", "arguments": {"answer": "done"}})
        idle[t.id] = float(info["reward_breakdown"]["score"])
    agent = RandomAgent(env.action_space, seed=0)
    scores = {t.id: run_episode(env, agent, task_id=t.id, seed=0).score for t in test_tasks}
    env.close()
    assert max(idle.values()) <= 0.25, idle
    assert sum(scores.values()) / len(scores) < 0.1, scores
    lucky = {k: v for k, v in scores.items() if v > idle[k] + 0.25}
    assert not lucky, lucky


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
    # the by-specialty / task-type / difficulty / category block is the generated one
    # (python -m medsim.environments.physicianbench.counts --write)
    from medsim.environments.physicianbench.counts import counts_block, readme_block

    assert readme_block(text) == counts_block()
    difficulty = Counter(t.metadata.difficulty for t in test_tasks)
    for level in ("easy", "medium", "hard"):
        assert f"| {level} | {difficulty[level]} |" in text


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


def test_stale_train_file_regenerates_the_missing_template(
    tmp_path: Path, shipped_train: list[Task]
) -> None:
    """A template the shipped file lacks (new, or changed since) is generated at load, with a
    warning naming it; the other templates come from the file unchanged."""
    from dataclasses import replace

    from medsim.tasks.packed import task_records, write

    target = "subclinical-hypothyroidism"
    kept = [t for t in shipped_train if t.metadata.details["template"] != target]
    path = tmp_path / "train.ndjson.xz"
    write(path, task_records(kept))
    suite = replace(SUITE, train_file=path)
    with pytest.warns(UserWarning, match=target):
        loaded = suite.train_tasks(validate=False)
    regenerated = [t for t in loaded if t.metadata.details["template"] == target]
    tpl = next(t for t in SUITE.templates() if t.template == target)
    assert len(regenerated) == tpl.train.count
    assert not {t.patient for t in regenerated} & SUITE.test_patients()
    assert [t.id for t in loaded if t.metadata.details["template"] != target] == [
        t.id for t in kept
    ]
