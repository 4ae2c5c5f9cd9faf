"""Question intent matching: synonyms, inflections, body systems, the per-question cap."""

from __future__ import annotations

import pytest

from medsim.patients.intents import (
    MAX_FACTS,
    FactIntent,
    fact_matches,
    intent_matches,
    match_facts,
    stem,
    system_of,
    systems_named,
    tokens,
)

ONSET = FactIntent("onset", ("onset", "when did it start"))
RADIATION = FactIntent("radiation", ("radiation", "arm"))
SOB = FactIntent("sob", ("shortness of breath",), "ros", "respiratory")
BOWEL = FactIntent("bowel", ("diarrhea",), "ros", "gastrointestinal")
SMOKING = FactIntent("smoking", ("smoking",), "social")


@pytest.mark.parametrize(
    "question",
    [
        "When did this begin?",
        "How long ago did it start?",
        "WHEN DID IT START",
        "Since when have you had it?",
    ],
)
def test_onset_questions_reach_the_onset_fact(question: str) -> None:
    assert fact_matches(question, ONSET)


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Does the pain go anywhere else?", RADIATION),
        ("Is it radiating?", RADIATION),
        ("Does it spread to your left arm?", RADIATION),
        ("Are you short of breath?", SOB),
        ("Any trouble breathing?", SOB),
        ("Do you smoke cigarettes?", SMOKING),
    ],
)
def test_synonyms_and_inflections(question: str, fact: FactIntent) -> None:
    assert fact_matches(question, fact)


@pytest.mark.parametrize(
    "question", ["Do you have any allergies?", "What is your job?", "How are you?", ""]
)
def test_unrelated_questions_reach_nothing(question: str) -> None:
    assert match_facts(question, [ONSET, RADIATION, SOB, BOWEL, SMOKING]) == []


def test_body_system_question_reaches_only_that_systems_ros_facts() -> None:
    hits = match_facts("Any problems with your stomach or bowels?", [SOB, BOWEL, SMOKING])
    assert [f.id for f in hits] == ["bowel"]
    assert [f.id for f in match_facts("How is your breathing?", [SOB, BOWEL])] == ["sob"]


def test_a_question_reaches_at_most_max_facts() -> None:
    facts = [
        FactIntent(f"f{i}", (word,))
        for i, word in enumerate(["fever", "cough", "rash", "headache", "vomiting"])
    ]
    hits = match_facts("Any fever, cough, rash, headache or vomiting?", facts)
    assert len(hits) == MAX_FACTS == 3
    assert [f.id for f in hits] == ["f0", "f1", "f2"]  # case order


def test_system_names() -> None:
    assert system_of("heart") == "cardiovascular"
    assert system_of("Cardiovascular") == "cardiovascular"
    assert system_of("abdominal") == "gastrointestinal"
    assert system_of("spleen colour") is None
    assert systems_named("is your chest and your heart ok") == ["cardiovascular", "respiratory"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("radiating", "radiat"),
        ("tested", "test"),  # exactly 4 letters left
        ("walks", "walk"),
        ("feeling", "feel"),
        ("pain", "pain"),  # 4 letters: kept
        ("bled", "bled"),
        ("pressure", "pressure"),  # no suffix of the list
        ("sings", "sing"),
        ("recreational_drugs", "recreational_drugs"),  # canonical tokens are kept whole
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_longest_synonym_first() -> None:
    assert tokens("How long ago?") == ("onset",)  # not duration ("how long") + "ago"
    assert tokens("Short of breath") == ("shortness_of_breath",)


@pytest.mark.parametrize(
    ("question", "intent", "expected"),
    [
        ("Is your calf on the left sore?", "left calf", True),  # every content word, any order
        ("Is your left arm sore?", "left calf", False),  # all, not any
        ("Is your right leg sore?", "left calf", False),
        ("Is the calf sore?", "your calf", False),  # one content word: must be contiguous
        ("knee pain?", "pain in the knee", True),  # stopwords are not required
        ("anything?", "?!", False),  # an empty intent matches nothing
        ("", "calf", False),
    ],
)
def test_intent_matching_rules(question: str, intent: str, expected: bool) -> None:
    assert intent_matches(question, intent) is expected


def test_a_ros_fact_reached_both_ways_counts_once() -> None:
    """Asked by intent ("short of breath") and by its system ("breathing") in one question."""
    hits = match_facts("Are you short of breath, and how is your breathing?", [SOB, BOWEL])
    assert [f.id for f in hits] == ["sob"]


def test_a_named_system_reaches_only_ros_facts() -> None:
    """A body system reaches review-of-systems facts; another category's fact of the same
    system still needs its own intent."""
    cough_hpi = FactIntent("cough", ("cough",), "hpi", "respiratory")
    wheeze_ros = FactIntent("wheeze", ("wheeze",), "ros", "respiratory")
    hits = match_facts("How is your breathing?", [cough_hpi, wheeze_ros])
    assert [f.id for f in hits] == ["wheeze"]
    assert [f.id for f in match_facts("Do you cough?", [cough_hpi, wheeze_ros])] == ["cough"]


def test_the_limit_can_be_lowered() -> None:
    facts = [FactIntent("fever", ("fever",)), FactIntent("cough", ("cough",))]
    assert [f.id for f in match_facts("fever or cough?", facts, limit=1)] == ["fever"]
    assert [f.id for f in match_facts("fever or cough?", facts)] == ["fever", "cough"]
