"""How ``medsim eval`` should run episodes concurrently (not a test: nothing is asserted).

    python bench/eval_bench.py [--trials 20] [--latency 0.2]

Two workloads on Demo-v0 (3 tasks x TRIALS), every episode committed to a SQLite results DB:

* cpu: the reference agent (no model calls; all time is env + grading + DB);
* api: the reference agent behind a simulated API call of LATENCY seconds per step
  (``asyncio.sleep`` in ``aact``, ``time.sleep`` in ``act``) — the shape of a real LLM run.

Each runs (a) the asyncio runner (``medsim.eval.runner``) with 1, 4 and 16 episodes in flight,
and (b) a process pool of 2 workers (one per core) each running its share of episodes
sequentially with its own env, writing to the same database. Prints episodes/second (after one
warm-up run in this process; the pool's figure includes starting its processes, which is what a
user pays).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

import medsim
from medsim.agents.reference import ReferenceAgent
from medsim.eval.db import ResultsDB
from medsim.eval.runner import EvalSpec, _episode, run_eval


class SlowReference(ReferenceAgent):
    """The reference agent with a simulated API round trip per action."""

    latency = 0.0

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        time.sleep(self.latency)
        return super().act(observation, info)

    async def aact(self, observation: str, info: dict[str, Any]) -> Any:
        await asyncio.sleep(self.latency)
        return super().act(observation, info)


def _factory(latency: float) -> Any:
    def build(env: Any) -> Any:
        agent = SlowReference(env.unwrapped.tasks)
        agent.latency = latency
        return agent

    return build


def asyncio_rate(trials: int, latency: float, concurrency: int) -> float:
    out = Path(tempfile.mkdtemp(prefix="evalbench-"))
    spec = EvalSpec(
        env_id="Demo-v0",
        agent=f"slow-reference-{latency}",
        out=out,
        trials=trials,
        concurrency=concurrency,
        progress=False,
        agent_factory=_factory(latency),
    )
    start = time.perf_counter()
    outcome = run_eval(spec)
    return outcome.ran / (time.perf_counter() - start)


def _pool_worker(args: tuple[str, list[tuple[str, int]], float]) -> int:
    db_path, units, latency = args
    env = medsim.make("Demo-v0")
    agent = _factory(latency)(env)
    db = ResultsDB(db_path)
    spec = EvalSpec(env_id="Demo-v0", agent="pool", out=Path(db_path).parent, run_name="pool")
    agent.aact = None  # sequential in this process: the blocking act
    for task_id, trial in units:
        row = asyncio.run(_episode(env, agent, task_id, trial, spec))
        db.add(row)
    db.close()
    env.close()
    return len(units)


def pool_rate(trials: int, latency: float, workers: int = 2) -> float:
    out = Path(tempfile.mkdtemp(prefix="evalbench-pool-"))
    db = ResultsDB(out)
    db.ensure_run("pool", {"bench": True}, "bench")
    db.close()
    tasks = medsim.make("Demo-v0").unwrapped.task_ids
    units = [(t, k) for k in range(trials) for t in tasks]
    shares = [units[i::workers] for i in range(workers)]
    start = time.perf_counter()
    with mp.get_context("spawn").Pool(workers) as pool:
        done = sum(pool.map(_pool_worker, [(str(out / "results.db"), s, latency) for s in shares]))
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    n = 3 * args.trials
    asyncio_rate(1, 0.0, 1)  # warm-up: imports and the cohort load are not what we measure
    for name, latency in (("cpu", 0.0), ("api", args.latency)):
        print(f"== {name} workload ({n} episodes, {latency:.2f} s simulated API latency per step)")
        for c in (1, 4, 16):
            print(
                f"asyncio, {c:>2} in flight : {asyncio_rate(args.trials, latency, c):7.1f} episodes/s"
            )
        print(
            f"process pool, 2 workers: {pool_rate(args.trials, latency):7.1f} episodes/s (incl. spawn)"
        )


if __name__ == "__main__":
    main()
