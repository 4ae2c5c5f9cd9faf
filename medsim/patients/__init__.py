"""Patient simulators for dialogue environments (docs/patients.md).

* :class:`ScriptedPatient` — deterministic, answers from the case's atomic facts by intent;
* :class:`LLMPatient` — a language model through :mod:`medsim.llm`, prompted only with what the
  patient knows, persona and bias from data files;
* :class:`ReplayPatient` / :class:`PatientRecorder` — recorded answers keyed by the transcript;
* :class:`LeakGuard` — every reply of every simulator passes through it (diagnosis, aliases and
  hidden values redacted and counted).

A failing simulator raises :class:`SimulatorError`, an infrastructure error.
"""

from medsim.patients.base import (
    NOT_SURE,
    BasePatient,
    Fact,
    PatientCase,
    PatientReply,
    SimulatorError,
)
from medsim.patients.leak import REDACTED, LeakGuard
from medsim.patients.llm import LLMPatient
from medsim.patients.replay import PatientRecorder, ReplayPatient
from medsim.patients.scripted import ScriptedPatient

__all__ = [
    "NOT_SURE",
    "REDACTED",
    "BasePatient",
    "Fact",
    "LLMPatient",
    "LeakGuard",
    "PatientCase",
    "PatientRecorder",
    "PatientReply",
    "ReplayPatient",
    "ScriptedPatient",
    "SimulatorError",
]
