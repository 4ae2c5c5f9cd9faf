"""Dialogue-v0 and Dialogue-Partial-v0: diagnostic consultations with a simulated patient.

**Dialogue-v0** (AgentClinic-style): the agent sees the chief complaint and the patient's
opening words, interviews the patient (``ask_patient`` or plain text), examines
(``request_exam``), orders tests (``request_test``), may read the chart (``fhir_search``,
``fhir_read``), and ends with ``submit_diagnosis`` (diagnosis + plan). **Dialogue-Partial-v0**
(MediQ/ProMed-style): the agent also starts from the case's initial facts, may ``abstain``, and
can earn a per-question information-gain reward (``info_gain=beta``).

Cases are data (``cases/<specialty>/<case_id>.yaml``, format in README.md); ``split="test"``
binds each to its named test patient, ``split="train"`` instantiates the scenarios on other
compatible cohort patients (``train_count``, ``train_seed``). No server and no API key are
needed: the default patient is the deterministic :class:`~medsim.patients.ScriptedPatient`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsim.core.suite import Suite

if TYPE_CHECKING:
    from medsim.environments.dialogue.case import Case
    from medsim.environments.dialogue.env import DialogueEnv
    from medsim.tasks.schema import Task

CASES_DIR = Path(__file__).parent / "cases"
SPLITS = ("test", "train")

SYSTEM_PROMPT = (
    "You are a physician seeing a patient. The patient knows things the chart does not and "
    "tells them only when asked: take a focused history by asking one question at a time "
    "(ask_patient, or plain text, which is said to the patient), screen for red flags, examine "
    "the patient (request_exam) and order the tests you need (request_test); you may also read "
    "the chart (fhir_search, fhir_read). Then call submit_diagnosis with the single most likely "
    "diagnosis and a management plan (treatment, disposition, follow-up)."
)


@dataclass(frozen=True)
class DialogueSuite(Suite):
    """A suite whose tasks are built from case files (``tasks_dir`` holds the cases)."""

    def _root(self) -> str:
        return str(self.tasks_dir if isinstance(self.tasks_dir, Path) else self.tasks_dir[0])

    def cases(self) -> list[Case]:
        """Every case file of the suite, parsed and checked (cached per process)."""
        return list(_cases(self._root()))

    def case(self, case_id: str) -> Case:
        """The case called ``case_id`` (KeyError listing the closest ids)."""
        for c in _cases(self._root()):
            if c.id == case_id:
                return c
        raise KeyError(f"no dialogue case {case_id!r}")

    def load_tasks(self) -> list[Task]:
        """The test split: each case on its named test patient."""
        return list(_test_tasks(self._root(), bool(self.extras.get("partial"))))

    def test_patients(self) -> set[str]:
        """Patients hosting a test case (never used for training)."""
        return {c.patient.test for c in self.cases()}

    def train_tasks(
        self, count: int | None = None, seed: int = 0, *, validate: bool = True
    ) -> list[Task]:
        """Train instances (``count`` per case, default each case's ``train.count``)."""
        tasks = list(_train_tasks(self._root(), bool(self.extras.get("partial")), count, seed))
        if validate:
            self.check_tasks(tasks)
        return tasks


@lru_cache(maxsize=4)
def _cases(root: str) -> tuple[Case, ...]:
    from medsim.environments.dialogue.case import load_cases

    return tuple(load_cases(root))


@lru_cache(maxsize=8)
def _test_tasks(root: str, partial: bool) -> tuple[Task, ...]:
    from medsim.environments.dialogue.tasks import build_task

    return tuple(build_task(c, c.patient.test, partial=partial) for c in _cases(root))


@lru_cache(maxsize=16)
def _train_tasks(root: str, partial: bool, count: int | None, seed: int) -> tuple[Task, ...]:
    from medsim.environments.dialogue.tasks import train_tasks

    return tuple(train_tasks(list(_cases(root)), count, seed, partial))


_COMMON: dict[str, Any] = {
    "tasks_dir": CASES_DIR,
    "plain_text": "patient",
    "system_prompt": SYSTEM_PROMPT,
    "tool_modules": ("medsim.environments.dialogue.tools",),
    "grader_modules": ("medsim.environments.dialogue.graders",),
    "env_class": "medsim.environments.dialogue.env:DialogueEnv",
}

SUITE = DialogueSuite(
    name="dialogue",
    description="AgentClinic-style diagnostic consultations with a simulated patient.",
    **_COMMON,
)
PARTIAL_SUITE = DialogueSuite(
    name="dialogue_partial",
    description="MediQ/ProMed-style consultations from a partial case: ask, abstain or decide.",
    extras={"partial": True},
    **_COMMON,
)


def _make(
    suite: DialogueSuite, split: str, train_count: int | None, train_seed: int, kwargs: Any
) -> DialogueEnv:
    from medsim.environments.dialogue.env import DialogueEnv

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    if "tasks" not in kwargs:
        kwargs["tasks"] = (
            suite.tasks() if split == "test" else suite.train_tasks(train_count, train_seed)
        )
    return DialogueEnv(suite, split=split, **kwargs)


def make_env(
    split: str = "test", train_count: int | None = None, train_seed: int = 0, **kwargs: Any
) -> DialogueEnv:
    """Dialogue-v0 (keyword arguments: :class:`~medsim.environments.dialogue.env.DialogueEnv`)."""
    return _make(SUITE, split, train_count, train_seed, kwargs)


def make_partial_env(
    split: str = "test", train_count: int | None = None, train_seed: int = 0, **kwargs: Any
) -> DialogueEnv:
    """Dialogue-Partial-v0 (same options; ``info_gain=beta`` turns on the dense IG reward)."""
    return _make(PARTIAL_SUITE, split, train_count, train_seed, kwargs)


__all__ = [
    "PARTIAL_SUITE",
    "SUITE",
    "SYSTEM_PROMPT",
    "DialogueSuite",
    "make_env",
    "make_partial_env",
]
