"""The leak guard: keeps the diagnosis and hidden results out of everything a patient says.

A patient never knows its diagnosis or its test values, so any mention in a reply is a leak (an
LLM patient that guesses, a case fact written carelessly). The guard is built from the case's
secrets (the diagnosis, its aliases, the ``hidden`` strings) and finds each of them in a reply in
these forms:

* **direct / case-varied**: the words themselves, any letter case ("stemi", "Pulmonary Embolism");
* **paraphrased**: the secret's content words, inflected, in other forms (venous = vein,
  pulmonary = lung: ``data/word_forms.yaml``) and in any order within a short window
  ("an embolism in the pulmonary artery", "infarction of the myocardium": stems compared, so
  myocardial/myocardium and embolism/emboli meet);
* **misspelt**: a content word of 5+ letters within one edit (two from 9 letters) of the secret's
  word, same first letter ("pulmonery embolysm");
* **abbreviated**: the initialism of a multi-word secret in capitals ("PE", "DVT") as a whole
  word; aliases that are abbreviations match in any case;
* **numbers**: a hidden value with or without thousands separators ("1,240", "1240", "1 240").

Generic qualifiers (acute, chronic, left, inferior, disease ...) are not required, so "pulmonary
embolism" is still caught inside "acute pulmonary embolism" and vice versa. Every match is
replaced by ``[redacted]`` and returned, so environments count redactions in ``info``.
A paraphrase that shares no content word with any secret ("a clot in the lung" for pulmonary
embolism) is beyond a lexical guard: list such phrases in the case's ``hidden``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

REDACTED = "[redacted]"

#: Words a secret does not need for a mention to count (qualifiers, not the disease itself).
GENERIC = frozenset(
    [
        "acute",
        "chronic",
        "disease",
        "disorder",
        "syndrome",
        "type",
        "stage",
        "primary",
        "secondary",
        "left",
        "right",
        "bilateral",
        "inferior",
        "anterior",
        "posterior",
        "lateral",
        "severe",
        "mild",
        "moderate",
        "with",
        "without",
        "due",
        "to",
        "of",
        "the",
        "and",
        "in",
        "a",
        "an",
        "uncomplicated",
        "unspecified",
        "new",
        "onset",
        "community",
        "acquired",
        "episode",
    ]
)
#: Capitalised initialisms that are ordinary words, never treated as a secret's abbreviation.
WORDS = frozenset(
    [
        "AM",
        "AN",
        "AS",
        "AT",
        "BE",
        "BY",
        "DO",
        "GO",
        "HE",
        "IF",
        "IN",
        "IS",
        "IT",
        "ME",
        "MY",
        "NO",
        "OF",
        "ON",
        "OR",
        "SO",
        "TO",
        "UP",
        "US",
        "WE",
    ]
)
_SUFFIXES = (
    "itis", "isms", "ism", "ations", "ation", "ions", "ion", "ings", "ing", "ial", "ies", "ous",
    "ed", "es",
    "al", "um", "us", "ia", "ic", "s", "i", "y", "e",
)  # fmt: skip
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_NUMBER = re.compile(r"^\d[\d,. ]*\d$|^\d$")


@lru_cache(maxsize=1)
def _forms() -> dict[str, str]:
    """Other form -> canonical form (``data/word_forms.yaml``)."""
    from importlib import resources

    from medsim.yamlload import safe_load

    text = resources.files("medsim.patients").joinpath("data", "word_forms.yaml").read_text("utf-8")
    table = safe_load(text) or {}
    return {str(v).lower(): str(k).lower() for k, vs in table.items() for v in vs}


@lru_cache(maxsize=1 << 16)
def root(word: str) -> str:
    """A stem for comparing inflected forms (embolism/emboli/embolic -> embol); other forms of
    a body part (venous, pulmonary) become their canonical noun first."""
    w = _forms().get(word.lower(), word.lower())
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)]
    return w


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with transpositions, stopping early once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=1 << 18)
def word_matches(secret_word: str, token: str) -> bool:
    """``token`` is ``secret_word`` up to case, inflection or (for long words) a typo."""
    s, t = secret_word.lower(), token.lower()
    if s == t or root(s) == root(t):
        return True
    if len(s) < 5 or s.isdigit() or t[:1] != s[:1]:
        return False
    limit = 2 if len(s) >= 9 else 1
    return edit_distance(s, t, limit) <= limit or edit_distance(root(s), root(t), limit) <= limit


@dataclass(frozen=True)
class _Secret:
    text: str
    words: tuple[str, ...]  # content words that must all appear
    initialism: str | None  # capitals, matched case-sensitively as a whole word
    number: re.Pattern[str] | None


def _compile(secret: str) -> _Secret | None:
    raw = secret.strip()
    if not raw:
        return None
    if _NUMBER.match(raw):
        digits = re.sub(r"\D", "", raw.split(".")[0])
        frac = raw.split(".", 1)[1] if "." in raw else ""
        body = r"[,\s]?".join(re.escape(d) for d in digits)
        body += re.escape("." + frac) if frac else ""
        return _Secret(raw, (), None, re.compile(rf"(?<![\d.]){body}(?![\d])"))
    all_words = _TOKEN.findall(raw)
    words = tuple(w for w in all_words if w.lower() not in GENERIC) or tuple(all_words)
    initial = "".join(w[0] for w in words).upper() if len(words) >= 2 else None
    if initial is not None and (len(initial) < 2 or initial in WORDS):
        initial = None
    return _Secret(raw, words, initial, None)


class LeakGuard:
    """Finds and redacts a case's secrets in text (see module docstring)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        compiled = (_compile(s) for s in dict.fromkeys(str(s) for s in secrets))
        self.secrets: tuple[_Secret, ...] = tuple(s for s in compiled if s is not None)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, secret) character spans of every mention, left to right, merged."""
        spans: list[tuple[int, int, str]] = []
        toks = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
        for secret in self.secrets:
            if secret.number is not None:
                spans += [(m.start(), m.end(), secret.text) for m in secret.number.finditer(text)]
                continue
            spans += self._word_spans(secret, toks)
            if secret.initialism is not None:
                spans += [(s, e, secret.text) for s, e, w in toks if w == secret.initialism]
        spans.sort()
        merged: list[tuple[int, int, str]] = []
        for s, e, what in spans:
            if merged and s <= merged[-1][1]:
                ps, pe, pw = merged[-1]
                merged[-1] = (ps, max(pe, e), pw)
            else:
                merged.append((s, e, what))
        return merged

    @staticmethod
    def _word_spans(
        secret: _Secret, toks: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        """Windows of tokens holding every content word of ``secret`` (any order)."""
        k = len(secret.words)
        window = k + 3
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(toks):
            if not any(word_matches(w, toks[i][2]) for w in secret.words):
                i += 1
                continue
            used: list[int] = []
            for w in secret.words:
                for j in range(i, min(len(toks), i + window)):
                    if j not in used and word_matches(w, toks[j][2]):
                        used.append(j)
                        break
                else:
                    break
            if len(used) == k:
                out.append((toks[min(used)][0], toks[max(used)][1], secret.text))
                i = max(used) + 1
            else:
                i += 1
        return out

    def redact(self, text: str) -> tuple[str, list[str]]:
        """``text`` with every mention replaced by ``[redacted]``, and the secrets found."""
        spans = self.find(text)
        out, last = [], 0
        for s, e, _ in spans:
            out.append(text[last:s])
            out.append(REDACTED)
            last = e
        out.append(text[last:])
        return "".join(out), [what for _, _, what in spans]


__all__ = ["REDACTED", "LeakGuard", "edit_distance", "root", "word_matches"]
