"""Batched rollouts for RL trainers: G rollouts per task, chat transcripts, rewards, token masks.

A *policy* is a callable ``policy(messages, tools) -> reply`` (sync, or async returning an
awaitable), where ``messages`` is the OpenAI-format conversation so far and ``tools`` the task's
function schemas; the reply is an assistant message (``{"content": ..., "tool_calls": [...]}``,
tool calls in the OpenAI or the loose ``{"name", "arguments"}`` form) or plain text. It is wrapped
in :class:`medsim.agents.chat.ChatAgent` through :class:`PolicyClient`, so the conversation a
policy sees is exactly the env's transcript (the same path ``medsim eval`` uses). Any
``medsim.agents`` agent (``act``/``aact``) is accepted too, through ``agent_factory``.

Groups: every seed (or task id) gives a group of ``group_size`` rollouts reset with the same seed,
hence the same task and the same patient (``reset(seed=s)`` picks ``tasks[s % n]``), which is what
group-relative advantages (GRPO) need; :func:`group_advantages` computes them.

Episodes run concurrently on one event loop (``concurrency`` envs, each with its own agent), like
the eval runner; results come back in request order (group by group).
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import medsim
from medsim.agents.chat import ChatAgent
from medsim.grading.record import EpisodeRecord
from medsim.llm.messages import assistant_message
from medsim.llm.types import ChatResponse, Message, Tool, Usage
from medsim.train.scaffold import RubricScaffold, ScaffoldSchedule
from medsim.train.tokens import tokenize_transcript

Policy = Callable[[list[Message], list[Tool] | None], Any]


class PolicyClient:
    """A :class:`medsim.llm.types.ChatClient` whose replies come from a policy callable."""

    def __init__(self, policy: Policy, model: str = "policy") -> None:
        self.policy = policy
        self.model = model
        self.usage = Usage()

    def _response(self, reply: Any) -> ChatResponse:
        if isinstance(reply, ChatResponse):
            return reply
        return ChatResponse(message=assistant_message(reply), usage=Usage(), model=self.model)

    def complete(
        self, messages: list[Message], tools: list[Tool] | None = None, **opts: Any
    ) -> ChatResponse:
        reply = self.policy(messages, tools)
        if inspect.isawaitable(reply):
            close = getattr(reply, "close", None)
            if callable(close):
                close()  # never leave an un-awaited coroutine behind
            raise TypeError("the policy is async: use arollout() (or rollout() from sync code)")
        return self._response(reply)

    async def acomplete(
        self, messages: list[Message], tools: list[Tool] | None = None, **opts: Any
    ) -> ChatResponse:
        reply = self.policy(messages, tools)
        if inspect.isawaitable(reply):
            reply = await reply
        return self._response(reply)


@dataclass
class Rollout:
    """One episode, in the shape GRPO-style trainers consume.

    ``messages`` is the whole transcript (system, user, assistant with tool calls, tool/user
    replies); ``rewards`` the per-step rewards (``reward="sparse"`` or ``"dense"`` as the env was
    made; both sum to ``score``); ``breakdown`` the final grade's reward breakdown (per
    checkpoint); ``input_ids``/``assistant_mask`` are set when a tokenizer was given (mask 1 on
    tokens the policy produced).
    """

    task_id: str
    seed: int | None
    group: int
    index: int
    messages: list[Message]
    tools: list[Tool]
    rewards: list[float]
    score: float
    success: bool
    breakdown: dict[str, float]
    steps: int
    terminated: bool
    truncated: bool
    record: EpisodeRecord = field(repr=False)
    input_ids: list[int] | None = None
    assistant_mask: list[int] | None = None

    @property
    def reward(self) -> float:
        """The episode's return (sum of ``rewards``)."""
        return float(sum(self.rewards))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (the record is left out; it is ``record.model_dump()``)."""
        out = {k: v for k, v in self.__dict__.items() if k != "record"}
        out["reward"] = self.reward
        return out


def group_advantages(rollouts: Sequence[Rollout], *, normalize: bool = True) -> list[float]:
    """GRPO advantages: each rollout's return minus its group's mean (divided by the group's
    standard deviation when ``normalize``; a group with equal returns gets zeros)."""
    by_group: dict[int, list[float]] = {}
    for r in rollouts:
        by_group.setdefault(r.group, []).append(r.reward)
    out = []
    for r in rollouts:
        values = by_group[r.group]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        adv = r.reward - mean
        out.append(adv / std if normalize and std > 1e-12 else (0.0 if std <= 1e-12 else adv))
    return out


def _units(
    seeds: Sequence[int] | None, task_ids: Sequence[str] | None, group_size: int
) -> list[tuple[int, int, int | None, str | None]]:
    if group_size < 1:
        raise ValueError(f"group_size must be >= 1, not {group_size}")
    if (seeds is None) == (task_ids is None):
        raise ValueError("give exactly one of seeds= or task_ids=")
    keys: list[tuple[int | None, str | None]] = (
        [(int(s), None) for s in seeds]
        if seeds is not None
        else [(None, t) for t in task_ids or []]
    )
    return [(g, i, seed, tid) for g, (seed, tid) in enumerate(keys) for i in range(group_size)]


async def _run_one(
    env: Any,
    agent: Any,
    unit: tuple[int, int, int | None, str | None],
    tokenizer: Any,
) -> Rollout:
    group, index, seed, task_id = unit
    if hasattr(agent, "reset"):
        agent.reset()
    options = {"task_id": task_id} if task_id is not None else None
    obs, info = env.reset(seed=seed, options=options)
    tools = list(info.get("tools") or [])
    rewards: list[float] = []
    done = False
    aact = getattr(agent, "aact", None)
    while not done:
        action = await aact(obs, info) if aact else agent.act(obs, info)
        obs, reward, term, trunc, info = env.step(action)
        rewards.append(float(reward))
        done = term or trunc
        await asyncio.sleep(0)
    record: EpisodeRecord = env.unwrapped.record
    grade = record.grade or {}
    messages = list(info.get("transcript") or [])
    rollout = Rollout(
        task_id=record.task_id,
        seed=seed,
        group=group,
        index=index,
        messages=messages,
        tools=tools,
        rewards=rewards,
        score=float(grade.get("score", 0.0)),
        success=bool(grade.get("success", False)),
        breakdown={k: float(v) for k, v in (info.get("reward_breakdown") or {}).items()},
        steps=record.steps,
        terminated=bool(term),
        truncated=bool(trunc),
        record=record,
    )
    if tokenizer is not None:
        rollout.input_ids, rollout.assistant_mask = tokenize_transcript(tokenizer, messages, tools)
    return rollout


async def arollout(
    env_id: str,
    policy: Policy | None = None,
    *,
    seeds: Sequence[int] | None = None,
    task_ids: Sequence[str] | None = None,
    group_size: int = 1,
    concurrency: int = 4,
    tokenizer: Any = None,
    agent_factory: Callable[[Any], Any] | None = None,
    env_kwargs: dict[str, Any] | None = None,
    scaffold: ScaffoldSchedule | None = None,
    train_step: int = 0,
) -> list[Rollout]:
    """Run ``group_size`` rollouts for each seed (or task id) of ``env_id``; see the module doc.

    Give ``policy`` (a callable) or ``agent_factory(env) -> agent``. ``env_kwargs`` go to
    ``medsim.make`` (e.g. ``reward="dense"``, ``max_steps=8``, ``live_checkpoints=False``).
    ``scaffold`` shows rubric hints by that schedule at ``train_step``
    (:mod:`medsim.train.scaffold`; graders never see them).
    Returns the rollouts in order: group 0's G rollouts, then group 1's, ...
    """
    if (policy is None) == (agent_factory is None):
        raise ValueError("give exactly one of policy= or agent_factory=")
    units = _units(seeds, task_ids, group_size)
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, not {concurrency}")

    def make_agent(env: Any) -> Any:
        if agent_factory is not None:
            return agent_factory(env)
        assert policy is not None
        return ChatAgent(PolicyClient(policy), name="policy")

    results: list[Rollout | None] = [None] * len(units)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(units)):
        queue.put_nowait(i)
    envs: list[Any] = [
        medsim.make(env_id, **(env_kwargs or {})) for _ in range(min(concurrency, len(units)))
    ]
    if scaffold is not None:
        envs = [RubricScaffold(env, scaffold, train_step) for env in envs]

    async def worker(env: Any) -> None:
        agent = make_agent(env)
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results[i] = await _run_one(env, agent, units[i], tokenizer)

    try:
        await asyncio.gather(*(worker(env) for env in envs))
    finally:
        for env in envs:
            env.close()
    return [r for r in results if r is not None]


def rollout(env_id: str, policy: Policy | None = None, **kwargs: Any) -> list[Rollout]:
    """Synchronous :func:`arollout` (policies may still be async)."""
    return asyncio.run(arollout(env_id, policy, **kwargs))
