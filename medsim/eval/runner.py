"""``run_eval``: episodes of (task, trial) units, concurrently, each committed before it counts.

Concurrency is asyncio: ``concurrency`` workers on one event loop, each with its own env and
agent; an LLM agent awaits its API call (``aact``) while other workers step their envs. A
process pool was measured against it (``bench/eval_bench.py``, docs/eval.md): on a 2-core machine
CPU-bound agents gain at most the core count from processes, while API-bound agents — the case
that dominates real runs — need tens of episodes in flight, which one event loop gives cheaply.

A unit is done once its row is committed. On start the runner reads which units have a ``done``
row and plans the rest; units whose attempts all ended in an infrastructure error are tried
again with the next attempt number. An agent exception (``LLMError`` after the client's retries,
or any harness bug) ends that episode as an ``infra_error`` row, excluded from scores.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import medsim
from medsim.agents.spec import make_agent
from medsim.eval.config import agent_seed, build_config, config_hash, episode_seed
from medsim.eval.db import DONE, INFRA_ERROR, EpisodeRow, ResultsDB
from medsim.eval.facets import checkpoint_categories, task_facets
from medsim.eval.progress import Progress
from medsim.grading.record import EpisodeRecord

#: ``info["error"]`` types that mean the environment's own machinery failed (a patient simulator
#: or moderator LLM call that failed after its retries): the episode is an infra error.
INFRA_ERROR_TYPES = frozenset({"simulator_error"})


@dataclass
class EvalSpec:
    """What ``medsim eval`` was asked to do (see ``medsim eval --help``)."""

    env_id: str
    agent: str
    out: Path
    trials: int = 1
    concurrency: int = 4
    split: str | None = None
    tasks: list[str] | None = None
    limit: int | None = None
    seed: int = 0
    max_steps: int | None = None
    db: str | None = None
    run_name: str | None = None
    agent_options: dict[str, Any] = field(default_factory=dict)
    client_options: dict[str, Any] = field(default_factory=dict)
    retry_infra: bool = True
    progress: bool = True
    #: build the agent for one worker's env yourself (programmatic use; ``agent`` is then only
    #: the label stored in the run config)
    agent_factory: Callable[[Any], Any] | None = None
    #: run the episodes on Ray actors (``"local"``, ``"auto"`` or ``ray://host:port``;
    #: medsim.train.ray_pool) instead of the local event loop; ``ray_workers`` actors
    ray: str | None = None
    ray_workers: int = 2

    @property
    def name(self) -> str:
        return self.run_name or self.out.resolve().name


@dataclass
class EvalOutcome:
    run: str
    db_url: str
    planned: int
    ran: int
    skipped: int
    infra_errors: int


def _make_env(spec: EvalSpec) -> Any:
    kwargs: dict[str, Any] = {}
    if spec.split:
        kwargs["split"] = spec.split
    if spec.max_steps:
        kwargs["max_steps"] = spec.max_steps
    return medsim.make(spec.env_id, **kwargs)


def select_tasks(env: Any, spec: EvalSpec) -> list[str]:
    """The task ids to run, in the env's order (``--tasks`` then ``--limit``)."""
    ids: list[str] = list(env.unwrapped.task_ids)
    if spec.tasks:
        unknown = [t for t in spec.tasks if t not in ids]
        if unknown:
            raise ValueError(f"unknown task id(s) {unknown} in {spec.env_id} (has {len(ids)})")
        ids = [t for t in ids if t in set(spec.tasks)]
    if spec.limit is not None:
        ids = ids[: spec.limit]
    return ids


def plan_units(
    task_ids: list[str], trials: int, attempts: dict[tuple[str, int], list[str]], retry_infra: bool
) -> tuple[list[tuple[str, int, int]], int]:
    """(units to run as (task, trial, attempt), how many are already done)."""
    todo: list[tuple[str, int, int]] = []
    done = 0
    for trial in range(trials):
        for task_id in task_ids:
            statuses = attempts.get((task_id, trial), [])
            if DONE in statuses:
                done += 1
            elif not statuses or retry_infra:
                todo.append((task_id, trial, len(statuses)))
    return todo, done


async def _episode(env: Any, agent: Any, task_id: str, trial: int, spec: EvalSpec) -> EpisodeRow:
    """Run one episode; return its (uncommitted) row."""
    seed = episode_seed(spec.seed, trial)
    if hasattr(agent, "reset"):
        agent.reset()
    if hasattr(agent, "seed_episode"):
        agent.seed_episode(agent_seed(spec.seed, task_id, trial))
    usage = getattr(agent, "usage", None)
    before = usage.copy() if usage is not None else None
    start = time.perf_counter()
    first_passed: dict[str, int] = {}
    info: dict[str, Any] = {}
    status, error = DONE, None
    started = False
    try:
        obs, info = env.reset(seed=seed, options={"task_id": task_id})
        started = True
        done, step = False, 0
        aact = getattr(agent, "aact", None)
        while not done:
            action = await aact(obs, info) if aact else agent.act(obs, info)
            obs, _reward, term, trunc, info = env.step(action)
            step += 1
            done = term or trunc
            for cid, st in (info.get("checkpoints") or {}).items():
                if st.get("status") == "passed":
                    first_passed.setdefault(cid, step)
    except Exception as exc:  # the API or the harness failed: not the agent's score
        status, error = INFRA_ERROR, f"{type(exc).__name__}: {exc}"
    last_error = info.get("error") or {}
    if status == DONE and last_error.get("type") in INFRA_ERROR_TYPES:  # e.g. a patient simulator
        status, error = INFRA_ERROR, f"{last_error['type']}: {last_error.get('message', '')}"
    wall = time.perf_counter() - start
    # a reset that failed leaves the previous episode's record in the env: never store that one
    record = env.unwrapped.record if started else EpisodeRecord(task_id=task_id)
    grade = record.grade or {}
    spent = usage.copy() if usage is not None else None
    env_usage = info.get("usage") or {}
    prompt = int(env_usage.get("prompt_tokens", 0))
    completion = int(env_usage.get("completion_tokens", 0))
    cost = float(env_usage.get("cost_usd", 0.0))
    if spent is not None and before is not None:
        prompt += spent.prompt_tokens - before.prompt_tokens
        completion += spent.completion_tokens - before.completion_tokens
        cost += spent.cost_usd - before.cost_usd
    categories = checkpoint_categories(record.task)
    checkpoints = {
        cid: {
            "status": c.get("status"),
            "weight": c.get("weight"),
            "gate": c.get("gate"),
            "evidence": c.get("evidence"),
            "category": categories.get(cid, "other"),
            "first_passed_step": first_passed.get(cid),
        }
        for cid, c in (grade.get("checkpoints") or {}).items()
    }
    graded = status == DONE
    return EpisodeRow(
        run=spec.name,
        task_id=task_id,
        trial=trial,
        status=status,
        seed=seed,
        score=float(grade.get("score", 0.0)) if graded else None,
        success=bool(grade.get("success", False)) if graded else None,
        steps=record.steps,
        terminated=record.terminated,
        truncated=record.truncated,
        stop_reason=getattr(agent, "stop_reason", None),
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=cost,
        wall_seconds=wall,
        error=error,
        task_meta=json.dumps(task_facets(record.task)),
        checkpoints=json.dumps(checkpoints),
        record=record.model_dump_json(),
    )


async def run_eval_async(
    spec: EvalSpec, on_row: Callable[[EpisodeRow], None] | None = None
) -> EvalOutcome:
    """Run (or resume) the evaluation ``spec`` describes; see the module docstring."""
    if spec.trials < 1 or spec.concurrency < 1:
        raise ValueError("--trials and --concurrency must be >= 1")
    spec.out.mkdir(parents=True, exist_ok=True)
    db = ResultsDB(spec.db or spec.out)
    first_env = _make_env(spec)
    config = build_config(
        env_id=spec.env_id,
        env=first_env,
        agent=spec.agent,
        seed=spec.seed,
        split=spec.split,
        max_steps=spec.max_steps,
        agent_options=spec.agent_options,
    )
    db.ensure_run(spec.name, config, config_hash(config))
    task_ids = select_tasks(first_env, spec)
    todo, already = plan_units(task_ids, spec.trials, db.attempts(spec.name), spec.retry_infra)
    prior = [r for r in db.episodes(spec.name, DONE) if r.task_id in set(task_ids)]
    progress = Progress(
        total=len(task_ids) * spec.trials,
        done=already,
        successes=sum(1 for r in prior if r.success and r.trial < spec.trials),
        enabled=spec.progress,
    )
    progress.draw()
    queue: asyncio.Queue[tuple[str, int, int]] = asyncio.Queue()
    for unit in todo:
        queue.put_nowait(unit)
    infra = 0

    def commit(row: EpisodeRow, attempt: int) -> None:
        nonlocal infra
        row.attempt = attempt
        if not db.add(row):  # another writer recorded this attempt first
            return
        infra += row.status == INFRA_ERROR
        progress.episode(
            success=row.success,
            tokens=row.prompt_tokens + row.completion_tokens,
            cost=row.cost_usd,
            infra=row.status == INFRA_ERROR,
        )
        if on_row is not None:
            on_row(row)

    if spec.ray is not None:
        from medsim.train.ray_pool import run_units_on_ray

        try:
            units = [(task_id, trial) for task_id, trial, _ in todo]
            rows = run_units_on_ray(spec, units, address=spec.ray, num_workers=spec.ray_workers)
            for (row, _pid), (_t, _trial, attempt) in zip(rows, todo, strict=True):
                commit(row, attempt)
        finally:
            progress.draw(final=True)
            first_env.close()
            db.close()
        return EvalOutcome(
            spec.name, db.url, len(task_ids) * spec.trials, len(todo), already, infra
        )

    envs = [first_env] + [
        _make_env(spec) for _ in range(min(spec.concurrency, max(len(todo), 1)) - 1)
    ]

    async def worker(env: Any) -> None:
        agent = (
            spec.agent_factory(env)
            if spec.agent_factory
            else make_agent(
                spec.agent,
                env,
                seed=spec.seed,
                options=spec.agent_options,
                client_options=spec.client_options,
            )
        )
        while True:
            try:
                task_id, trial, attempt = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            commit(await _episode(env, agent, task_id, trial, spec), attempt)
            await asyncio.sleep(0)  # let other workers' API calls progress

    try:
        await asyncio.gather(*(worker(env) for env in envs))
    finally:
        progress.draw(final=True)
        for env in envs:
            env.close()
        db.close()
    return EvalOutcome(spec.name, db.url, len(task_ids) * spec.trials, len(todo), already, infra)


def run_eval(spec: EvalSpec, on_row: Callable[[EpisodeRow], None] | None = None) -> EvalOutcome:
    """Synchronous wrapper of :func:`run_eval_async`."""
    return asyncio.run(run_eval_async(spec, on_row))
