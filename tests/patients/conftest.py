"""A small hand-written case for the simulator tests (independent of the suite's case files)."""

from __future__ import annotations

import pytest

from medsim.patients import Fact, PatientCase

FACTS = (
    Fact("onset", "It started two hours ago.", ("onset", "when did it start")),
    Fact("radiation", "It goes down my left arm.", ("radiation", "arm")),
    Fact("smoking", "I smoke a pack a day.", ("smoking",), "social"),
    Fact("sob", "I'm a bit short of breath.", ("shortness of breath",), "ros", "respiratory"),
    Fact("leaky", "The nurse said it might be a STEMI.", ("nurse",), "other"),
)


@pytest.fixture
def case() -> PatientCase:
    return PatientCase(
        case_id="t-1",
        chief_complaint="chest pain",
        opening_statement="My chest hurts.",
        facts=FACTS,
        secrets=("Inferior ST-elevation myocardial infarction", "STEMI", "1,240"),
        age=58,
        sex="male",
        persona={"education": "low", "emotional_state": "anxious"},
    )
