"""Task reference solutions score 1.0 — and negative controls less — on the real HAPI server too.

The tasks' patients (and the practitioners, organisations and locations they reference) are
uploaded from the shipped cohort; each task's overlay is put on the server by the HTTP backend
for the episode and removed at reset. CI runs Demo-v0 whole and a seeded sample of
MedCalc-EHR-v0; the full run is ``MEDSIM_HAPI_FULL=1 pytest tests/hapi -k reference``.
"""

from __future__ import annotations

import os
import random
import re

import pytest

from medsim.core.validate import validate_tasks
from medsim.data.cohort import patient_subset
from medsim.fhir.upload import upload
from medsim.registry import get_suite

pytestmark = pytest.mark.hapi
SAMPLE = None if os.environ.get("MEDSIM_HAPI_FULL") else 8


@pytest.mark.parametrize("env_id", ["Demo-v0", "MedCalc-EHR-v0"])
def test_reference_solutions_score_one_on_hapi(hapi_url: str, env_id: str) -> None:
    suite = get_suite(env_id)
    tasks = suite.tasks()
    if SAMPLE is not None and len(tasks) > SAMPLE:
        tasks = random.Random(0).sample(tasks, SAMPLE)
    # the tasks' patients, and any other patient their scripted actions touch (wrong-patient controls)
    mentioned = {m for t in tasks for m in re.findall(r"pat-\d{4}", t.model_dump_json())}
    upload(hapi_url, patient_subset({t.patient for t in tasks} | mentioned), progress=False)
    reports = validate_tasks(suite, tasks, env_kwargs={"fhir": hapi_url})
    problems = {r.task_id: r.problems for r in reports if r.problems}
    assert problems == {}, problems
    assert all(r.scores["reference"] == 1.0 for r in reports)
