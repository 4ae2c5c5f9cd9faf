"""Dialogue-v0 / Dialogue-Partial-v0 end to end: every case's reference scores 1.0 and its
controls less, plain text reaches the patient, the LLM patient's usage lands in info, a
simulator failure is an infrastructure error, the information-gain reward sums to the score,
train instances are deterministic and patient-disjoint, bad case files fail clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.core.validate import validate_tasks
from medsim.environments.dialogue import PARTIAL_SUITE, SUITE, make_env, make_partial_env
from medsim.environments.dialogue.case import CaseError, load_case
from medsim.environments.dialogue.info_gain import InfoGain, fact_values, shapley
from medsim.environments.dialogue.tasks import interview
from medsim.llm import FakeClient, LLMError, RetryPolicy
from medsim.patients import NOT_SURE

STEMI = "dlg-cardio-stemi-e1"
CASE_FILE = Path(SUITE.case(STEMI).path)


@pytest.mark.parametrize(
    "suite", [SUITE, PARTIAL_SUITE], ids=["Dialogue-v0", "Dialogue-Partial-v0"]
)
def test_every_case_reference_scores_one_and_controls_less(suite: Any) -> None:
    reports = validate_tasks(suite)
    assert len(reports) == len(suite.cases()) >= 10
    bad = {r.task_id: r.problems for r in reports if r.problems}
    assert bad == {}
    for r in reports:
        assert r.scores["reference"] == 1.0
        assert r.scores["guess_without_asking"] < 1.0
        assert r.scores["wrong_diagnosis"] < 1.0
        if "dangerous_plan" in r.scores:
            assert r.scores["dangerous_plan"] == 0.0


def test_specialties_and_diagnosis_tags() -> None:
    cases = SUITE.cases()
    assert len({c.specialty for c in cases}) >= 4
    for task in SUITE.tasks():
        case = SUITE.case(task.metadata.details["case_id"])
        assert f"diagnosis:{case.diagnosis.name}" in task.metadata.tags
        assert case.diagnosis.name not in task.instruction  # never shown to the agent


def test_plain_text_goes_to_the_patient_and_nothing_is_volunteered() -> None:
    env = make_env()
    obs, info = env.reset(options={"task_id": STEMI})
    assert "Plain text is said to the patient" in obs and info["patient"]["kind"] == "scripted"
    obs, reward, term, trunc, info = env.step("Do you smoke?")
    assert "pack a day" in obs and not term and reward == 0.0
    assert "arm" not in obs and "jaw" not in obs
    assert info["messages"][0] == {"role": "assistant", "content": "Do you smoke?"}
    obs, *_ = env.step("What is your favourite film?")
    assert NOT_SURE in obs
    obs, *_ = env.step({"name": "request_test", "arguments": {"name": "ECG"}})
    assert "ST elevation 3 mm" in obs
    obs, *_ = env.step({"name": "request_test", "arguments": {"name": "serum lipase"}})
    assert "not available" in obs
    obs, *_ = env.step({"name": "request_test", "arguments": {"name": "hemoglobin A1c"}})
    assert '"source": "chart"' in obs and "7.3" in obs  # from the patient's FHIR record
    obs, *_ = env.step({"name": "request_exam", "arguments": {"system": "heart"}})
    assert "no murmur" in obs
    obs, *_ = env.step({"name": "request_exam", "arguments": {"system": "skin"}})
    assert "not available" in obs
    env.close()


def test_same_seed_same_conversation() -> None:
    def run(seed: int) -> list[str]:
        env = make_env()
        env.reset(seed=seed, options={"task_id": STEMI})
        out = [env.step(q)[0] for q in ("When did it start?", "Any sweating?", "Hello?")]
        env.close()
        return out

    assert run(3) == run(3)


def test_replay_patient_reproduces_a_recorded_episode(tmp_path: Path) -> None:
    from medsim.patients import PatientRecorder, ScriptedPatient

    recorders: list[PatientRecorder] = []

    def recording(pcase: Any, task: Any) -> PatientRecorder:
        recorders.append(PatientRecorder(ScriptedPatient(pcase, seed=5)))
        return recorders[-1]

    questions = ["When did it start?", "Do you smoke?", "Anything else?"]
    env = make_env(patient=recording)
    env.reset(options={"task_id": STEMI})
    original = [env.step(q)[0] for q in questions]
    env.close()
    recorders[-1].save(tmp_path / f"{STEMI}.json")
    env = make_env(patient="replay", replay=tmp_path)
    env.reset(options={"task_id": STEMI})
    assert [env.step(q)[0] for q in questions] == original
    *_, info = env.step("A question never recorded")
    assert info["error"]["type"] == "simulator_error"
    env.close()


def test_check_env_with_information_gain() -> None:
    from gymnasium.utils.env_checker import check_env

    env = make_partial_env(info_gain=0.3, reward="dense")
    check_env(env, skip_render_check=True)
    env.close()


def llm_env(script: Any, **kw: Any) -> Any:
    client = FakeClient(script, retry=RetryPolicy(max_tries=1, base_delay=0))
    return make_env(patient="llm", patient_client=client, **kw), client


def test_llm_patient_usage_and_redactions_in_info() -> None:
    env, client = llm_env(["It started an hour ago.", "I read it is an inferior STEMI."])
    env.reset(options={"task_id": STEMI})
    _, _, _, _, info = env.step("When did it start?")
    assert info["usage"]["prompt_tokens"] > 0 and info["usage"]["completion_tokens"] > 0
    obs, _, _, _, info = env.step("What do you think it is?")
    assert "STEMI" not in obs and "[redacted]" in obs
    assert info["patient"]["redactions"] == 1 and info["patient"]["kind"] == "llm"
    assert "Inferior ST-elevation" not in client.calls[0]["messages"][0]["content"]
    env.close()


def test_simulator_failure_is_an_infrastructure_error() -> None:
    env, _ = llm_env([LLMError("down")])
    env.reset(options={"task_id": STEMI})
    obs, reward, term, trunc, info = env.step("When did it start?")
    assert info["error"]["type"] == "simulator_error" and (term, trunc, reward) == (
        False,
        True,
        0.0,
    )
    assert env.unwrapped.record.grade is None  # not graded: not the agent's failure
    assert info["transcript"] is not None
    env.close()


def test_eval_runner_marks_simulator_errors_as_infra(tmp_path: Path) -> None:
    import asyncio

    from medsim.eval.runner import INFRA_ERROR_TYPES, EvalSpec, _episode

    env, _ = llm_env([LLMError("down")])
    agent = ScriptedAgent(["When did it start?"])
    spec = EvalSpec(env_id="Dialogue-v0", agent="reference", out=tmp_path)
    row = asyncio.run(_episode(env, agent, STEMI, 0, spec))
    assert "simulator_error" in INFRA_ERROR_TYPES
    assert row.status == "infra_error" and "simulator_error" in (row.error or "")
    env.close()


def test_moderator_decides_only_what_the_rules_cannot() -> None:
    moderator = FakeClient(["Yes."])
    env = make_env(moderator=moderator)
    task = SUITE.tasks()[0]
    steps = interview(SUITE.case(STEMI))
    plan = "primary PCI; aspirin"
    submit = {
        "name": "submit_diagnosis",
        "arguments": {"diagnosis": "Heart attack of the inferior wall", "plan": plan},
    }
    result = run_episode(env, ScriptedAgent([*steps, submit]), task_id=STEMI, seed=0)
    assert result.record.grade["checkpoints"]["diagnosis"]["status"] == "passed"
    assert len(moderator.calls) == 1 and result.score == 1.0
    right = {"name": "submit_diagnosis", "arguments": {"diagnosis": "Inferior STEMI", "plan": plan}}
    run_episode(env, ScriptedAgent([*steps, right]), task_id=STEMI, seed=0)
    assert len(moderator.calls) == 1  # the rules matched: no call
    env.close()
    assert task.id
    failing = make_env(moderator=FakeClient([LLMError("down")], retry=RetryPolicy(max_tries=1)))
    result = run_episode(failing, ScriptedAgent([submit]), task_id=STEMI, seed=0)
    assert result.last_info["error"]["type"] == "simulator_error" and result.truncated
    assert result.record.grade is None
    failing.close()


@pytest.mark.parametrize("reward", ["sparse", "dense"])
def test_information_gain_rewards_sum_to_the_score(reward: str) -> None:
    env = make_partial_env(info_gain=0.5, reward=reward)
    task = next(t for t in env.unwrapped.tasks if t.id == STEMI)
    result = run_episode(env, ScriptedAgent(task.reference_solution), task_id=STEMI, seed=0)
    assert result.score == 1.0
    assert sum(result.rewards) == pytest.approx(1.0)
    assert max(result.rewards[:-1]) > 0  # informative questions were paid as they were asked
    # decisive sets {radiation, prior_angina}, {radiation, dyspnea}: Shapley 2/3, 1/6, 1/6; the
    # reference asks radiation and dyspnea (not prior_angina): 0.5 * (2/3 + 1/6)
    assert result.last_info["patient"]["info_gain_paid"] == pytest.approx(0.5 * 5 / 6)
    guess = run_episode(
        env, ScriptedAgent(task.negative_controls[0].actions), task_id=STEMI, seed=0
    )
    assert (
        sum(guess.rewards) == pytest.approx(guess.score)
        and guess.last_info["patient"]["info_gain_paid"] == 0
    )
    env.close()


def test_re_asking_earns_nothing_and_initial_facts_are_known() -> None:
    gain = InfoGain({"a": 0.5, "b": 0.5, "c": 0.0}, beta=0.2, known=["b"])
    assert gain.reveal(["a"]) == pytest.approx(0.1)
    assert gain.reveal(["a", "b"]) == 0.0
    assert gain.reveal(["c"]) == 0.0 and gain.paid == pytest.approx(0.1)


def test_shapley_values_of_a_small_decisive_game() -> None:
    # v(S) = 1 if S contains {a, b} or {a, c}: a is in every winning set
    phi = shapley(["a", "b", "c"], [frozenset("ab"), frozenset("ac")])
    assert phi == pytest.approx({"a": 2 / 3, "b": 1 / 6, "c": 1 / 6})
    values = fact_values(["a", "b", "c", "d"], ["d"], [["a", "b"], ["a", "c"]])
    assert values["d"] == 0.0 and sum(values.values()) == pytest.approx(1.0)
    assert fact_values(["a", "b", "k"], ["k"]) == {"a": 0.0, "b": 0.0, "k": 1.0}
    assert fact_values(["a", "b"], [], mode="uniform") == {"a": 0.5, "b": 0.5}
    with pytest.raises(ValueError, match="mode"):
        fact_values(["a"], [], mode="gini")


def test_shapley_monte_carlo_beyond_the_exact_limit() -> None:
    players = [f"p{i}" for i in range(16)]
    phi = shapley(players, [frozenset(players[:2])])
    assert phi["p0"] == pytest.approx(0.5, abs=0.05) and phi["p5"] == 0.0


def test_abstain_ends_without_a_diagnosis_and_no_gate() -> None:
    env = make_partial_env()
    abstain = {"name": "abstain", "arguments": {"reason": "need more"}}
    result = run_episode(env, ScriptedAgent([abstain]), task_id=STEMI, seed=0)
    grade = result.record.grade
    assert result.terminated and grade["checkpoints"]["diagnosis"]["status"] == "failed"
    assert not grade["gated"] and result.score == 0.0
    asked = run_episode(
        env,
        ScriptedAgent([*interview(SUITE.case(STEMI), partial=True), abstain]),
        task_id=STEMI,
        seed=0,
    )
    # partial STEMI: 3 red flags + 4 must-ask (onset, character are initial) pass; diagnosis (4),
    # differential (1) and 2 plan items fail: 7 of 14
    assert not asked.record.grade["gated"] and asked.score == pytest.approx(7 / 14)
    env.close()


def test_partial_case_shows_the_initial_facts_only() -> None:
    task = next(t for t in PARTIAL_SUITE.tasks() if t.id == STEMI)
    case = SUITE.case(STEMI)
    for fact in case.facts:
        assert (fact.answer in task.instruction) is fact.initial
    assert (
        "abstain" in task.tools
        and "abstain" not in next(t for t in SUITE.tasks() if t.id == STEMI).tools
    )


def test_train_split_is_deterministic_and_patient_disjoint() -> None:
    a = SUITE.train_tasks(2, seed=0)
    assert [(t.id, t.patient) for t in a] == [
        (t.id, t.patient) for t in SUITE.train_tasks(2, seed=0)
    ]
    b = SUITE.train_tasks(2, seed=1)
    assert [t.patient for t in a] != [t.patient for t in b]
    assert not {t.patient for t in a + b} & SUITE.test_patients()
    assert all(t.split == "train" for t in a) and len(a) <= 2 * len(SUITE.cases())
    hosts: dict[str, set[str]] = {}
    for t in a:
        hosts.setdefault(t.id.rsplit("-train-", 1)[0], set()).add(t.patient)
    assert all(
        len(p) == len([t for t in a if t.id.startswith(c + "-train-")]) for c, p in hosts.items()
    )


def test_train_host_answers_history_from_its_own_chart() -> None:
    task = next(t for t in SUITE.train_tasks(3, seed=0) if t.id.startswith(STEMI))
    env = make_env(split="train", train_count=3)
    env.reset(options={"task_id": task.id})
    obs, *_ = env.step("What medications do you take?")
    assert "I take" in obs or "don't take" in obs
    assert "Pills for my blood pressure, my sugar and my mood" not in obs
    env.close()


def test_train_split_validates() -> None:
    tasks = SUITE.train_tasks(1, seed=5)
    bad = {r.task_id: r.problems for r in validate_tasks(SUITE, tasks) if r.problems}
    assert bad == {}


def crowd_out_radiation(data: dict[str, Any]) -> None:
    """Radiation last, asked only together with three earlier facts: the cap of 3 hides it."""
    rad = next(f for f in data["facts"] if f["id"] == "radiation")
    data["facts"].remove(rad)
    rad["intents"] = ["onset, character, severity and radiation"]
    data["facts"].append(rad)


def write(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(CASE_FILE.read_text())
    change(data)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(colour="red"), "colour: Extra inputs are not permitted"),
        (lambda d: d.update(must_ask=["nope", "onset", "smoking"]), "must_ask names unknown fact"),
        (
            lambda d: d["facts"][0].update(answer="The nurse said STEMI."),
            "facts.onset.answer mentions",
        ),
        (lambda d: d.update(facts=d["facts"][:5]), "at least 12 items"),
        (lambda d: d["diagnosis"].update(icd10=["I2119"]), "not ICD-10-CM codes"),
        (lambda d: d["diagnosis"].update(cites="nowhere"), "unknown citation"),
        (crowd_out_radiation, "facts.radiation: no intent"),
        (lambda d: d["facts"][0].update(system="liverish"), "unknown body system"),
        (lambda d: d.update(red_flags=[]), "red_flags"),
    ],
)
def test_bad_case_files_fail_clearly(tmp_path: Path, change: Any, message: str) -> None:
    path = write(tmp_path, change)
    with pytest.raises(CaseError, match="case.yaml") as err:
        load_case(path)
    assert message in str(err.value)


def test_unreadable_case_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("id: [unclosed")
    with pytest.raises(CaseError, match="cannot read case file"):
        load_case(tmp_path / "x.yaml")


def test_env_options_are_checked() -> None:
    with pytest.raises(ValueError, match="patient_client"):
        make_env(patient="llm")
    with pytest.raises(ValueError, match="patient must be"):
        make_env(patient="robot")
    with pytest.raises(ValueError, match="split"):
        make_env(split="dev")
    with pytest.raises(ValueError, match="mode"):
        make_partial_env(info_gain_mode="gini")
    assert medsim.make("Dialogue-Partial-v0").unwrapped.suite is PARTIAL_SUITE
