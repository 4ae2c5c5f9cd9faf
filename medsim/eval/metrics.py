"""Run metrics from episode rows: success rate, pass@k, pass^k, mean score, checkpoint pass
rates by category, breakdowns by task facet, tokens/cost/wall time, bootstrap 95% CIs.

Estimators (per task with n graded trials of which c succeeded, then averaged over tasks):

* pass@k = 1 - C(n-c, k) / C(n, k)   — P(at least one of k trials succeeds), the unbiased
  estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on Code", HumanEval).
* pass^k = C(c, k) / C(n, k)         — P(all k trials succeed), tau-bench's reliability metric
  (Yao et al. 2024, "tau-bench"), unbiased in the same way.

Both need k <= n; tasks with fewer graded trials than k are left out of that k (and counted).
Confidence intervals resample *tasks* with replacement (trials stay with their task), 2,000
resamples, percentile method, fixed seed — so a CI says how much the number would move on another
draw of tasks like these. Infrastructure errors are never scored.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

Row = dict[str, Any]  # EpisodeRow.data(with_record=False)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task (Chen et al. 2021)."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k for one task (tau-bench, Yao et al. 2024)."""
    _check(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def _check(n: int, c: int, k: int) -> None:
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")


def bootstrap_ci(
    values_in: Sequence[float],
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile CI of the mean of ``values_in``, resampled with replacement (None for < 2)."""
    items = [float(v) for v in values_in]
    if len(items) < 2:
        return None
    rng = random.Random(seed)
    values = sorted(
        _mean([items[rng.randrange(len(items))] for _ in items]) for _ in range(resamples)
    )
    lo = values[int((1 - level) / 2 * resamples)]
    hi = values[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return (lo, hi)


def _mean(xs: Iterable[float]) -> float:
    vals = list(xs)
    return sum(vals) / len(vals) if vals else float("nan")


def by_task(rows: Iterable[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[r["task_id"]].append(r)
    return dict(out)


def success_block(rows: list[Row], ks: Sequence[int] = (1, 2, 3, 5)) -> dict[str, Any]:
    """Success rate, mean score, pass@k and pass^k (with CIs) of graded rows."""
    tasks = by_task(rows)
    successes = [[float(bool(r["success"])) for r in rs] for rs in tasks.values()]
    scores = [[float(r["score"] or 0.0) for r in rs] for rs in tasks.values()]
    per_task_success = [_mean(s) for s in successes]
    per_task_score = [_mean(s) for s in scores]
    out: dict[str, Any] = {
        "episodes": len(rows),
        "tasks": len(tasks),
        "success_rate": _mean(per_task_success) if tasks else None,
        "success_rate_ci95": bootstrap_ci(per_task_success),
        "mean_score": _mean(per_task_score) if tasks else None,
        "mean_score_ci95": bootstrap_ci(per_task_score),
        "pass_at_k": {},
        "pass_hat_k": {},
    }
    max_n = max((len(s) for s in successes), default=0)
    for k in sorted(set(ks) | set(range(1, max_n + 1))):
        eligible = [(len(s), int(sum(s))) for s in successes if len(s) >= k]
        if not eligible:
            continue
        at = [pass_at_k(n, c, k) for n, c in eligible]
        hat = [pass_hat_k(n, c, k) for n, c in eligible]
        out["pass_at_k"][str(k)] = {"value": _mean(at), "ci95": bootstrap_ci(at), "tasks": len(at)}
        out["pass_hat_k"][str(k)] = {
            "value": _mean(hat),
            "ci95": bootstrap_ci(hat),
            "tasks": len(hat),
        }
    return out


def facet_breakdowns(rows: list[Row]) -> dict[str, dict[str, Any]]:
    """Facet -> value -> {episodes, tasks, success_rate, mean_score}; list facets (tags) count
    an episode under each of its values."""
    groups: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for facet, value in (r.get("task_meta") or {}).items():
            for v in value if isinstance(value, list) else [value]:
                groups[facet][str(v)].append(r)
    out: dict[str, dict[str, Any]] = {}
    for facet, values in sorted(groups.items()):
        out[facet] = {}
        for value, rs in sorted(values.items()):
            tasks = by_task(rs)
            out[facet][value] = {
                "episodes": len(rs),
                "tasks": len(tasks),
                "success_rate": _mean(
                    _mean(float(bool(r["success"])) for r in t) for t in tasks.values()
                ),
                "mean_score": _mean(
                    _mean(float(r["score"] or 0) for r in t) for t in tasks.values()
                ),
            }
    return out


def checkpoint_rates(rows: list[Row]) -> dict[str, Any]:
    """Pass rates per checkpoint category and per (task, checkpoint)."""
    by_cat: dict[str, list[float]] = defaultdict(list)
    by_task_cp: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for cid, c in (r.get("checkpoints") or {}).items():
            passed = float(c.get("status") == "passed")
            by_cat[str(c.get("category") or "other")].append(passed)
            by_task_cp[r["task_id"]][cid].append(passed)
    return {
        "by_category": {k: {"pass_rate": _mean(v), "n": len(v)} for k, v in sorted(by_cat.items())},
        "by_task": {
            t: {c: _mean(v) for c, v in cps.items()} for t, cps in sorted(by_task_cp.items())
        },
    }


def cost_block(rows: list[Row]) -> dict[str, Any]:
    """Tokens, cost and wall time: totals and per-episode means."""
    n = len(rows) or 1
    tokens = [r["prompt_tokens"] + r["completion_tokens"] for r in rows]
    return {
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "completion_tokens": sum(r["completion_tokens"] for r in rows),
        "cost_usd": sum(r["cost_usd"] for r in rows),
        "wall_seconds": sum(r["wall_seconds"] for r in rows),
        "per_episode": {
            "tokens": sum(tokens) / n,
            "cost_usd": sum(r["cost_usd"] for r in rows) / n,
            "wall_seconds": sum(r["wall_seconds"] for r in rows) / n,
            "steps": sum(r["steps"] for r in rows) / n,
        },
    }


def summarize(rows: list[Row], infra_rows: list[Row] | None = None) -> dict[str, Any]:
    """Every metric of one run (graded rows; infrastructure-error rows only listed)."""
    infra = [
        {"task_id": r["task_id"], "trial": r["trial"], "attempt": r["attempt"], "error": r["error"]}
        for r in infra_rows or []
    ]
    return {
        **success_block(rows),
        "breakdowns": facet_breakdowns(rows),
        "checkpoints": checkpoint_rates(rows),
        "cost": cost_block(rows),
        "stopped_early": sum(1 for r in rows if r.get("stop_reason")),
        "truncated": sum(1 for r in rows if r.get("truncated")),
        "infra_errors": infra,
    }
