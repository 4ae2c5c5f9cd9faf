"""MedAgentBench-v0 throughput (not a test: nothing is asserted).

    python bench/medagentbench_bench.py [--split test]

Prints, per protocol x POST mode, the time to replay every task's reference solution and every
negative control through the env on the embedded EHR (episodes/s, ms per episode), plus the
one-off costs: building the derived chart (when not cached) and ``medsim.make``. The goal for
the all-tasks test is a few seconds per hundred tasks.
"""

from __future__ import annotations

import argparse
import time

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.environments.medagentbench.fc import to_function_calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="test", choices=["test", "train"])
    args = parser.parse_args()
    start = time.perf_counter()
    from medsim.environments.medagentbench.chart import chart_path

    chart_path()
    print(f"derived chart ready: {time.perf_counter() - start:.2f} s")
    for protocol in ("text", "tools"):
        for post_mode in ("execute", "record"):
            start = time.perf_counter()
            env = medsim.make(
                "MedAgentBench-v0",
                protocol=protocol,
                post_mode=post_mode,
                split=args.split,
                live_checkpoints=False,
            ).unwrapped
            made = time.perf_counter() - start
            episodes = 0
            start = time.perf_counter()
            for task in env.tasks:
                runs = [task.reference_solution] + [c.actions for c in task.negative_controls]
                for actions in runs:
                    acts = actions if protocol == "text" else to_function_calls(list(actions))
                    run_episode(env, ScriptedAgent(acts), task_id=task.id, seed=0)
                    episodes += 1
            took = time.perf_counter() - start
            print(
                f"{protocol:5} {post_mode:7}  make {made:.2f} s  {len(env.tasks)} tasks, "
                f"{episodes} episodes in {took:.1f} s  ({episodes / took:.0f} episodes/s, "
                f"{took / len(env.tasks) * 100:.1f} s per 100 tasks with their controls)"
            )
            env.close()


if __name__ == "__main__":
    main()
