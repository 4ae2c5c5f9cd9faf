"""Personas and biases as data: education level, emotional state and AgentClinic's patient
biases (``data/personas.yaml``, ``data/biases.yaml``). Unknown names are errors that list the
known ones, so a case or an env option with a typo fails when it is loaded."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from medsim.yamlload import safe_load


@cache
def _data(name: str) -> dict[str, Any]:
    text = resources.files("medsim.patients").joinpath("data", name).read_text(encoding="utf-8")
    return dict(safe_load(text) or {})


def _pick(table: dict[str, Any], name: str, what: str) -> Any:
    if name not in table:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def education_prompt(level: str) -> str:
    """How a patient of this education level speaks (low, average, high)."""
    return str(_pick(_data("personas.yaml")["education"], level, "education level"))


def emotion_prompt(state: str) -> str:
    """How the patient feels (calm, anxious, irritable, stoic)."""
    return str(_pick(_data("personas.yaml")["emotional_state"], state, "emotional state")["prompt"])


def emotion_fillers(state: str) -> list[str]:
    """Short openers a scripted patient in this state may put before an answer."""
    entry = _pick(_data("personas.yaml")["emotional_state"], state, "emotional state")
    return [str(f) for f in entry.get("fillers") or [""]]


def bias_prompt(bias: str) -> str:
    """The sentence describing one AgentClinic patient bias."""
    return str(_pick(_data("biases.yaml"), bias, "patient bias"))


def bias_names() -> list[str]:
    """Every patient bias medsim knows."""
    return sorted(_data("biases.yaml"))


def check_persona(persona: dict[str, str]) -> None:
    """Raise ValueError if the persona names an unknown education level or emotional state."""
    if "education" in persona:
        education_prompt(persona["education"])
    if "emotional_state" in persona:
        emotion_prompt(persona["emotional_state"])


__all__ = [
    "bias_names",
    "bias_prompt",
    "check_persona",
    "education_prompt",
    "emotion_fillers",
    "emotion_prompt",
]
