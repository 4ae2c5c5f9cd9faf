"""pass@k / pass^k against hand-computed values, bootstrap CIs, Fisher's exact test and the
sign-flip test against values worked out by hand (and R's fisher.test)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.eval.compare import fisher_exact, sign_flip_p
from medsim.eval.metrics import (
    bootstrap_ci,
    checkpoint_rates,
    facet_breakdowns,
    pass_at_k,
    pass_hat_k,
    success_block,
)


@pytest.mark.parametrize(
    ("n", "c", "k", "at", "hat"),
    [
        (5, 2, 2, 0.7, 0.1),  # 1 - C(3,2)/C(5,2) = 1 - 3/10;  C(2,2)/C(5,2) = 1/10
        (4, 1, 1, 0.25, 0.25),
        (4, 0, 2, 0.0, 0.0),
        (3, 3, 3, 1.0, 1.0),
        (4, 2, 3, 1.0, 0.0),  # any 3 of 4 include a success; never 3 successes of 2
        (10, 5, 3, 1 - 10 / 120, 10 / 120),  # C(5,3)=10, C(10,3)=120
    ],
)
def test_pass_k_hand_computed(n: int, c: int, k: int, at: float, hat: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(at)
    assert pass_hat_k(n, c, k) == pytest.approx(hat)


def test_pass_k_rejects_bad_counts() -> None:
    for n, c, k in [(3, 4, 1), (3, 1, 4), (3, 1, 0), (3, -1, 1)]:
        with pytest.raises(ValueError):
            pass_at_k(n, c, k)


@given(st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_pass_k_shapes(nc: tuple[int, int]) -> None:
    n, c = nc
    assert pass_at_k(n, c, 1) == pytest.approx(c / n) == pytest.approx(pass_hat_k(n, c, 1))
    ats = [pass_at_k(n, c, k) for k in range(1, n + 1)]
    hats = [pass_hat_k(n, c, k) for k in range(1, n + 1)]
    assert all(a <= b + 1e-12 for a, b in zip(ats, ats[1:], strict=False))
    assert all(a >= b - 1e-12 for a, b in zip(hats, hats[1:], strict=False))
    # unbiased: the mean over all k-subsets of the n trials of "any/all succeed"
    k = min(2, n)
    subsets = [s for s in _subsets(n, k)]
    outcomes = [1] * c + [0] * (n - c)
    any_rate = sum(max(outcomes[i] for i in s) for s in subsets) / len(subsets)
    all_rate = sum(min(outcomes[i] for i in s) for s in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(any_rate)
    assert pass_hat_k(n, c, k) == pytest.approx(all_rate)


def _subsets(n: int, k: int) -> list[tuple[int, ...]]:
    import itertools

    return list(itertools.combinations(range(n), k))


def _row(task: str, trial: int, success: bool, score: float, **extra: object) -> dict:
    return {
        "task_id": task,
        "trial": trial,
        "success": success,
        "score": score,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost_usd": 0.01,
        "wall_seconds": 1.0,
        "steps": 3,
        "task_meta": extra.get("meta", {}),
        "checkpoints": extra.get("cps", {}),
    }


def test_success_block_averages_tasks_not_episodes() -> None:
    rows = [_row("a", t, t < 2, 1.0 if t < 2 else 0.5) for t in range(3)]
    rows += [_row("b", t, False, 0.0) for t in range(3)]
    m = success_block(rows)
    assert m["success_rate"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["mean_score"] == pytest.approx(((1 + 1 + 0.5) / 3 + 0) / 2)
    # task a: n=3, c=2 -> pass@2 = 1 - C(1,2)/C(3,2) = 1; pass^2 = C(2,2)/C(3,2) = 1/3
    assert m["pass_at_k"]["2"]["value"] == pytest.approx(0.5)
    assert m["pass_hat_k"]["2"]["value"] == pytest.approx(1 / 6)
    assert "4" not in m["pass_at_k"]  # no task has 4 trials


def test_bootstrap_ci_brackets_mean_and_is_seeded() -> None:
    xs = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    ci = bootstrap_ci(xs)
    assert ci is not None and ci[0] < sum(xs) / len(xs) < ci[1]
    assert bootstrap_ci(xs) == ci
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert bootstrap_ci([0.5]) is None


def test_breakdowns_and_checkpoint_categories() -> None:
    cps_ok = {"x": {"status": "passed", "category": "data_retrieved"}}
    cps_bad = {"x": {"status": "failed", "category": "data_retrieved"}}
    rows = [
        _row("a", 0, True, 1.0, meta={"specialty": "cardio", "tags": ["k", "labs"]}, cps=cps_ok),
        _row("b", 0, False, 0.0, meta={"specialty": "renal", "tags": ["labs"]}, cps=cps_bad),
    ]
    b = facet_breakdowns(rows)
    assert b["specialty"]["cardio"]["success_rate"] == 1.0
    assert b["specialty"]["renal"]["success_rate"] == 0.0
    assert b["tags"]["labs"]["episodes"] == 2 and b["tags"]["k"]["episodes"] == 1
    rates = checkpoint_rates(rows)
    assert rates["by_category"]["data_retrieved"] == {"pass_rate": 0.5, "n": 2}
    assert rates["by_task"] == {"a": {"x": 1.0}, "b": {"x": 0.0}}


def test_fisher_exact_hand_computed() -> None:
    # 3/3 vs 0/3: tables with x=3 or x=0 have p 1/20 each -> 0.1 (R: fisher.test gives 0.1)
    assert fisher_exact(3, 3, 0, 3) == pytest.approx(0.1)
    # 2/2 vs 0/3: P(x=2) = 1/10, P(0) = 3/10, P(1) = 6/10 -> p = 0.1
    assert fisher_exact(2, 2, 0, 3) == pytest.approx(0.1)
    assert fisher_exact(1, 2, 1, 2) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        fisher_exact(3, 2, 0, 1)


def test_sign_flip_hand_computed() -> None:
    assert sign_flip_p([1.0, 1.0, 1.0]) == pytest.approx(2 / 8)
    assert sign_flip_p([1.0, -1.0]) == pytest.approx(1.0)
    # |sum| >= 3 for (+,+) only among 4 patterns of [2, 1] ... and (-,-)
    assert sign_flip_p([2.0, 1.0]) == pytest.approx(2 / 4)
    assert sign_flip_p([]) == 1.0
    big = sign_flip_p([1.0] * 20)
    assert big < 0.001 and not math.isnan(big)
