"""``DialogueEnv``: a :class:`~medsim.core.env.ClinicalEnv` with a patient to talk to.

Per episode it builds the case's patient simulator (scripted by default, an LLM, a replay, or a
factory of your own) and hands it to the tools as services; plain text is routed to
``ask_patient``. What the patient said is accounted here: the simulator's tokens and cost go to
``info["usage"]``, leak-guard redactions and revealed facts to ``info["patient"]``, and the
optional information-gain reward (:mod:`.info_gain`) is paid per question and settled at the
end so an episode's rewards still sum to its task score.

A simulator failure (an LLM patient or moderator whose call failed after the client's retries,
a replay miss) ends the episode at once as truncated with ``info["error"]["type"] ==
"simulator_error"`` and no grade: an infrastructure error, which ``medsim eval`` records as an
``infra_error`` row (excluded from scores, retried), never the agent's failure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from medsim.core.actions import Call, ParsedAction
from medsim.core.env import ClinicalEnv
from medsim.core.suite import Suite
from medsim.environments.dialogue.case import Case
from medsim.environments.dialogue.chart import chart_overrides
from medsim.environments.dialogue.info_gain import InfoGain, fact_values
from medsim.environments.dialogue.matching import diagnosis_verdict
from medsim.llm.errors import LLMError
from medsim.llm.types import ChatClient
from medsim.patients import (
    BasePatient,
    LLMPatient,
    PatientCase,
    PatientReply,
    ReplayPatient,
    ScriptedPatient,
    SimulatorError,
)
from medsim.tasks.profiles import profiles
from medsim.tasks.schema import Task

SIMULATOR_ERROR = "simulator_error"
PatientFactory = Callable[[PatientCase, Task], BasePatient]
MODERATOR_PROMPT = (
    "Here is the correct diagnosis: {truth}\nHere is the doctor's diagnosis: {given}\n"
    "Are these the same diagnosis? Please respond only with Yes or No. Nothing else."
)


def _client(spec: ChatClient | str | None) -> ChatClient | None:
    if spec is None or not isinstance(spec, str):
        return spec
    from medsim.llm.spec import make_client

    return make_client(spec)


class DialogueEnv(ClinicalEnv):
    """See module docstring.

    Args:
        suite: a dialogue suite (``medsim.environments.dialogue.SUITE`` or ``PARTIAL_SUITE``).
        patient: "scripted" (default), "llm", "replay", or a factory ``(PatientCase, Task) ->
            BasePatient``.
        patient_client: the ChatClient (or spec string, e.g. "openai:gpt-4.1-mini") of the LLM
            patient.
        patient_bias: an AgentClinic patient bias for the LLM patient (``biases.yaml``).
        replay: for ``patient="replay"``, a folder of ``<task_id>.json`` recordings.
        moderator: a ChatClient (or spec) asked, when the rules do not match, whether the
            submitted diagnosis is the case's (AgentClinic's moderator); its verdict is stored.
        info_gain: the information-gain coefficient beta (0 = off).
        info_gain_mode: "shapley" (default) or "uniform".
        **kwargs: passed to :class:`ClinicalEnv` (``tasks``, ``split``, ``reward``, ``fhir`` ...).
    """

    def __init__(
        self,
        suite: Suite,
        *,
        patient: str | PatientFactory = "scripted",
        patient_client: ChatClient | str | None = None,
        patient_bias: str | None = None,
        replay: str | Path | None = None,
        moderator: ChatClient | str | None = None,
        info_gain: float = 0.0,
        info_gain_mode: str = "shapley",
        **kwargs: Any,
    ) -> None:
        if isinstance(patient, str) and patient not in ("scripted", "llm", "replay"):
            raise ValueError(
                f"patient must be 'scripted', 'llm', 'replay' or a factory, not {patient!r}"
            )
        if patient == "llm" and patient_client is None:
            raise ValueError("patient='llm' needs patient_client (a ChatClient or a spec string)")
        if patient == "replay" and replay is None:
            raise ValueError("patient='replay' needs replay= (a folder of <task_id>.json files)")
        if info_gain < 0:
            raise ValueError(f"info_gain must be >= 0, not {info_gain}")
        fact_values([], [], mode=info_gain_mode)  # rejects an unknown mode now
        self.patient_kind = patient
        self.patient_client = _client(patient_client)
        self.patient_bias = patient_bias
        self.replay_dir = Path(replay) if replay is not None else None
        self.moderator = _client(moderator)
        self.info_gain = float(info_gain)
        self.info_gain_mode = info_gain_mode
        self.patient: BasePatient | None = None
        self._gain: InfoGain | None = None
        self._redactions = 0
        super().__init__(suite, **kwargs)

    # ---- the episode's patient ---------------------------------------------------------------

    def case_for(self, task: Task) -> Case:
        """The scenario of ``task``."""
        return self.suite.case(str(task.metadata.details["case_id"]))  # type: ignore[attr-defined,no-any-return]

    def _make_patient(self, pcase: PatientCase, task: Task) -> BasePatient:
        kind = self.patient_kind
        if callable(kind):
            return kind(pcase, task)
        if kind == "llm":
            assert self.patient_client is not None
            return LLMPatient(pcase, self.patient_client, bias=self.patient_bias)
        if kind == "replay":
            assert self.replay_dir is not None
            return ReplayPatient.load(pcase, self.replay_dir / f"{task.id}.json")
        return ScriptedPatient(pcase, seed=int(self.np_random.integers(0, 2**31)))

    def episode_services(self, task: Task) -> dict[str, Any]:
        case = self.case_for(task)
        prof = profiles()[task.patient]
        answers = chart_overrides(case.facts, prof) if task.split == "train" else {}
        pcase = case.patient_case(age=prof.age(task.now), sex=prof.sex, answers=answers)
        self.patient = self._make_patient(pcase, task)
        self._redactions = 0
        partial = self.suite.extras.get("partial", False)
        initial = [f.id for f in case.facts if f.initial] if partial else []
        hidden = [f.id for f in case.facts if f.id not in initial]
        values = fact_values(
            hidden, [*case.must_ask, *case.red_flags], case.decisive, self.info_gain_mode
        )
        self._gain = InfoGain(values, self.info_gain, known=initial)
        services: dict[str, Any] = {"case": case, "patient": self.patient}
        services["on_reply"] = self._on_reply
        if self.moderator is not None:
            services["moderator"] = lambda given: self._moderate(case, given)
        return services

    def _on_reply(self, question: str, reply: PatientReply) -> None:
        u = reply.usage
        if u:
            self.add_usage(
                int(u.get("prompt_tokens", 0)),
                int(u.get("completion_tokens", 0)),
                float(u.get("cost_usd", 0.0)),
            )
        self._redactions += reply.redactions
        if self._gain is not None:
            self._gain.reveal(reply.fact_ids)

    def _moderate(self, case: Case, given: str) -> str:
        """AgentClinic's moderator: "yes"/"no" (tolerant: "Yes." is yes); skipped ("rules")
        when the deterministic match already decides."""
        if diagnosis_verdict(given, None, case.names(), case.diagnosis.icd10)[0]:
            return "rules"
        assert self.moderator is not None
        prompt = MODERATOR_PROMPT.format(truth=case.diagnosis.name, given=given)
        try:
            response = self.moderator.complete([{"role": "user", "content": prompt}], temperature=0)
        except LLMError as exc:
            raise SimulatorError(f"the diagnosis moderator's LLM call failed: {exc}") from exc
        u = response.usage
        self.add_usage(u.prompt_tokens, u.completion_tokens, u.cost_usd)
        word = response.content.strip().lower().lstrip("*\"' ")
        return "yes" if word.startswith("yes") else "no"

    # ---- plain text and steps ----------------------------------------------------------------

    def on_plain_text(self, parsed: ParsedAction) -> tuple[str, bool]:
        """Plain text is said to the patient (an ``ask_patient`` call)."""
        call = Call("ask_patient", {"question": parsed.text})
        return self._run_calls(ParsedAction("calls", "text", calls=(call,), raw=parsed.raw))

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        paid_before = self._gain.paid if self._gain is not None else 0.0
        obs, reward, terminated, truncated, info = super().step(action)
        if (info.get("error") or {}).get("type") == SIMULATOR_ERROR and not terminated:
            self._done = True
            self.record.truncated = truncated = True
            info["transcript"] = list(self.record.messages)
            info["patient"] = self._patient_info()
            return obs, 0.0, False, True, info
        if self._gain is not None and self._gain.beta > 0:
            reward += self._gain.paid - paid_before
            if terminated or truncated:
                reward -= self._gain.paid  # settle: the episode's rewards sum to its score
        info["patient"] = self._patient_info()
        return obs, reward, terminated, truncated, info

    def _patient_info(self) -> dict[str, Any]:
        gain = self._gain
        return {
            "kind": getattr(self.patient, "kind", None),
            "redactions": self._redactions,
            "revealed": sorted(gain.revealed) if gain is not None else [],
            "info_gain_paid": round(gain.paid, 12) if gain is not None else 0.0,
        }

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        obs, info = super().reset(seed=seed, options=options)
        info["patient"] = self._patient_info()
        return obs, info


__all__ = ["SIMULATOR_ERROR", "DialogueEnv"]
