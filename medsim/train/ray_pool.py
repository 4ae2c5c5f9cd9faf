"""Env workers as Ray actors: a batch of eval units spread over machines, results in order.

Each :class:`EnvWorker` actor holds one env (its own embedded EHR over the shared cohort file, or
the shared HAPI server when the env is made with ``fhir=URL``) and one agent, built from the
:class:`medsim.eval.runner.EvalSpec`, and runs an episode exactly like ``medsim eval`` does
(``medsim.eval.runner._episode``: the same row, the same seeds). :func:`run_units_on_ray` keeps
every live worker busy with one unit at a time and returns the rows in unit order. A worker that
dies (process crash, node lost) loses only the unit it held: that unit goes back to the front of
the queue and runs on another worker (a replacement actor is started in its place); a unit's row
is taken once, so nothing is counted twice. A unit that kills ``max_attempts`` workers stops the
run with an error naming it.

``ray.init(address=...)``: ``"local"`` starts a cluster in this process tree; ``"auto"`` or
``ray://host:10001`` joins a running one (docs/training.md has the multi-machine recipe).
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from pathlib import Path
from typing import Any

from medsim.eval.db import EpisodeRow
from medsim.eval.runner import EvalSpec


class EnvWorker:
    """One env + one agent; ``run(task_id, trial)`` plays an episode and returns its row (a dict).

    ``crash_marker`` is a fault-injection hook for tests: when the file ``<marker>.<task_id>``
    exists, the worker deletes it and exits its process (the driver must then retry the unit).
    """

    def __init__(self, spec: EvalSpec, crash_marker: str | None = None) -> None:
        from medsim.agents.spec import make_agent
        from medsim.eval.runner import _make_env

        self.spec = spec
        self.env = _make_env(spec)
        self.agent = (
            spec.agent_factory(self.env)
            if spec.agent_factory
            else make_agent(
                spec.agent,
                self.env,
                seed=spec.seed,
                options=spec.agent_options,
                client_options=spec.client_options,
            )
        )
        self.crash_marker = crash_marker
        self.pid = os.getpid()

    def run(self, task_id: str, trial: int) -> dict[str, Any]:
        from medsim.eval.runner import _episode

        if self.crash_marker is not None:
            marker = Path(f"{self.crash_marker}.{task_id}")
            if marker.exists():
                marker.unlink()
                os._exit(1)
        row = asyncio.run(_episode(self.env, self.agent, task_id, trial, self.spec))
        data = row.model_dump()
        data["_worker_pid"] = self.pid
        return data


def connect(address: str | None) -> None:
    """``ray.init`` unless Ray is already initialised (``"local"`` = a new local cluster)."""
    import ray

    if not ray.is_initialized():
        ray.init(
            address=None if address in (None, "local") else address,
            include_dashboard=False,
            log_to_driver=False,
        )


def spawn_workers(spec: EvalSpec, n: int, crash_marker: str | None = None) -> list[Any]:
    """``n`` EnvWorker actors (Ray must be initialised; see :func:`connect`)."""
    import ray

    actor = ray.remote(num_cpus=1, max_restarts=0)(EnvWorker)
    return [actor.remote(spec, crash_marker) for _ in range(n)]


def run_units_on_ray(
    spec: EvalSpec,
    units: list[tuple[str, int]],
    *,
    address: str | None = None,
    num_workers: int = 2,
    max_attempts: int = 3,
    crash_marker: str | None = None,
    workers: list[Any] | None = None,
) -> list[tuple[EpisodeRow, int]]:
    """Run ``(task_id, trial)`` units on ``num_workers`` Ray actors; returns ``(row, worker
    pid)`` per unit, in unit order (see the module docstring). ``workers`` (from
    :func:`spawn_workers`) reuses live actors across calls; they are left running then (the
    caller kills them), while actors started here are killed at the end."""
    import ray
    from ray.exceptions import RayActorError

    if num_workers < 1:
        raise ValueError(f"num_workers must be >= 1, not {num_workers}")
    connect(address)
    owned = workers is None

    def spawn() -> Any:
        return spawn_workers(spec, 1, crash_marker)[0]

    idle = (
        list(workers)
        if workers is not None
        else spawn_workers(spec, min(num_workers, max(len(units), 1)), crash_marker)
    )
    queue: deque[int] = deque(range(len(units)))
    pending: dict[Any, tuple[int, Any]] = {}
    failures: dict[int, int] = {}
    results: dict[int, tuple[EpisodeRow, int]] = {}
    try:
        while queue or pending:
            while queue and idle:
                i = queue.popleft()
                worker = idle.pop()
                pending[worker.run.remote(*units[i])] = (i, worker)
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            i, worker = pending.pop(ref)
            try:
                data = ray.get(ref)
            except RayActorError as exc:
                failures[i] = failures.get(i, 0) + 1
                if failures[i] >= max_attempts:
                    raise RuntimeError(
                        f"unit {units[i]} lost {failures[i]} Ray workers; giving up: {exc}"
                    ) from exc
                queue.appendleft(i)  # to another (live) worker
                idle.append(spawn())  # a replacement for the dead one
                continue
            if i not in results:  # never counted twice
                pid = int(data.pop("_worker_pid"))
                results[i] = (EpisodeRow(**data), pid)
            idle.append(worker)
    finally:
        for worker in idle + [w for _, w in pending.values()]:
            if owned or (workers is not None and worker not in workers):
                ray.kill(worker)
    return [results[i] for i in range(len(units))]
