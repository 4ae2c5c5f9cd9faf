"""The leak guard catches secrets in direct, case-varied, paraphrased, abbreviated and misspelt
forms, redacts them and counts them; ordinary patient talk passes unchanged."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.patients.leak import REDACTED, LeakGuard, edit_distance

SECRETS = ["Pulmonary embolism", "PE", "deep vein thrombosis", "1,240", "ST elevation"]
GUARD = LeakGuard(SECRETS)

#: Lay filler that shares no content word with the secrets.
FILLER = [
    "I", "have", "been", "feeling", "tired", "since", "Monday", "my", "leg", "hurts",
    "it", "started", "after", "the", "flight", "and", "I", "cannot", "sleep", "well",
    "doctor", "please", "help", "me", "today", "morning", "walk", "stairs",
]  # fmt: skip
filler = st.lists(st.sampled_from(FILLER), min_size=0, max_size=8).map(" ".join)


def vary_case(text: str, flags: list[bool]) -> str:
    return "".join(
        c.upper() if f else c.lower()
        for c, f in zip(text, flags + [False] * len(text), strict=False)
    )


@given(filler, filler, st.lists(st.booleans(), min_size=20, max_size=20))
def test_direct_case_varied_mentions_are_redacted(
    before: str, after: str, flags: list[bool]
) -> None:
    secret = vary_case("pulmonary embolism", flags)
    text = f"{before} {secret} {after}"
    redacted, hits = GUARD.redact(text)
    assert hits == ["Pulmonary embolism"]
    assert secret not in redacted and REDACTED in redacted
    assert redacted.count(REDACTED) == 1


PARAPHRASES = [
    "an embolism in my pulmonary artery",
    "pulmonary emboli",
    "embolism, pulmonary",
    "a thrombosis in a deep vein",
    "deep venous thrombosis",
    "the ST segment elevation",
]


@given(filler, st.sampled_from(PARAPHRASES))
def test_paraphrased_and_inflected_forms_are_caught(before: str, phrase: str) -> None:
    redacted, hits = GUARD.redact(f"{before} {phrase}")
    assert len(hits) == 1, (phrase, redacted)


def misspell(word: str, i: int, op: int, letter: str) -> str:
    i = 1 + i % (len(word) - 1)  # never the first letter
    if op == 0:
        return word[:i] + letter + word[i + 1 :]  # substitute
    if op == 1:
        return word[:i] + word[i + 1 :]  # delete
    if op == 2:
        return word[:i] + letter + word[i:]  # insert
    j = min(i, len(word) - 2)
    return word[:j] + word[j + 1] + word[j] + word[j + 2 :]  # transpose


@given(
    st.sampled_from(["pulmonary", "embolism"]),
    st.integers(0, 100),
    st.integers(0, 3),
    st.sampled_from(string.ascii_lowercase),
    filler,
)
def test_one_typo_in_a_long_word_is_still_caught(
    word: str, i: int, op: int, letter: str, before: str
) -> None:
    typo = misspell(word, i, op, letter)
    phrase = "pulmonary embolism".replace(word, typo)
    _, hits = GUARD.redact(f"{before} {phrase}")
    assert hits == ["Pulmonary embolism"], phrase


@given(filler, st.sampled_from(["PE", "pe", "Pe", "DVT"]))
def test_abbreviations(before: str, abbreviation: str) -> None:
    _, hits = GUARD.redact(f"{before} maybe a {abbreviation} doctor")
    assert len(hits) == 1


@given(st.sampled_from(["1,240", "1240", "1 240"]), filler)
def test_hidden_numbers_with_or_without_separators(number: str, after: str) -> None:
    redacted, hits = GUARD.redact(f"they said {number} {after}")
    assert hits == ["1,240"] and number not in redacted


@settings(max_examples=200)
@given(filler)
def test_ordinary_talk_passes_unchanged(text: str) -> None:
    assert GUARD.redact(text) == (text, [])


def test_counts_every_mention_and_keeps_the_rest() -> None:
    text = "Is it a PE? My uncle had a pulmonary embolism and a DVT. Troponin 1240."
    redacted, hits = GUARD.redact(text)
    assert len(hits) == 4
    assert (
        redacted
        == "Is it a [redacted]? My uncle had a [redacted] and a [redacted]. Troponin [redacted]."
    )


def test_generic_qualifiers_and_lowercase_initialisms() -> None:
    guard = LeakGuard(["Acute pulmonary embolism", "Community acquired pneumonia"])
    assert guard.redact("a pulmonary embolism")[1] == ["Acute pulmonary embolism"]
    assert guard.redact("pneumonia")[1] == ["Community acquired pneumonia"]
    assert guard.redact("put a cap on it")[1] == []  # capitals only for generated initialisms
    assert (
        guard.redact("CAP")[1] == []
    )  # "CAP" would need community+acquired+pneumonia initials kept
    assert guard.redact("it is not a word")[1] == []


def test_edit_distance() -> None:
    assert edit_distance("embolism", "embolism", 2) == 0
    assert edit_distance("embolism", "emoblism", 2) == 1  # transposition
    assert edit_distance("embolism", "emblism", 2) == 1
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("abc", "abcdefgh", 2) == 3  # stops early beyond the limit
