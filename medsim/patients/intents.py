"""Question intent matching: which of a case's facts a question asks about.

One rule, shared by the scripted patient (what it answers) and the dialogue graders (whether a
must-ask item was covered), so a question counts as asked exactly when the scripted patient would
answer it. A question and each fact's ``intents`` are read the same way:

1. lowercased, punctuation removed, each synonym variant (``data/synonyms.yaml``, longest first)
   replaced by its canonical phrase as one token ("short of breath" -> ``shortness_of_breath``);
2. light stemming (``radiates``/``radiating`` -> ``radiat``) so inflections match.

A fact matches when one of its intents appears in the question as a contiguous token sequence,
or, for an intent of several content words, when every content word appears somewhere in the
question. A review-of-systems question that names a body system (``data/body_systems.yaml``:
"anything wrong with your bowels?") also reaches the ``ros`` facts of that system. At most
:data:`MAX_FACTS` facts match one question (MediQ asks atomic questions; a question that lists
every keyword does not empty the case).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from medsim.yamlload import safe_load

#: The most facts one question can reach.
MAX_FACTS = 3

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "and",
        "or",
        "any",
        "you",
        "your",
        "yours",
        "do",
        "does",
        "did",
        "is",
        "are",
        "was",
        "were",
        "be",
        "have",
        "has",
        "had",
        "it",
        "its",
        "this",
        "that",
        "there",
        "me",
        "my",
        "i",
        "we",
        "about",
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "ever",
        "been",
        "feel",
        "feeling",
        "felt",
        "can",
        "could",
        "would",
        "should",
        "will",
        "tell",
        "please",
        "experience",
        "experienced",
        "having",
        "get",
        "got",
        "some",
        "anything",
        "something",
    ]
)

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s")


@dataclass(frozen=True)
class FactIntent:
    """What the matcher needs of one fact: its id, intents, category and optional body system."""

    id: str
    intents: tuple[str, ...]
    category: str = "other"
    system: str | None = None


@cache
def _load(name: str) -> dict[str, list[str]]:
    text = resources.files("medsim.patients").joinpath("data", name).read_text(encoding="utf-8")
    data = safe_load(text) or {}
    return {str(k): [str(v) for v in vs] for k, vs in data.items()}


def plain(text: str) -> str:
    """Lowercase words and digits separated by single spaces."""
    return _NON_WORD.sub(" ", text.lower()).strip()


@cache
def _variants() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(whole-phrase pattern, canonical token) for every synonym and key, longest first."""
    pairs: list[tuple[str, str]] = []
    for key, variants in _load("synonyms.yaml").items():
        token = plain(key).replace(" ", "_")
        for phrase in {key, *variants}:
            words = plain(phrase)
            if words:
                pairs.append((words, token))
    pairs.sort(key=lambda p: (-len(p[0]), p[0]))
    return tuple((re.compile(rf"(?<![a-z0-9_]){re.escape(w)}(?![a-z0-9_])"), t) for w, t in pairs)


def stem(word: str) -> str:
    """A light suffix stripper (only for words longer than 4 letters; canonical tokens kept)."""
    if "_" in word or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1 << 16)
def tokens(text: str) -> tuple[str, ...]:
    """The canonical, stemmed tokens of ``text`` (see module docstring)."""
    out = plain(text)
    for pattern, token in _variants():
        out = pattern.sub(token, out)
    return tuple(stem(w) for w in out.split())


def _contains(seq: Sequence[str], sub: Sequence[str]) -> bool:
    """``sub`` (non-empty) occurs in ``seq`` as a contiguous run."""
    want = tuple(sub)
    return bool(want) and any(tuple(seq[i : i + len(want)]) == want for i in range(len(seq)))


@lru_cache(maxsize=1 << 16)
def intent_matches(question: str, intent: str) -> bool:
    """Whether ``question`` asks about ``intent`` (contiguous, or every content word present)."""
    q = tokens(question)
    want = tokens(intent)
    if _contains(q, want):
        return True
    content = [w for w in want if w not in STOPWORDS]
    return len(content) > 1 and all(w in q for w in content)


@cache
def _system_terms() -> dict[str, tuple[tuple[str, ...], ...]]:
    return {
        system: tuple(tokens(term) for term in terms)
        for system, terms in _load("body_systems.yaml").items()
    }


def systems_named(text: str) -> list[str]:
    """Body systems the text names (in the order of ``data/body_systems.yaml``)."""
    q = tokens(text)
    return [s for s, terms in _system_terms().items() if any(_contains(q, t) for t in terms)]


def system_of(name: str) -> str | None:
    """The body system ``name`` refers to ("heart" -> cardiovascular), or None."""
    key = plain(name).replace(" ", "_")
    if key in _system_terms():
        return key
    named = systems_named(name)
    return named[0] if named else None


def fact_matches(question: str, fact: FactIntent) -> bool:
    """Whether ``question`` reaches ``fact`` by intent (not by body system)."""
    return any(intent_matches(question, intent) for intent in fact.intents)


def match_facts(
    question: str, facts: Iterable[FactIntent], limit: int = MAX_FACTS
) -> list[FactIntent]:
    """The facts ``question`` asks about, intent matches first (case order), then ``ros`` facts
    of a body system the question names; at most ``limit``."""
    facts = list(facts)
    hits = [f for f in facts if fact_matches(question, f)]
    named = set(systems_named(question))
    hits += [f for f in facts if f not in hits and f.category == "ros" and f.system in named]
    return hits[:limit]


__all__ = [
    "MAX_FACTS",
    "FactIntent",
    "fact_matches",
    "intent_matches",
    "match_facts",
    "plain",
    "stem",
    "system_of",
    "systems_named",
    "tokens",
]
