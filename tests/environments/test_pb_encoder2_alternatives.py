"""Guideline-equivalent answers to four PhysicianBench-v0 templates score like the reference
(clinical review 2026-12-02): the graders check the decision, not one phrasing or one drug.

* transplant-live-vaccine: RZV written by its antigen, plus VariZIG after a varicella exposure,
  never trips the live-vaccine gate (ACIP 2022 RZV; ACIP 2013 varicella post-exposure);
* cirrhosis-ascites-diuretics: spironolactone alone for a first episode (EASL 2018);
* tacrolimus-clarithromycin: cefpodoxime instead of doxycycline (side chain unlike amoxicillin,
  AAAAI/ACAAI 2022 drug allergy parameter);
* hpylori-penicillin-allergy: metronidazole four times daily instead of three (ACG 2024).

And the live-vaccine gate still stops MMR written in words with no CVX code.
"""

from __future__ import annotations

from typing import Any

from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.environments.physicianbench import SUITE, make_env

Action = dict[str, Any]


def _task(task_id: str) -> Any:
    return next(t for t in SUITE.tasks() if t.id == task_id)


def _score(task_id: str, actions: list[Action]) -> float:
    env = make_env()
    result = run_episode(env, ScriptedAgent(actions, "alternative"), task_id=task_id, seed=0)
    env.close()
    return float(result.score)


def _is_rzv_order(action: Action) -> bool:
    return action["name"] == "fhir_create" and "zoster" in str(action["arguments"]).lower()


def _text_order(patient: str, text: str) -> Action:
    resource = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": text},
        "subject": {"reference": f"Patient/{patient}"},
    }
    return {
        "name": "fhir_create",
        "arguments": {"resource_type": "MedicationRequest", "resource": resource},
    }


def test_rzv_by_antigen_and_varizig_pass_the_live_vaccine_gate() -> None:
    task = _task("pb-transplant-vaccine-01")
    actions: list[Action] = []
    for action in task.reference_solution:
        if _is_rzv_order(action):
            actions.append(
                _text_order(
                    task.patient,
                    "recombinant varicella zoster virus glycoprotein E vaccine, adjuvanted, "
                    "0.5 mL IM, 2 doses 1-2 months apart",
                )
            )
            actions.append(
                _text_order(task.patient, "varicella-zoster immune globulin (VariZIG) if exposed")
            )
        else:
            actions.append(action)
    assert _score(task.id, actions) == 1.0


def test_mmr_in_words_still_trips_the_gate() -> None:
    task = _task("pb-transplant-vaccine-01")
    actions = list(task.reference_solution)
    actions.insert(-1, _text_order(task.patient, "measles, mumps and rubella vaccine 0.5 mL"))
    assert _score(task.id, actions) == 0.0


def test_spironolactone_alone_first_episode() -> None:
    task = _task("pb-cirrhosis-ascites-01")
    actions = [
        a
        for a in task.reference_solution
        if not (
            a["name"] == "fhir_medication_request_create"
            and "furosemide" in a["arguments"]["medication_display"]
        )
    ]
    assert len(actions) == len(task.reference_solution) - 1
    assert _score(task.id, actions) == 1.0


def test_cefpodoxime_instead_of_doxycycline() -> None:
    task = _task("pb-tacrolimus-clarithromycin-01")
    actions: list[Action] = []
    for action in task.reference_solution:
        args = action.get("arguments", {})
        if "doxycycline" in str(args.get("medication_display", "")):
            # text only: no RxNorm code for cefpodoxime is asserted here
            action = _text_order(task.patient, "cefpodoxime 200 mg by mouth twice daily, 5 days")
        actions.append(action)
    assert _score(task.id, actions) == 1.0


def test_metronidazole_four_times_daily() -> None:
    task = _task("pb-hpylori-pcn-allergy-01")
    actions: list[Action] = []
    for action in task.reference_solution:
        args = action.get("arguments", {})
        if "metronidazole" in str(args.get("medication_display", "")):
            action = {**action, "arguments": {**args, "frequency": "four times daily"}}
        actions.append(action)
    assert _score(task.id, actions) == 1.0
