"""``medsim compare RUN_A RUN_B``: a paired comparison of two runs on the tasks they share.

* Per task: Fisher's exact test (two-sided; Fisher 1922) on the success counts of A's and B's
  trials — with few trials it mostly says "cannot tell", which is the honest answer.
* Over tasks: the mean per-task difference in success rate and in score (B - A), a bootstrap 95%
  CI of it (tasks resampled), and an exact sign-flip permutation test of the per-task score
  differences (all 2^n sign patterns up to 16 tasks, else 20,000 random ones, fixed seed).
  Pairing by task removes task difficulty from the comparison.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

from medsim.eval.metrics import bootstrap_ci, by_task
from medsim.eval.report import RunData

EXACT_LIMIT = 16


def fisher_exact(a_success: int, a_n: int, b_success: int, b_n: int) -> float:
    """Two-sided p of Fisher's exact test on [[a_s, a_n-a_s], [b_s, b_n-b_s]] (sum of the
    probabilities of tables no more likely than the observed one)."""
    if not (0 <= a_success <= a_n and 0 <= b_success <= b_n) or a_n + b_n == 0:
        raise ValueError("need 0 <= successes <= trials and at least one trial")
    k, n = a_success + b_success, a_n + b_n
    total = math.comb(n, k)

    def prob(x: int) -> float:
        return math.comb(a_n, x) * math.comb(b_n, k - x) / total

    observed = prob(a_success)
    lo, hi = max(0, k - b_n), min(k, a_n)
    p = sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= observed * (1 + 1e-7))
    return min(1.0, p)


def sign_flip_p(diffs: list[float], resamples: int = 20_000, seed: int = 0) -> float:
    """Two-sided p of the paired sign-flip permutation test of mean(diffs) = 0."""
    if not diffs:
        return 1.0
    observed = abs(sum(diffs)) - 1e-12
    if len(diffs) <= EXACT_LIMIT:
        patterns = itertools.product((1, -1), repeat=len(diffs))
        hits = total = 0
        for signs in patterns:
            total += 1
            hits += abs(sum(s * d for s, d in zip(signs, diffs, strict=True))) >= observed
        return hits / total
    rng = random.Random(seed)
    hits = sum(
        abs(sum(d if rng.random() < 0.5 else -d for d in diffs)) >= observed
        for _ in range(resamples)
    )
    return (hits + 1) / (resamples + 1)


def compare_runs(a: RunData, b: RunData) -> dict[str, Any]:
    """The comparison as JSON data (see module docstring)."""
    ta, tb = by_task(a.rows), by_task(b.rows)
    shared = sorted(set(ta) & set(tb))
    per_task = []
    d_success: list[float] = []
    d_score: list[float] = []
    for task in shared:
        ra, rb = ta[task], tb[task]
        sa, sb = sum(bool(r["success"]) for r in ra), sum(bool(r["success"]) for r in rb)
        mean_a = sum(float(r["score"] or 0) for r in ra) / len(ra)
        mean_b = sum(float(r["score"] or 0) for r in rb) / len(rb)
        d_success.append(sb / len(rb) - sa / len(ra))
        d_score.append(mean_b - mean_a)
        per_task.append(
            {
                "task_id": task,
                "a": {"successes": sa, "trials": len(ra), "mean_score": mean_a},
                "b": {"successes": sb, "trials": len(rb), "mean_score": mean_b},
                "fisher_p": fisher_exact(sa, len(ra), sb, len(rb)),
            }
        )
    n = len(shared)
    return {
        "a": {"name": a.name, "label": a.label},
        "b": {"name": b.name, "label": b.label},
        "shared_tasks": n,
        "only_in_a": sorted(set(ta) - set(tb)),
        "only_in_b": sorted(set(tb) - set(ta)),
        "success_diff": sum(d_success) / n if n else None,
        "success_diff_ci95": bootstrap_ci(d_success),
        "score_diff": sum(d_score) / n if n else None,
        "score_diff_ci95": bootstrap_ci(d_score),
        "sign_flip_p": sign_flip_p(d_score),
        "per_task": per_task,
    }


def format_comparison(c: dict[str, Any]) -> str:
    """A readable table of :func:`compare_runs` output."""
    lines = [f"A = {c['a']['label']} ({c['a']['name']}), B = {c['b']['label']} ({c['b']['name']})"]
    lines.append(
        f"{'task':<32} {'A succ':>8} {'B succ':>8} {'A score':>8} {'B score':>8} {'Fisher p':>9}"
    )
    for t in c["per_task"]:
        a, b = t["a"], t["b"]
        lines.append(
            f"{t['task_id'][:32]:<32} {a['successes']:>3}/{a['trials']:<4} {b['successes']:>3}/{b['trials']:<4} "
            f"{a['mean_score']:>8.3f} {b['mean_score']:>8.3f} {t['fisher_p']:>9.3f}"
        )
    if c["shared_tasks"]:
        ci = c["score_diff_ci95"]
        ci_text = f" (95% CI {ci[0]:+.3f} to {ci[1]:+.3f})" if ci else ""
        lines.append(
            f"\n{c['shared_tasks']} shared task(s): success B-A {100 * c['success_diff']:+.1f} points, "
            f"score B-A {c['score_diff']:+.3f}{ci_text}, paired sign-flip p = {c['sign_flip_p']:.4f}"
        )
    else:
        lines.append("\nno shared tasks: nothing to compare")
    for key in ("only_in_a", "only_in_b"):
        if c[key]:
            lines.append(f"{key.replace('_', ' ')}: {', '.join(c[key])}")
    return "\n".join(lines)
