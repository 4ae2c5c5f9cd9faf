"""Per-question information gain for Dialogue-Partial-v0 (MediQ / ProMed style, optional).

Let ``H`` be the case's hidden facts (those not given at the start) and ``R_t`` the facts the
agent's question ``t`` reveals (the facts it reaches by intent: what the scripted patient
answers). Each hidden fact ``f`` has a value ``phi_f`` (below) and question ``t`` earns

    r_t = beta * sum(phi_f for f in R_t not revealed by an earlier question)

so re-asking earns nothing and an episode earns at most ``beta``. Like the checkpoint dense
rewards, it is an advance on the task score: the last step pays ``score - (everything paid)``,
so **the rewards of an episode always sum to its task score** — information gain moves credit to
the informative questions, it never changes what an episode is worth.

Fact values ``phi`` (``mode``):

* ``"uniform"``: ``phi_f = 1 / |H|``;
* ``"shapley"`` (default): Shapley values of a cooperative game over hidden facts, after
  ProMed's Shapley information gain (Ding et al., 2025, arXiv 2508.13514). If the case lists
  ``decisive`` fact sets (each alone enough for the diagnosis), the game is
  ``v(S) = 1 if S contains every hidden fact of some decisive set else 0``, and
  ``phi_f = sum over S in N\\{f} of |S|! (n-|S|-1)! / n! * (v(S+f) - v(S))`` over the ``n`` facts
  named in decisive sets (exact up to :data:`EXACT_LIMIT` players, else a seeded Monte Carlo
  estimate over permutations); facts in no decisive set are worth 0. Without ``decisive`` the
  game is additive over the key facts ``K`` (must-ask and red-flag facts in ``H``),
  ``v(S) = |S & K| / |K|``, whose Shapley values are ``1/|K|`` for key facts and 0 otherwise.
  Either way ``sum(phi) = 1`` when some hidden fact matters.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

EXACT_LIMIT = 14
SAMPLES = 2000


def _decisive_value(groups: Sequence[frozenset[str]]) -> Callable[[frozenset[str]], float]:
    def v(coalition: frozenset[str]) -> float:
        return 1.0 if any(g <= coalition for g in groups) else 0.0

    return v


def shapley(
    players: Sequence[str], groups: Sequence[frozenset[str]], seed: int = 0
) -> dict[str, float]:
    """Shapley values of the decisive-set game over ``players`` (see module docstring)."""
    v = _decisive_value(groups)
    n = len(players)
    if n == 0:
        return {}
    if n <= EXACT_LIMIT:
        out = {}
        fact = math.factorial
        for p in players:
            rest = [q for q in players if q != p]
            total = 0.0
            for size in range(len(rest) + 1):
                weight = fact(size) * fact(n - size - 1) / fact(n)
                for combo in itertools.combinations(rest, size):
                    s = frozenset(combo)
                    total += weight * (v(s | {p}) - v(s))
            out[p] = total
        return out
    rng = np.random.default_rng(seed)
    sums = dict.fromkeys(players, 0.0)
    for _ in range(SAMPLES):
        order = [players[i] for i in rng.permutation(n)]
        coalition: frozenset[str] = frozenset()
        for p in order:
            grown = coalition | {p}
            sums[p] += v(grown) - v(coalition)
            coalition = grown
    return {p: s / SAMPLES for p, s in sums.items()}


def fact_values(
    hidden: Iterable[str],
    key: Iterable[str],
    decisive: Sequence[Iterable[str]] = (),
    mode: str = "shapley",
) -> dict[str, float]:
    """``phi`` for every hidden fact (see module docstring)."""
    hidden = list(dict.fromkeys(hidden))
    if mode not in ("uniform", "shapley"):
        raise ValueError(f"info-gain mode must be 'uniform' or 'shapley', not {mode!r}")
    values = dict.fromkeys(hidden, 0.0)
    if not hidden:
        return values
    if mode == "uniform":
        return dict.fromkeys(hidden, 1.0 / len(hidden))
    groups = [frozenset(g) & frozenset(hidden) for g in decisive]
    groups = [g for g in groups if g]
    if groups:
        players = sorted(set().union(*groups))
        values.update(shapley(players, groups))
        return values
    keys = [k for k in dict.fromkeys(key) if k in values]
    for k in keys:
        values[k] = 1.0 / len(keys)
    return values


class InfoGain:
    """Per-episode accounting: call :meth:`reveal` with each question's facts."""

    def __init__(self, values: dict[str, float], beta: float, known: Iterable[str] = ()) -> None:
        if beta < 0:
            raise ValueError(f"info_gain must be >= 0, not {beta}")
        self.values = values
        self.beta = beta
        self.revealed: set[str] = set(known)
        self.paid = 0.0

    def reveal(self, fact_ids: Iterable[str]) -> float:
        """The reward for revealing ``fact_ids`` (0 for facts already known)."""
        new = [f for f in dict.fromkeys(fact_ids) if f not in self.revealed]
        self.revealed.update(new)
        reward = self.beta * sum(self.values.get(f, 0.0) for f in new)
        self.paid += reward
        return reward


__all__ = ["EXACT_LIMIT", "InfoGain", "fact_values", "shapley"]
