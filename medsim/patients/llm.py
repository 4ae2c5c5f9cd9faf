"""LLMPatient: a patient played by a language model through :mod:`medsim.llm`.

Any :class:`~medsim.llm.ChatClient` works (an OpenAI-compatible endpoint, a LangChain chat model,
a local transformers model, the fake or replay client of the tests). The system prompt
(``data/prompts.yaml``) holds only what the patient knows: age and sex, the chief complaint, the
facts' lay answers, the persona (education, emotional state) and an optional AgentClinic bias
(``data/biases.yaml``) — never the diagnosis, the examination, the test results or the case's
``hidden`` strings. The conversation so far is replayed as chat turns. Calls run at temperature
0; every call's tokens and cost are returned with the reply. A call that fails after the
client's retries raises :class:`~medsim.patients.base.SimulatorError` (an infrastructure error).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from medsim.llm.errors import LLMError
from medsim.llm.types import ChatClient, Message
from medsim.patients.base import BasePatient, PatientCase, PatientReply, SimulatorError
from medsim.patients.intents import match_facts
from medsim.patients.lay import lay_table
from medsim.patients.leak import LeakGuard
from medsim.patients.persona import bias_prompt, education_prompt, emotion_prompt
from medsim.yamlload import safe_load


@cache
def _template() -> str:
    text = resources.files("medsim.patients").joinpath("data", "prompts.yaml").read_text("utf-8")
    return str(safe_load(text)["system"])


def system_prompt(case: PatientCase, bias: str | None = None) -> str:
    """The patient's system prompt: what the patient knows, how they speak, their bias."""
    who = " ".join(str(x) for x in (f"{case.age}-year-old" if case.age else "", case.sex) if x)
    persona = []
    if "education" in case.persona:
        persona.append(education_prompt(case.persona["education"]))
    if "emotional_state" in case.persona:
        persona.append(emotion_prompt(case.persona["emotional_state"]))
    if case.persona.get("language_notes"):
        persona.append(f"Your way of speaking: {case.persona['language_notes']}")
    facts = [f"- {case.opening_statement}"] + [f"- {f.answer}" for f in case.facts]
    return _template().format(
        age_sex=who or "an adult",
        chief_complaint=case.chief_complaint,
        persona=" ".join(persona),
        facts="\n".join(facts),
        lay_terms=", ".join(f"{k} (say '{v}')" for k, v in lay_table().items()),
        bias=bias_prompt(bias) if bias else "",
    )


class LLMPatient(BasePatient):
    """See module docstring.

    Args:
        case: what the patient knows (and the secrets its leak guard keeps out of replies).
        client: the chat client that plays the patient.
        bias: an AgentClinic patient bias name (``medsim.patients.persona.bias_names()``).
        options: extra completion options (temperature defaults to 0).
    """

    kind = "llm"

    def __init__(
        self,
        case: PatientCase,
        client: ChatClient,
        *,
        bias: str | None = None,
        guard: LeakGuard | None = None,
        **options: Any,
    ) -> None:
        super().__init__(case, guard)
        self.client = client
        self.bias = bias
        self.options = {"temperature": 0, **options}
        self.prompt = system_prompt(case, bias)  # raises now for an unknown bias or persona

    def messages(self, question: str) -> list[Message]:
        """The request for ``question``: system prompt, the conversation so far, the question."""
        out: list[Message] = [{"role": "system", "content": self.prompt}]
        for asked, answered in self.history:
            out += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
        out.append({"role": "user", "content": question})
        return out

    def _respond(self, question: str) -> PatientReply:
        try:
            response = self.client.complete(self.messages(question), **self.options)
        except LLMError as exc:
            raise SimulatorError(f"the patient simulator's LLM call failed: {exc}") from exc
        text = response.content.strip()
        if not text:
            raise SimulatorError("the patient simulator's LLM returned an empty reply")
        facts = match_facts(question, [f.intent() for f in self.case.facts])
        return PatientReply(text, [f.id for f in facts], usage=response.usage.to_dict())


__all__ = ["LLMPatient", "system_prompt"]
