"""What every patient simulator shares: the case as the patient knows it, the reply, the error.

A simulator answers one question at a time (:meth:`BasePatient.reply`). Its own answer
(``_respond``) always passes through the case's :class:`~medsim.patients.leak.LeakGuard` here,
once, whatever the simulator: the diagnosis and hidden results never reach the agent, and every
redaction is counted. A simulator that cannot answer (an LLM call that failed after its
retries, a replay with no recorded answer) raises :class:`SimulatorError`, which environments
report as an infrastructure error, never as the agent's mistake.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from medsim.patients.intents import FactIntent
from medsim.patients.leak import LeakGuard

#: What every simulator says when it does not know (MediQ's fixed-refusal contract).
NOT_SURE = "I'm not sure."


class SimulatorError(RuntimeError):
    """The simulator failed (not the agent): an infrastructure error."""


@dataclass(frozen=True)
class Fact:
    """One atomic fact the patient knows, told only when asked."""

    id: str
    answer: str
    intents: tuple[str, ...]
    category: str = "other"
    system: str | None = None
    initial: bool = False

    def intent(self) -> FactIntent:
        """The fact as the intent matcher sees it."""
        return FactIntent(self.id, self.intents, self.category, self.system)


@dataclass(frozen=True)
class PatientCase:
    """Everything a simulator may use. ``facts``, the complaint, persona and demographics are
    what the patient knows; ``secrets`` (the diagnosis, its aliases, hidden values) are only for
    the leak guard and never enter a prompt."""

    case_id: str
    chief_complaint: str
    opening_statement: str
    facts: tuple[Fact, ...]
    secrets: tuple[str, ...] = ()
    age: int | None = None
    sex: str | None = None
    persona: dict[str, str] = field(default_factory=dict)

    def fact(self, fact_id: str) -> Fact:
        """The fact called ``fact_id`` (KeyError naming the case otherwise)."""
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(f"case {self.case_id} has no fact {fact_id!r}")


@dataclass
class PatientReply:
    """One answer: the text the agent sees (after the leak guard), the facts it conveys (as
    matched by intent), how many secret mentions were redacted, and the simulator's usage."""

    text: str
    fact_ids: list[str] = field(default_factory=list)
    redactions: int = 0
    leaked: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)


class BasePatient(ABC):
    """A patient simulator for one case (one per episode). Subclasses write ``_respond``."""

    kind = "base"

    def __init__(self, case: PatientCase, guard: LeakGuard | None = None) -> None:
        self.case = case
        self.guard = guard if guard is not None else LeakGuard(case.secrets)
        self.history: list[tuple[str, str]] = []  # (question, answer as shown)

    @abstractmethod
    def _respond(self, question: str) -> PatientReply:
        """The simulator's own answer (before the leak guard)."""

    def reply(self, question: str) -> PatientReply:
        """Answer ``question``; the leak guard redacts secrets and counts them."""
        raw = self._respond(question)
        text, hits = self.guard.redact(raw.text)
        raw.text = text
        raw.redactions += len(hits)
        raw.leaked = [*raw.leaked, *hits]
        self.history.append((question, text))
        return raw


__all__ = ["NOT_SURE", "BasePatient", "Fact", "PatientCase", "PatientReply", "SimulatorError"]
