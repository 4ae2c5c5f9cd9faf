"""ScriptedPatient: a deterministic patient that answers from the case's atomic facts.

A question reaches facts by intent (:mod:`medsim.patients.intents`: keywords, synonyms, body
system); the answer is those facts' lay-language answers, in case order, and nothing else: a
fact the question did not reach is never volunteered. A question that reaches nothing gets the
fixed :data:`~medsim.patients.base.NOT_SURE`. The only randomness is the optional filler an
anxious or irritable persona puts before an answer, drawn from the seeded RNG, so the same seed
gives the same conversation.
"""

from __future__ import annotations

import numpy as np

from medsim.patients.base import NOT_SURE, BasePatient, PatientCase, PatientReply
from medsim.patients.intents import match_facts
from medsim.patients.lay import lay
from medsim.patients.leak import LeakGuard
from medsim.patients.persona import emotion_fillers


class ScriptedPatient(BasePatient):
    """See module docstring. ``seed`` fixes the persona fillers (none for a calm patient)."""

    kind = "scripted"

    def __init__(
        self, case: PatientCase, seed: int | None = 0, guard: LeakGuard | None = None
    ) -> None:
        super().__init__(case, guard)
        self.rng = np.random.default_rng(seed)
        state = case.persona.get("emotional_state", "calm")
        self.fillers = emotion_fillers(state)

    def _respond(self, question: str) -> PatientReply:
        facts = match_facts(question, [f.intent() for f in self.case.facts])
        if not facts:
            return PatientReply(NOT_SURE)
        answers = [lay(self.case.fact(f.id).answer) for f in facts]
        filler = self.fillers[int(self.rng.integers(0, len(self.fillers)))]
        return PatientReply(filler + " ".join(answers), [f.id for f in facts])


__all__ = ["ScriptedPatient"]
