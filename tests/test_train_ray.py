"""Env workers on a local Ray cluster (one process tree, 2 CPUs): order, retry, eval --ray."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the ray extra")

from medsim.eval.db import DONE, ResultsDB  # noqa: E402
from medsim.eval.runner import EvalSpec, run_eval  # noqa: E402
from medsim.train.ray_pool import run_units_on_ray  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_results_in_order_and_a_dead_worker_is_retried_once(cluster: None, tmp_path: Path) -> None:
    (tmp_path / "crash.demo-k-replace").touch()  # the first worker to run this unit dies
    spec = EvalSpec(env_id="Demo-v0", agent="reference", out=tmp_path, progress=False)
    units = [("demo-k-latest", 0), ("demo-k-replace", 0), ("demo-k-latest", 1)]
    units += [("demo-k-replace", 1), ("demo-k-latest", 2)]
    out = run_units_on_ray(spec, units, num_workers=2, crash_marker=str(tmp_path / "crash"))
    assert not (tmp_path / "crash.demo-k-replace").exists()  # the crash did happen
    assert [(row.task_id, row.trial) for row, _ in out] == units
    assert all(row.status == DONE and row.score == 1.0 for row, _ in out)
    assert len({pid for _, pid in out}) >= 2


def test_medsim_eval_on_ray(cluster: None, tmp_path: Path) -> None:
    spec = EvalSpec(
        env_id="Demo-v0",
        agent="reference",
        out=tmp_path,
        trials=2,
        progress=False,
        ray="local",
        ray_workers=2,
    )
    outcome = run_eval(spec)
    assert (outcome.planned, outcome.ran, outcome.infra_errors) == (6, 6, 0)
    db = ResultsDB(tmp_path)
    rows = db.episodes(spec.name, DONE)
    db.close()
    assert sorted((r.task_id, r.trial) for r in rows) == sorted(
        (t, k) for t in ("demo-k-latest", "demo-k-replace", "demo-note-a1c") for k in (0, 1)
    )
    assert all(r.score == 1.0 for r in rows)
    # resuming finds everything done and runs nothing
    again = run_eval(spec)
    assert again.ran == 0 and again.skipped == 6
