"""MedCalc-v0: a patient note and a question, answered with a number or a date, graded by
MedCalc-Bench's rule.

550 tasks (10 per calculator, all 55 MedCalc-Bench calculators) generated with a fixed seed
from structured cases (``python -m medsim.environments.medcalc.generate``): the note is written
from the case, the truth comes from :mod:`medsim.calculators`. The agent may call
``list_calculators`` and ``calculate`` and answers with ``finish``. No EHR is loaded.

Options of ``medsim.make("MedCalc-v0", ...)`` besides :class:`ClinicalEnv`'s:

* ``calculator_tools="calculate" | "per_calculator" | "both"``: offer one ``calc_<id>`` tool
  per calculator instead of (or beside) ``calculate``;
* ``dataset="medcalc-bench-v1"``: MedCalc-Bench v1.0's own 1,047 test rows (its notes and
  labels, CC BY-SA 4.0) instead of the generated tasks. See docs/medcalc.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medsim.environments.medcalc.suite import TASKS_DIR, PackedSuite, with_tool_style

if TYPE_CHECKING:
    from medsim.core.env import ClinicalEnv  # imported when an env is made: listings stay fast

SYSTEM_PROMPT = (
    "You are a clinician's assistant answering a medical calculation question about a patient "
    "note. Extract the values the question needs (mind their units), use the calculator tools "
    "when helpful (list_calculators shows each calculator's inputs and units; calculate runs "
    "one), then call finish with the answer in the requested format."
)

SUITE = PackedSuite(
    name="medcalc",
    tasks_dir=TASKS_DIR,
    packed=TASKS_DIR / "medcalc-v0.ndjson.gz",
    description="MedCalc-Bench-style calculation questions on generated clinical notes.",
    plain_text="answer",  # a plain-text reply is taken as the final answer
    system_prompt=SYSTEM_PROMPT,
    tool_modules=("medsim.tools.calculate",),
    data=lambda: None,  # no EHR: the note is in the instruction
)

DATASETS = ("synthetic", "medcalc-bench-v1")


def make_env(
    *, calculator_tools: str = "calculate", dataset: str = "synthetic", **kwargs: Any
) -> ClinicalEnv:
    """The MedCalc-v0 environment (see the module doc for the two extra options)."""
    from medsim.core.env import ClinicalEnv

    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, not {dataset!r}")
    if "tasks" in kwargs:
        tasks = list(kwargs.pop("tasks"))
    elif dataset == "medcalc-bench-v1":
        from medsim.environments.medcalc.benchv1 import bench_tasks

        tasks = bench_tasks()
    else:
        tasks = SUITE.tasks()
    return ClinicalEnv(SUITE, tasks=with_tool_style(tasks, calculator_tools), **kwargs)
