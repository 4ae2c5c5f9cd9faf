"""Rollout throughput with the reference agent: single-process vector env vs 1 and 2 Ray workers.

    python bench/rollout_bench.py [--env MedCalc-EHR-v0] [--episodes 64] [--num-envs 2]

Prints episodes/s and steps/s for (a) ``medsim.make_vec(..., "sync")`` with ``--num-envs``
sub-envs in this process (one reference agent per sub-env, Gymnasium's next-step autoreset), and
(b) ``medsim.train.ray_pool.run_units_on_ray`` with 1 and 2 env workers on a local Ray cluster
(``ray.init(num_cpus=2)``); all timings are steady state (the vector env runs a warm-up pass)
and Ray timings (actors are warmed up with one unit
each first, and their start-up is printed separately). Scaling efficiency = (2-worker rate) /
(2 x 1-worker rate). Not a test: it prints numbers (docs/training.md quotes a run).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import medsim
from medsim.agents.reference import ReferenceAgent


def vector_env(env_id: str, episodes: int, num_envs: int) -> tuple[float, int, int]:
    """(seconds, episodes finished, steps) for the sync vector env."""
    envs: Any = medsim.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync")
    tasks = envs.envs[0].unwrapped.tasks
    agents = [ReferenceAgent(tasks) for _ in range(num_envs)]
    start = time.perf_counter()
    obs, info = envs.reset(seed=list(range(num_envs)))
    just_reset = [True] * num_envs
    done_eps = steps = 0
    autoreset = np.zeros(num_envs, dtype=bool)
    while done_eps < episodes:
        actions = []
        for i, agent in enumerate(agents):
            if autoreset[i]:
                actions.append({"name": "finish", "arguments": {"answer": None}})  # ignored
                continue
            sub_info = {"task_id": info["task_id"][i]}
            if just_reset[i]:
                agent.reset()
            actions.append(agent.act(obs[i], sub_info))
            just_reset[i] = False
        obs, _r, term, trunc, info = envs.step(actions)
        steps += int((~autoreset).sum())
        ended = np.logical_or(term, trunc)
        done_eps += int((ended & ~autoreset).sum())
        for i in range(num_envs):
            if autoreset[i]:
                just_reset[i] = True  # this step was the reset
        autoreset = ended & ~autoreset
    wall = time.perf_counter() - start
    envs.close()
    return wall, done_eps, steps


def ray_workers(env_id: str, episodes: int, workers: int) -> tuple[float, float, int, int]:
    """(start-up seconds, seconds, episodes, steps) on ``workers`` Ray actors."""
    import ray

    from medsim.eval.runner import EvalSpec
    from medsim.train.ray_pool import run_units_on_ray, spawn_workers

    spec = EvalSpec(env_id=env_id, agent="reference", out=Path(tempfile.mkdtemp()), progress=False)
    ids = medsim.make(env_id).unwrapped.task_ids  # type: ignore[attr-defined]
    units = [(ids[k % len(ids)], k // len(ids)) for k in range(episodes)]
    t0 = time.perf_counter()
    pool = spawn_workers(spec, workers)
    run_units_on_ray(spec, units[:workers], workers=pool)  # start-up + warm-up
    t1 = time.perf_counter()
    rows = run_units_on_ray(spec, units, workers=pool)
    t2 = time.perf_counter()
    for actor in pool:
        ray.kill(actor)
    return t1 - t0, t2 - t1, len(rows), sum(r.steps for r, _ in rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--env", default="MedCalc-EHR-v0")
    p.add_argument("--episodes", type=int, default=64)
    p.add_argument("--num-envs", type=int, default=2)
    args = p.parse_args()
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    rows = []
    vector_env(args.env, 2 * args.num_envs, args.num_envs)  # warm-up: lazy imports, caches
    wall, eps, steps = vector_env(args.env, args.episodes, args.num_envs)
    rows.append((f"vector env (sync, {args.num_envs} sub-envs)", 0.0, wall, eps, steps))
    for n in (1, 2):
        startup, wall, eps, steps = ray_workers(args.env, args.episodes, n)
        rows.append((f"ray, {n} worker{'s' if n > 1 else ''}", startup, wall, eps, steps))
    ray.shutdown()
    print(f"env {args.env}, reference agent, {args.episodes} episodes")
    print(f"{'runner':32} {'start-up s':>10} {'wall s':>8} {'episodes/s':>11} {'steps/s':>9}")
    rates = []
    for name, startup, wall, eps, steps in rows:
        rates.append(eps / wall)
        print(f"{name:32} {startup:10.2f} {wall:8.2f} {eps / wall:11.1f} {steps / wall:9.1f}")
    efficiency = rates[2] / (2 * rates[1])
    print(f"Ray scaling efficiency (2 workers vs 2 x 1 worker): {efficiency:.0%}")
    print(f"2 Ray workers vs the vector env: {rates[2] / rates[0]:.2f}x")


if __name__ == "__main__":
    main()
