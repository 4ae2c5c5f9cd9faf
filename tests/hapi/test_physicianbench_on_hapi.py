"""PhysicianBench-v0 on the real HAPI server: a sample of 10 curated tasks, reference 1.0 and
every negative control below 1 (the workbench tools page with _offset, the overlays and the
episode's writes go through the HTTP backend)."""

from __future__ import annotations

import random
import re

import pytest

from medsim.core.validate import validate_tasks
from medsim.data.cohort import patient_subset
from medsim.fhir.upload import upload
from medsim.registry import get_suite

pytestmark = pytest.mark.hapi
SAMPLE = 10


def test_physicianbench_sample_on_hapi(hapi_url: str) -> None:
    suite = get_suite("PhysicianBench-v0")
    tasks = suite.tasks()
    if len(tasks) > SAMPLE:
        tasks = random.Random(0).sample(tasks, SAMPLE)
    assert len(tasks) >= 10
    mentioned = {m for t in tasks for m in re.findall(r"pat-\d{4}", t.model_dump_json())}
    upload(hapi_url, patient_subset({t.patient for t in tasks} | mentioned), progress=False)
    reports = validate_tasks(suite, tasks, env_kwargs={"fhir": hapi_url})
    problems = {r.task_id: r.problems for r in reports if r.problems}
    assert problems == {}, problems
    assert all(r.scores["reference"] == 1.0 for r in reports)
