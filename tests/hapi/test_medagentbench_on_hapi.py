"""MedAgentBench-v0 on the real HAPI server: 3 test tasks per category (30), their reference
solutions score 1.0 and their negative controls 0. The tasks' patients (and every patient a
control touches) are uploaded from the suite's derived chart (Patient ids are MRNs)."""

from __future__ import annotations

import random
import re
from collections import defaultdict

import pytest

from medsim.core.validate import validate_tasks
from medsim.data.cohort import patient_subset
from medsim.environments.medagentbench import SUITE
from medsim.environments.medagentbench.chart import chart_path
from medsim.fhir.upload import upload

pytestmark = pytest.mark.hapi


def test_medagentbench_sample_on_hapi(hapi_url: str) -> None:
    by_category: dict[str, list] = defaultdict(list)
    for task in SUITE.tasks():
        if task.split == "test":
            by_category[task.metadata.tags[1]].append(task)
    rng = random.Random(0)
    tasks = [t for group in by_category.values() for t in rng.sample(group, 3)]
    assert len(tasks) == 30
    mentioned = {m for t in tasks for m in re.findall(r"S\d{7}", t.model_dump_json())}
    upload(hapi_url, patient_subset(mentioned, chart_path()), progress=False)
    reports = validate_tasks(SUITE, tasks, env_kwargs={"fhir": hapi_url})
    problems = {r.task_id: r.problems for r in reports if r.problems}
    assert problems == {}, problems
    assert all(r.scores["reference"] == 1.0 for r in reports)
    assert all(v == 0.0 for r in reports for k, v in r.scores.items() if k != "reference")
