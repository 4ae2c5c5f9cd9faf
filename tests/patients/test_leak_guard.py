"""The leak guard catches secrets in direct, case-varied, paraphrased, abbreviated and misspelt
forms, redacts them and counts them; ordinary patient talk passes unchanged."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from medsim.patients.leak import REDACTED, LeakGuard, edit_distance, root, word_matches

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


def osa(a: str, b: str) -> int:
    """Reference optimal-string-alignment distance (full table, no early stop)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abc", max_size=6), st.text("abc", max_size=6), st.integers(0, 3))
@example("ab", "ba", 1)  # a transposition in the first two letters: 1
@example("aaa", "a", 2)  # two deletions: 2
@example("a", "aa", 1)  # one insertion: 1
def test_edit_distance_matches_a_reference(a: str, b: str, limit: int) -> None:
    ref = osa(a, b)
    got = edit_distance(a, b, limit)
    assert got == ref if ref <= limit else got > limit


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("embolism", "embol"),
        ("emboli", "embol"),
        ("tested", "test"),
        ("venous", "vein"),
        ("tiny", "tiny"),
    ],
)
def test_root(word: str, expected: str) -> None:
    assert root(word) == expected


@pytest.mark.parametrize(
    ("secret", "token", "expected"),
    [
        ("embolism", "Embolism", True),
        ("asthma", "astma", True),  # one edit, 6 letters
        ("asth", "asts", False),  # short words must match exactly
        ("12345", "12346", False),  # numbers never fuzzily
        ("embolism", "mbolism", False),  # the first letter must agree
        ("infarction", "infarcted", True),  # noun and participle: infarct-ion / infarct-ed
        ("infarction", "infarcts", True),
        ("obstruction", "obstructed", True),
        ("pneumothorax", "pnumothoraks", True),  # two edits from 9 letters
        ("embolism", "emxolixm", False),  # two edits, 8 letters
    ],
)
def test_word_matches(secret: str, token: str, expected: bool) -> None:
    assert word_matches(secret, token) is expected


def test_numbers_initialisms_and_overlaps() -> None:
    guard = LeakGuard(["8.1"])
    assert guard.redact("Hb 8.1 today")[1] == ["8.1"]
    assert guard.redact("81 people, 18.1 and 8.12")[1] == []
    assert LeakGuard(["Pulmonary embolism"]).redact("a PE?")[1] == ["Pulmonary embolism"]
    overlap = LeakGuard(["pulmonary embolism", "pulmonary"])
    assert overlap.redact("pulmonary embolism!") == ("[redacted]!", ["pulmonary"])


@pytest.mark.parametrize(
    ("secret", "token", "expected"),
    [
        ("ulcer", "ulcar", True),  # 5 letters: one edit allowed
        ("sepsis", "sepsys", True),
        ("pulmonary", "pulmanery", True),  # 9 letters: two edits allowed
        ("embolism", "embolysm", True),  # one edit on the word (the stems differ by three)
        ("diabetes", "diabettic", True),  # three edits on the word, one on the stem
        ("pancreatitis", "pankreatic", True),  # four on the word, one on the stem
        ("embolism", "embolysms", False),  # two edits on 8 letters, three on the stem
        ("pulmonary", "pulmanerys", False),  # three edits on 9 letters
    ],
)
def test_misspelt_words_by_length(secret: str, token: str, expected: bool) -> None:
    """One edit from 5 letters, two from 9, on the word or on its stem (counted by hand)."""
    assert word_matches(secret, token) is expected


def test_initialisms_that_are_ordinary_words_are_not_secrets() -> None:
    """The initialisms "AN" (anorexia nervosa) and "HE" (hepatic encephalopathy) are words
    in capitals; the diagnosis itself is still caught."""
    guard = LeakGuard(["Anorexia nervosa", "Hepatic encephalopathy"])
    assert guard.redact("I ATE AN APPLE. IS HE COMING?") == ("I ATE AN APPLE. IS HE COMING?", [])
    assert guard.redact("Is it anorexia nervosa?")[1] == ["Anorexia nervosa"]
    assert LeakGuard(["Multiple sclerosis"]).redact("Could it be MS?")[1] == ["Multiple sclerosis"]


def test_the_window_of_a_scattered_mention() -> None:
    """A two-word secret is one mention when its words are at most four tokens apart."""
    guard = LeakGuard(["Pulmonary embolism"])
    # embolism(1) ... pulmonary(5): four apart
    assert guard.redact("an embolism in my left pulmonary artery")[1] == ["Pulmonary embolism"]
    # pulmonary(1) ... embolism(6): five apart, two separate remarks
    text = "My pulmonary tests were normal, no embolism"
    assert guard.redact(text) == (text, [])


def test_two_mentions_in_a_row_are_both_redacted() -> None:
    guard = LeakGuard(["Pulmonary embolism"])
    redacted, hits = guard.redact(
        "Was it a pulmonary embolism? Pulmonary embolism runs in my family."
    )
    assert hits == ["Pulmonary embolism", "Pulmonary embolism"]
    assert redacted == "Was it a [redacted]? [redacted] runs in my family."


def test_a_failed_start_does_not_hide_the_next_token() -> None:
    """ "lung" (pulmonary's other form) starts no mention here (the embolism is five tokens
    away), but "pulmonary" right after it does (four away)."""
    guard = LeakGuard(["Pulmonary embolism"])
    redacted, hits = guard.redact("My lung pulmonary scans showed an embolism")
    assert hits == ["Pulmonary embolism"]
    assert redacted == "My lung [redacted]"


def test_a_hidden_value_with_two_dots_is_redacted_whole() -> None:
    """A date written with dots is one hidden value: all of it is redacted."""
    guard = LeakGuard(["12.03.2023"])
    assert guard.redact("the scan on 12.03.2023 was") == (
        "the scan on [redacted] was",
        ["12.03.2023"],
    )


@pytest.mark.parametrize(
    "text",
    ["the myocardium was infarcted", "an infarct of the myocardium", "myocardial infarctions"],
)
def test_noun_and_participle_forms_of_a_secret_are_caught(text: str) -> None:
    _, hits = LeakGuard(["myocardial infarction"]).redact(f"He said {text}, doctor.")
    assert hits == ["myocardial infarction"]
