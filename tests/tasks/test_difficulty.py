"""The difficulty rule (medsim.tasks.difficulty): points and labels worked out by hand from
the rule as AUTHORING.md states it, branch counting on small Jinja sources."""

from __future__ import annotations

import pytest

from medsim.tasks.difficulty import Metrics, count_branches, template_metrics


@pytest.mark.parametrize(
    ("metrics", "points", "label"),
    [
        (Metrics(tool_calls=9, sources=2, conflicts=0, traps=0, branches=0), 0, "easy"),
        # 20-29 calls 1, 4-6 sources 1, 1 conflict, 1 trap, 1-2 branches 1 -> 5 (< 6)
        (Metrics(tool_calls=25, sources=5, conflicts=1, traps=1, branches=2), 5, "easy"),
        # 30-39 calls 2, >= 7 sources 2, 1 + 1, 0 branches -> 6
        (Metrics(tool_calls=30, sources=7, conflicts=1, traps=1, branches=0), 6, "medium"),
        # conflicts and traps count at most 2 each; >= 3 branches 2 -> 1 + 0 + 2 + 2 + 2 = 7
        (Metrics(tool_calls=20, sources=3, conflicts=5, traps=4, branches=3), 7, "medium"),
        # 40 calls but no trap: not hard (3 + 2 + 2 + 0 + 2 = 9 points -> medium)
        (Metrics(tool_calls=40, sources=9, conflicts=2, traps=0, branches=5), 9, "medium"),
        # the hard bar: >= 40 calls, >= 1 conflict, >= 1 trap (3 + 0 + 1 + 1 + 0 = 5 points)
        (Metrics(tool_calls=40, sources=0, conflicts=1, traps=1, branches=0), 5, "hard"),
        (Metrics(tool_calls=39, sources=12, conflicts=3, traps=3, branches=4), 10, "medium"),
    ],
)
def test_points_and_labels(metrics: Metrics, points: int, label: str) -> None:
    assert metrics.points() == points
    assert metrics.label() == label
    assert metrics.as_dict()["label"] == label


def test_template_takes_the_minimum_over_its_instances() -> None:
    a = Metrics(tool_calls=44, sources=6, conflicts=1, traps=1, branches=2)
    b = Metrics(tool_calls=38, sources=8, conflicts=1, traps=1, branches=2)
    both = template_metrics([a, b])
    assert (both.tool_calls, both.sources) == (38, 6)
    assert a.label() == "hard" and both.label() != "hard"
    with pytest.raises(ValueError, match="curated instance"):
        template_metrics([])


def test_branches_count_derived_values_in_conditions() -> None:
    body = (
        "{% if refer %}refer{% endif %} {{ 'stop' if stop else 'halve' }} "
        "{{ dose }} {% if k > 6 %}x{% endif %}"
    )
    derived = (("refer", "fib4 >= 1.3"), ("stop", "k > 6.0"), ("dose", "5"), ("k2", "k"))
    assert count_branches(body, derived) == 2  # refer, stop; k is a parameter, dose not tested
    chained = (*derived, ("crit", "(age >= 80) + (weight <= 60)"), ("d", "2.5 if crit >= 2 else 5"))
    assert count_branches(body, chained) == 3  # + crit, tested inside derived d
    assert count_branches("no branches {{ dose }}", derived) == 0
