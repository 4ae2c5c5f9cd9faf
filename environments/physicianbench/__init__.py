"""PhysicianBench-v0: e-consult tasks (PhysicianBench, HealthRex 2026) on medsim's own workbench.

Every task is an instance of a scenario template (``templates/*.yaml``, format in AUTHORING.md):
a requesting clinician asks a question about one patient; the agent reads the chart across
several encounters and notes, acts (orders, messages) and writes its reply into the episode
workspace. ``split="test"`` (default) gives the curated instances, ``split="train"`` the
shipped train set (``data/train.ndjson.xz``, written by ``medsim tasks generate
PhysicianBench-v0 --split train``; instances of the same templates on cohort patients who host
no test instance), ``split="regenerated"`` a fresh test-like set drawn with ``variant_seed``
(same specialty / task type / difficulty mix, non-test patients). No server and no API key are
needed: the EHR is medsim's embedded FHIR engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsim.core.template_suite import TemplateSuite
from medsim.environments.physicianbench.workbench.names import WORKBENCH

if TYPE_CHECKING:
    from medsim.core.env import ClinicalEnv  # imported when an env is made: listings stay fast

SYSTEM_PROMPT = (
    "You are a subspecialist physician answering an electronic consultation (e-consult) from a "
    "colleague about one of their patients. You work in the patient's electronic health record "
    "(FHIR R4) through the tools: review the chart thoroughly (problems, medications, "
    "allergies, labs over time, vitals, notes from several encounters), place any orders the "
    "situation needs, reply to the requesting clinician, and write the deliverable files the "
    "task asks for with write_file. Codes matter: look them up with terminology_search rather "
    "than guessing; a search with a wrong code finds nothing. Call finish when you are done."
)

SUITE = TemplateSuite(
    name="physicianbench",
    tasks_dir=Path(__file__).parent / "templates",
    description="PhysicianBench-style e-consult tasks from scenario templates (workbench tools, "
    "workspace deliverables, rule-verified checkpoints and safety gates).",
    plain_text="error",
    system_prompt=SYSTEM_PROMPT,
    tool_modules=(
        "medsim.environments.physicianbench.workbench.read",
        "medsim.environments.physicianbench.workbench.write",
        "medsim.tools.terminology",
        "medsim.tools.workspace",
    ),
    extras={"template_context": {"workbench": list(WORKBENCH)}},
    train_file=Path(__file__).parent / "data" / "train.ndjson.xz",
)

SPLITS = ("test", "train", "regenerated")


def make_env(
    split: str = "test",
    train_count: int | None = None,
    variant_seed: int = 0,
    tasks_file: str | Path | None = None,
    **kwargs: Any,
) -> ClinicalEnv:
    """The PhysicianBench-v0 environment.

    Args:
        split: "test" (curated instances, default), "train" (the shipped train set; same reset
            seed, same instance) or "regenerated" (a fresh test-like set for ``variant_seed``).
        train_count: Generate this many train instances per template instead of loading the
            shipped set.
        variant_seed: The regenerated set to draw (``split="regenerated"``).
        tasks_file: A packed file written by ``medsim tasks generate`` (any split) to use
            instead.
        **kwargs: Passed to :class:`ClinicalEnv` (``fhir``, ``reward``, ``judge`` ...).
    """
    from medsim.core.env import ClinicalEnv
    from medsim.tasks.packed import load_packed

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    if "tasks" not in kwargs:
        if tasks_file is not None:
            kwargs["tasks"] = list(load_packed(str(tasks_file)))
            SUITE.check_tasks(kwargs["tasks"])
        elif split == "test":
            kwargs["tasks"] = SUITE.tasks()
        elif split == "train":
            kwargs["tasks"] = SUITE.train_tasks(train_count)
        else:
            kwargs["tasks"] = SUITE.generate("test", seed=variant_seed)
    return ClinicalEnv(SUITE, split="train" if split == "train" else "test", **kwargs)


__all__ = ["SPLITS", "SUITE", "SYSTEM_PROMPT", "make_env"]
