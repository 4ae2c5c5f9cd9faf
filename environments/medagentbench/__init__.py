"""MedAgentBench-v0: MedAgentBench's 10 task categories (Jiang et al., "MedAgentBench: a virtual
EHR environment to benchmark medical LLM agents", NEJM AI 2025) on medsim's EHR.

300 test tasks (10 categories x 30 patients) and a train split (same templates, the other 70
patients, two scenarios each), packed in ``tasks/medagentbench-v0.ndjson.gz`` by
``python -m medsim.environments.medagentbench.generate``. The chart is the synthetic cohort as it
stood at MedAgentBench's fixed "now", 2023-11-13T10:15:00+00:00, with the local lab codes
beside LOINC and Patient ids equal to MRNs (:mod:`.chart`). Protocols, POST modes and grading
rules: :mod:`.env`; answers: :mod:`.answers`; differences from the original: README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medsim.environments.medcalc.suite import PackedSuite

TASKS_DIR = Path(__file__).parent / "tasks"
TASKS_FILE = TASKS_DIR / "medagentbench-v0.ndjson.gz"


def _chart() -> Path:
    from medsim.environments.medagentbench.chart import chart_path

    return chart_path()


SUITE = PackedSuite(
    name="medagentbench",
    tasks_dir=TASKS_DIR,
    packed=TASKS_FILE,
    description="MedAgentBench's 10 categories x 30 patients on the synthetic cohort at 2023-11-13.",
    plain_text="error",
    text_style="medagentbench",
    tool_modules=("medsim.environments.medagentbench.grading",),
    data=_chart,
    max_page_size=5000,
    default_split="test",
)


def make_env(**kwargs: Any) -> Any:
    """The MedAgentBench-v0 environment (keywords: ``protocol``, ``post_mode``, ``grading`` and
    every ``ClinicalEnv`` option)."""
    from medsim.environments.medagentbench.env import MedAgentBenchEnv

    return MedAgentBenchEnv(SUITE, **kwargs)
