"""A run's identity: what must be equal for two invocations to write into the same run.

Stored in the results database when a run starts; a rerun computes it again and is refused if
any key differs (env id and task content, agent and model, agent options, seed, step budget,
medsim version and git commit). How many trials, which tasks and the concurrency are *not* part
of it: a rerun may add trials or tasks to a run, never change how episodes are produced.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import zlib
from pathlib import Path
from typing import Any

import medsim
from medsim.agents.spec import model_of


def git_commit() -> str | None:
    """The commit of the medsim source tree (None outside a git checkout)."""
    root = Path(medsim.__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def tasks_digest(tasks: list[Any]) -> str:
    """A hash of every task's full content (any edit to a task changes it)."""
    blob = json.dumps([t.model_dump(mode="json") for t in tasks], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_config(
    *,
    env_id: str,
    env: Any,
    agent: str,
    seed: int,
    split: str | None,
    max_steps: int | None,
    agent_options: dict[str, Any],
) -> dict[str, Any]:
    """The identity of a run (see module docstring)."""
    core = env.unwrapped
    return {
        "env_id": env_id,
        "env_version": env_id.rsplit("-v", 1)[-1] if "-v" in env_id else None,
        "suite": core.suite.name,
        "tasks_digest": tasks_digest(core.tasks),
        "split": split,
        "agent": _without_url(agent),
        "model": _model(agent),
        "agent_options": agent_options,
        "seed": seed,
        "max_steps": max_steps,
        "medsim_version": medsim.__version__,
        "git_commit": git_commit(),
    }


def _model(spec: str) -> str | None:
    try:
        return model_of(spec)
    except ValueError:  # a custom agent (EvalSpec.agent_factory): its label is all we know
        return None


def _without_url(spec: str) -> str:
    """The agent spec without its base URL (a local server's port changes between runs)."""
    return spec.rsplit("@", 1)[0] if "@" in spec else spec


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def episode_seed(base: int, trial: int) -> int:
    """The env seed of trial ``trial`` (the task is chosen by id, the seed drives the env RNG)."""
    return base + trial


def agent_seed(base: int, task_id: str, trial: int) -> int:
    """A per-(task, trial) seed for sampling agents, stable across runs and processes."""
    return zlib.crc32(f"{base}:{task_id}:{trial}".encode())
