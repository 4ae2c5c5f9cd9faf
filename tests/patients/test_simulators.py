"""Scripted, replay and LLM patients: determinism, never volunteering, the fixed fallback, the
leak guard on every reply, usage, and simulator failures as SimulatorError. The LLM patient runs
through the fake client and through the local OpenAI-compatible stub server (real openai code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsim.llm import FakeClient, LLMError, OpenAIClient, RetryPolicy
from medsim.llm.stub_server import StubServer
from medsim.patients import (
    NOT_SURE,
    REDACTED,
    LLMPatient,
    PatientCase,
    PatientRecorder,
    ReplayPatient,
    ScriptedPatient,
    SimulatorError,
)
from medsim.patients.llm import system_prompt
from medsim.patients.persona import bias_names

QUESTIONS = [
    "When did it start?",
    "Do you smoke?",
    "What is your favourite colour?",
    "Does the pain go to your arm?",
    "How is your breathing?",
]


def _answers(patient: ScriptedPatient) -> list[str]:
    return [patient.reply(q).text for q in QUESTIONS]


def test_scripted_patient_is_deterministic_under_a_seed(case: PatientCase) -> None:
    first = _answers(ScriptedPatient(case, seed=7))
    assert first == _answers(ScriptedPatient(case, seed=7))
    variants = {tuple(_answers(ScriptedPatient(case, seed=s))) for s in range(10)}
    assert len(variants) > 1  # seeds pick other fillers (anxious persona) ...
    for seed in range(10):  # ... never other facts
        answers = _answers(ScriptedPatient(case, seed=seed))
        assert "It started two hours ago." in answers[0] and "pack a day" in answers[1]


def test_scripted_patient_answers_only_what_is_asked(case: PatientCase) -> None:
    patient = ScriptedPatient(case, seed=0)
    reply = patient.reply("Do you smoke?")
    assert reply.fact_ids == ["smoking"]
    assert "arm" not in reply.text and "hours" not in reply.text and "breath" not in reply.text
    assert patient.reply("What is your favourite colour?").text == NOT_SURE
    assert patient.reply("What is your favourite colour?").fact_ids == []


def test_fallback_is_exact_even_for_an_anxious_patient(case: PatientCase) -> None:
    patient = ScriptedPatient(case, seed=3)
    assert [patient.reply("Tell me a joke").text for _ in range(4)] == [NOT_SURE] * 4


def test_leak_guard_redacts_a_careless_fact(case: PatientCase) -> None:
    reply = ScriptedPatient(case, seed=0).reply("What did the nurse say?")
    assert "STEMI" not in reply.text and REDACTED in reply.text
    assert reply.redactions == 1 and reply.leaked == ["STEMI"]


def test_lay_language_replaces_clinical_words() -> None:
    from medsim.patients import Fact

    pcase = PatientCase(
        "t-2", "cough", "I cough.", (Fact("x", "I had hemoptysis and dyspnea.", ("cough",)),)
    )
    assert (
        ScriptedPatient(pcase).reply("cough?").text
        == "I had coughing up blood and short of breath."
    )


def test_replay_reproduces_a_recording_and_misses_loudly(case: PatientCase, tmp_path: Path) -> None:
    recorder = PatientRecorder(ScriptedPatient(case, seed=11))
    original = [recorder.reply(q).text for q in QUESTIONS]
    recorder.save(tmp_path / "rec.json")
    replay = ReplayPatient.load(case, tmp_path / "rec.json")
    assert [replay.reply(q.upper() + "  ").text for q in QUESTIONS] == original  # normalised keys
    fresh = ReplayPatient.load(case, tmp_path / "rec.json")
    with pytest.raises(SimulatorError, match="no recorded answer for question 1"):
        fresh.reply("A question nobody recorded")


def test_replay_refuses_a_recording_of_another_case(case: PatientCase, tmp_path: Path) -> None:
    (tmp_path / "rec.json").write_text('{"case": "other", "answers": {}}')
    with pytest.raises(ValueError, match="recorded for case 'other'"):
        ReplayPatient.load(case, tmp_path / "rec.json")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="a patient recording is"):
        ReplayPatient.load(case, tmp_path / "bad.json")


def test_llm_prompt_holds_only_what_the_patient_knows(case: PatientCase) -> None:
    prompt = system_prompt(case, bias="self_diagnosis")
    for fact in case.facts:
        assert fact.answer in prompt
    assert "58-year-old male" in prompt and "chest pain" in prompt
    for secret in ("myocardial infarction", "ST-elevation", "1,240"):
        assert secret not in prompt
    assert "convinced you have cancer" in prompt  # the bias sentence (biases.yaml)
    assert "left school early" in prompt and "anxious" in prompt  # persona data
    assert set(bias_names()) >= {"recency", "frequency", "false_consensus", "self_diagnosis"}
    with pytest.raises(ValueError, match="unknown patient bias 'nope'"):
        system_prompt(case, bias="nope")


def test_llm_patient_through_the_fake_client(case: PatientCase) -> None:
    client = FakeClient(
        ["It started this morning.", "Doctor, is it a stemi? My troponin was 1240."]
    )
    patient = LLMPatient(case, client)
    first = patient.reply("When did it start?")
    assert first.text == "It started this morning." and first.fact_ids == ["onset"]
    assert first.usage["calls"] == 1 and first.usage["prompt_tokens"] > 0
    second = patient.reply("Anything else?")
    assert (
        second.redactions == 2 and "stemi" not in second.text.lower() and "1240" not in second.text
    )
    sent = client.calls[1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == "It started this morning."  # the history as the agent saw it
    assert client.calls[0]["opts"]["temperature"] == 0


def test_llm_failure_is_a_simulator_error(case: PatientCase) -> None:
    client = FakeClient([LLMError("boom")], retry=RetryPolicy(max_tries=1, base_delay=0))
    with pytest.raises(SimulatorError, match="LLM call failed"):
        LLMPatient(case, client).reply("When did it start?")
    with pytest.raises(SimulatorError, match="empty reply"):
        LLMPatient(case, FakeClient(["  "])).reply("When did it start?")


def test_llm_patient_through_the_openai_stub_server(case: PatientCase) -> None:
    with StubServer(
        ["Two hours ago, doctor.", "Is it an inferior myocardial infarction with ST elevation?"],
        usage=(120, 9),
    ) as stub:
        client = OpenAIClient(
            "gpt-4.1-mini", base_url=stub.base_url, api_key="dummy", retry=RetryPolicy(max_tries=1)
        )
        patient = LLMPatient(case, client)
        first = patient.reply("When did it start?")
        second = patient.reply("What do you think it is?")
        body = stub.requests[0]
    assert first.text == "Two hours ago, doctor."
    assert first.usage["prompt_tokens"] == 120 and first.usage["completion_tokens"] == 9
    assert first.usage["cost_usd"] > 0  # priced from the packaged table
    assert second.redactions == 1 and "infarction" not in second.text
    assert (
        body["messages"][0]["role"] == "system"
        and "It goes down my left arm." in body["messages"][0]["content"]
    )
    assert body["temperature"] == 0


def test_stub_server_failure_is_a_simulator_error(case: PatientCase) -> None:
    with StubServer(default_reply="x") as stub:
        stub.fail("500", times=5)
        client = OpenAIClient(
            "m",
            base_url=stub.base_url,
            api_key="dummy",
            retry=RetryPolicy(max_tries=2, base_delay=0),
        )
        with pytest.raises(SimulatorError):
            LLMPatient(case, client).reply("When did it start?")
