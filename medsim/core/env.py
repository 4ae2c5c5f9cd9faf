"""``ClinicalEnv``: the Gymnasium environment every medsim suite is an instance of.

One episode = one task (patient, clinical "now", instruction) over an isolated view of the EHR.
``reset`` picks the task from the seed, drops the previous episode's writes and applies the
task's scenario overlay; ``step`` reads one action in any accepted format (see
:mod:`medsim.core.actions`), runs its tool calls, and answers with a text observation. Bad
actions never raise: the step counts, the observation explains, ``info["error"]`` names it.
Everything the episode does is kept in an ``EpisodeRecord`` (``env.unwrapped.record``), graded
at the end (sparse reward) or step by step (``reward="dense"``, same total).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym

from medsim.core import transcript as tx
from medsim.core.actions import Call, ParsedAction, action_text, parse_action
from medsim.core.ehr import DEFAULT, open_ehr, open_episode, start_episode
from medsim.core.guard import action_problem, safe_text
from medsim.core.observe import error_info, how_to_act, medagentbench_text, plain_text_note
from medsim.core.scoring import Scorer
from medsim.core.spaces import ActionSpace, TextSpace
from medsim.core.suite import PlainTextPolicy, Suite, TextStyle
from medsim.fhir.interface import FhirBackend, FhirEpisode
from medsim.grading.record import EpisodeRecord, ToolCall
from medsim.observation import ObservationMode, ObservationView, approx_tokens
from medsim.tasks.schema import Task
from medsim.tools.base import Tool, ToolContext, ToolResult
from medsim.tools.registry import has_tool, resolve_tools

log = logging.getLogger(__name__)

FINISHED = "The task is finished: your answer was recorded."
ErrorInfo = dict[str, str] | None
__all__ = ["ClinicalEnv", "approx_tokens"]


class ClinicalEnv(gym.Env[str, Any]):
    """A clinical task environment over a FHIR EHR; see the module docstring and docs/architecture.md §2."""

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self,
        suite: Suite,
        *,
        tasks: Sequence[Task] | None = None,
        split: str | None = None,
        fhir: str | FhirBackend | None = "embedded",
        data: str | Path | None = DEFAULT,
        reward: Literal["sparse", "dense"] = "sparse",
        max_steps: int | None = None,
        max_tokens: int | None = None,
        tool_output_limit: int | None = 10_000,
        observation: ObservationMode = "fhir",
        tool_output_tokens: int | None = None,
        tokenizer: Any = None,
        text_style: TextStyle | None = None,
        plain_text: PlainTextPolicy | None = None,
        judge: Any = None,
        live_checkpoints: bool = True,
        sample_writes: bool = False,
        invalid_action: Literal["continue", "end"] = "continue",
        render_mode: str | None = None,
    ) -> None:
        if reward not in ("sparse", "dense"):
            raise ValueError(f"reward must be 'sparse' or 'dense', not {reward!r}")
        if invalid_action not in ("continue", "end"):
            raise ValueError(f"invalid_action must be 'continue' or 'end', not {invalid_action!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        for name, value in (("max_steps", max_steps), ("max_tokens", max_tokens)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1 (or None), not {value}")
        self.suite = suite
        self.reward_mode = reward
        self.max_steps_override = max_steps
        self.max_tokens = max_tokens
        self.tool_output_limit = tool_output_limit
        self.view = ObservationView.from_options(
            observation, tool_output_limit, tool_output_tokens, tokenizer
        )
        self.text_style: TextStyle = text_style or suite.text_style
        self.plain_text: PlainTextPolicy = plain_text or suite.plain_text
        self.live_checkpoints = live_checkpoints
        self.invalid_action = invalid_action
        self.render_mode = render_mode
        suite.import_tools()
        chosen = list(tasks) if tasks is not None else suite.tasks()
        if split is None and tasks is None:
            split = suite.default_split
        if split is not None:
            chosen = [t for t in chosen if t.split == split]
        if not chosen:
            raise ValueError(
                f"suite {suite.name!r} has no tasks" + (f" in split {split!r}" if split else "")
            )
        self.tasks: list[Task] = sorted(chosen, key=lambda t: t.id)
        self._by_id = {t.id: t for t in self.tasks}
        self._task_json: dict[str, dict[str, Any]] = {}  # filled at a task's first reset
        self._tools = {
            t.id: {tool.name: tool for tool in resolve_tools(t.tools)} for t in self.tasks
        }
        self._schemas: dict[str, list[dict[str, Any]]] = {}  # filled at a task's first reset
        self._backend: FhirBackend = open_ehr(fhir, data, suite)
        self._episode: FhirEpisode = open_episode(self._backend, suite)
        self._closed = False
        self.scorer = Scorer(dense=reward == "dense", live=live_checkpoints, judge=judge)
        first = self.tasks[0]
        self.action_space: ActionSpace = ActionSpace(
            list(self._tools[first.id].values()),
            ToolContext(patient_id=first.patient, now=first.now),
            sample_writes=sample_writes,
        )
        self.observation_space: TextSpace = TextSpace()
        self._task: Task | None = None
        self._record: EpisodeRecord | None = None
        self._done = False
        self._steps = 0
        self._error: ErrorInfo = None
        self._usage: dict[str, Any] = {}
        self._reported = 0  # transcript messages already sent in an info (lean info)

    # ---- public views ------------------------------------------------------------------------

    @property
    def task(self) -> Task:
        """The current episode's task (after ``reset``)."""
        if self._task is None:
            raise gym.error.ResetNeeded("call reset() first")
        return self._task

    @property
    def record(self) -> EpisodeRecord:
        """The current episode's record, built as the episode goes."""
        if self._record is None:
            raise gym.error.ResetNeeded("call reset() first")
        return self._record

    @property
    def fhir(self) -> FhirEpisode:
        """This env's isolated EHR view (a ``FhirEpisode``)."""
        return self._episode

    @property
    def task_ids(self) -> list[str]:
        return [t.id for t in self.tasks]

    # ---- reset -------------------------------------------------------------------------------

    # The task's JSON and its tools' schemas are made at the task's first reset: for 1,200
    # train tasks, making them all up front took ~5 s of ``make``.

    def _task_json_of(self, task: Task) -> dict[str, Any]:
        """The task as JSON, for the episode record."""
        if task.id not in self._task_json:
            self._task_json[task.id] = task.model_dump(mode="json")
        return self._task_json[task.id]

    def _schemas_of(self, task_id: str) -> list[dict[str, Any]]:
        """A copy of the OpenAI schemas of the task's tools, for ``info["tools"]``."""
        if task_id not in self._schemas:
            self._schemas[task_id] = [t.openai_schema() for t in self._tools[task_id].values()]
        return list(self._schemas[task_id])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        task = self._pick_task(seed, options or {})
        self._task = task
        start_episode(self._episode, task)
        self._steps = 0
        self._done = False
        self._error = None
        self._usage = {
            "action_tokens": 0,
            "observation_tokens": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost_usd": 0.0,
        }
        self._context = ToolContext(
            fhir=self._episode,
            patient_id=task.patient,
            now=task.now,
            task=task,
            rng=self.np_random,
            services=self.episode_services(task),
        )
        self.action_space.set_tools(list(self._tools[task.id].values()), self._context)
        messages: list[dict[str, Any]] = []
        if self.suite.system_prompt:
            messages.append(tx.system(self.suite.system_prompt))
        note = plain_text_note(self.plain_text, "finish" in self._tools[task.id])
        prompt = f"{self.suite.prompt(task)}\n\n{note}"
        messages.append(tx.user(prompt))
        self._record = EpisodeRecord(
            task_id=task.id,
            suite=task.suite,
            task=self._task_json_of(task),
            messages=messages,
            seed=seed,
        )
        self._record.usage = self._usage  # the same dict: usage stays live in the record
        self.scorer.start(task, self._record, self._episode)
        self._reported = 0
        return prompt, self._info(tools=True)

    def episode_services(self, task: Task) -> dict[str, Any]:
        """Extra objects tools of this episode may use (``ToolContext.services``): a hook for
        suites with a patient simulator or a test-result oracle. The base env has none."""
        return {}

    def _pick_task(self, seed: int | None, options: dict[str, Any]) -> Task:
        task_id = options.get("task_id")
        if task_id is not None:
            if task_id not in self._by_id:
                close = difflib.get_close_matches(str(task_id), self._by_id, n=3, cutoff=0.4)
                hint = f"; closest: {', '.join(close)}" if close else ""
                raise ValueError(f"unknown task_id {task_id!r} in suite {self.suite.name!r}{hint}")
            return self._by_id[task_id]
        if seed is not None:
            return self.tasks[seed % len(self.tasks)]
        return self.tasks[int(self.np_random.integers(0, len(self.tasks)))]

    # ---- step --------------------------------------------------------------------------------

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """One agent action. Never raises (after ``reset``): bad actions, bad arguments and even
        a bug inside medsim come back as an observation with ``info["error"]``; the step counts."""
        record = self.record
        if self._done:
            self._error = error_info(
                "episode_over", "the episode is over; call reset() to start a new one"
            )
            return self._error["message"], 0.0, record.terminated, record.truncated, self._info()
        try:
            return self._step(action)
        except Exception as exc:  # the last line of defence of the step contract
            log.exception("step failed")
            reason = f"medsim could not process this action ({type(exc).__name__}: {exc})"
            self._error = error_info("internal_error", reason)
            record.steps = self._steps
            record.truncated = self._done = self._steps >= self._max_steps()
            obs = f"Error: {reason}. This is a medsim bug, not your mistake; please report it."
            return obs, 0.0, False, record.truncated, self._info()

    def _step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        record = self.record
        self._steps += 1
        text = action_text(action)
        raw = safe_text(text)
        self._usage["action_tokens"] += self.view.tokens(raw)
        over_budget = self.max_tokens is not None and self._usage["action_tokens"] > self.max_tokens
        terminated = False
        problem = action_problem(action)
        if over_budget:
            obs = f"Token budget exhausted ({self.max_tokens} tokens of actions); the episode ends."
            self._error = error_info("token_budget", obs)
            self._reply_text(raw, obs)
        elif problem is not None:
            obs = f"Invalid action: {problem}. {how_to_act(self._tool_names())}"
            self._error = error_info("invalid_action", problem)
            self._reply_text(raw, obs)
        else:
            parsed = parse_action(action, text)
            if parsed.kind == "calls":
                obs, terminated = self._run_calls(parsed)
            elif parsed.kind == "text":
                obs, terminated = self.on_plain_text(parsed)
            else:
                obs = f"Invalid action: {parsed.error}. {how_to_act(self._tool_names())}"
                self._error = error_info("invalid_action", str(parsed.error))
                self._reply_text(parsed.raw, obs)
        if self.invalid_action == "end" and not terminated and self._ends_episode(self._error):
            terminated = True
            obs += " The episode ends: an invalid action ends it in this environment."
            self.record.messages[-1] = tx.user(obs)
        self._usage["observation_tokens"] += self.view.tokens(obs)
        truncated = not terminated and (over_budget or self._steps >= self._max_steps())
        self._done = terminated or truncated
        record.steps, record.terminated, record.truncated = self._steps, terminated, truncated
        reward = self.scorer.step(record, self._episode, self._done)
        if self.render_mode == "human":
            self.render()
        return obs, reward, terminated, truncated, self._info()

    @staticmethod
    def _ends_episode(error: dict[str, str] | None) -> bool:
        """With ``invalid_action="end"``: an action medsim could not read (not a tool call, not a
        GET/POST/FINISH line, or plain text where that is an error) ends the episode, as in the
        original MedAgentBench. Tool errors (a bad search parameter) never do."""
        return error is not None and error["type"] in ("invalid_action", "plain_text")

    def _max_steps(self) -> int:
        return self.max_steps_override or self.task.max_steps

    def _tool_names(self) -> list[str]:
        return list(self._tools[self.task.id])

    def _reply_text(self, raw: str, reply: str) -> None:
        self.record.messages.extend([tx.assistant_text(raw), tx.user(reply)])

    def _run_calls(self, parsed: ParsedAction) -> tuple[str, bool]:
        self._error = None
        calls = parsed.calls
        ids = [c.call_id or f"call_{self._steps}_{i}" for i, c in enumerate(calls)]
        messages = self.record.messages
        structured = parsed.protocol == "json"
        if structured:
            pairs = zip(ids, calls, strict=True)
            messages.append(
                tx.assistant_calls([(i, c.name, c.arguments) for i, c in pairs], parsed.text)
            )
        texts: list[str] = []
        terminated = False
        for call_id, call in zip(ids, calls, strict=True):
            if terminated:
                text = "Not run: the task had already finished."
            else:
                result, terminated = self._invoke(call)
                text = FINISHED if terminated else self._format(parsed, result, call.arguments)
            if structured:
                messages.append(tx.tool_reply(call_id, text))
            texts.append(text if len(calls) == 1 else f"[{call.name}] {text}")
        obs = "\n\n".join(texts)
        if not structured:
            self._reply_text(parsed.raw, obs)
        return obs, terminated

    def _format(self, parsed: ParsedAction, result: ToolResult, arguments: Any = None) -> str:
        method = parsed.meta.get("method")
        shown = self.view.show(result, arguments)
        if self.text_style == "medagentbench" and method in ("GET", "POST", "PUT"):
            return medagentbench_text(str(method), result, shown)
        return shown

    def _invoke(self, call: Call) -> tuple[ToolResult, bool]:
        """Run one call; record it (and the writes it made). Returns (result, episode finished)."""
        tool: Tool | None = self._tools[self.task.id].get(call.name)
        new_writes: list[Any] = []
        if call.error is not None:
            result = ToolResult({"error": call.error}, call.error, "invalid_arguments")
        elif tool is None:
            known = ", ".join(self._tool_names())
            if has_tool(call.name):
                msg = f"tool {call.name!r} is not available in this task (available: {known})"
                result = ToolResult({"error": msg}, msg, "tool_not_allowed")
            else:
                msg = f"unknown tool {call.name!r} (available: {known})"
                result = ToolResult({"error": msg}, msg, "unknown_tool")
        else:
            before = len(self._episode.writes)
            result = tool.invoke(call.arguments, self._context)
            new_writes = self._episode.writes[before:]
        record = self.record
        args = call.arguments if isinstance(call.arguments, dict) else {"_raw": call.arguments}
        record.tool_calls.append(
            ToolCall.model_construct(  # every field is built right here, with its type: no need
                step=self._steps,  # to validate (and copy) the arguments and result again
                name=call.name,
                arguments=args,
                result=result.value,
                error=result.error,
                write_seqs=[w.seq for w in new_writes],
            )
        )
        record.writes.extend(EpisodeRecord.write_entry(w, self._steps) for w in new_writes)
        if result.error is not None:
            self._error = self._error or error_info(result.kind or "tool_error", result.error)
            return result, False
        if tool is not None and tool.terminal:
            value = result.value if isinstance(result.value, dict) else {}
            record.answer, record.note = value.get("answer"), value.get("note")
            return result, True
        return result, False

    def on_plain_text(self, parsed: ParsedAction) -> tuple[str, bool]:
        """Plain text: an error (``plain_text="error"``) or the final answer (``"answer"``).

        Dialogue suites override this to pass the text to the patient simulator.
        """
        if self.plain_text == "answer" and "finish" in self._tools[self.task.id]:
            answer = ParsedAction(
                "calls", "text", calls=(Call("finish", {"answer": parsed.text}),), raw=parsed.raw
            )
            return self._run_calls(answer)
        reason = (
            "this suite has no patient to talk to"
            if self.plain_text == "patient"
            else "plain text is not an action in this environment"
        )
        obs = f"Invalid action: {reason}. {how_to_act(self._tool_names())}"
        self._error = error_info("plain_text", reason)
        self._reply_text(parsed.raw, obs)
        return obs, False

    # ---- info, render, close -----------------------------------------------------------------

    def _info(self, tools: bool = False) -> dict[str, Any]:
        """Lean info: only the transcript messages added since the last info, the tool schemas
        at reset only (``None`` = unchanged), the whole transcript once the episode is over."""
        record = self.record
        new = record.messages[self._reported :]
        self._reported = len(record.messages)
        return {
            "task_id": record.task_id,
            "messages": list(new),
            "tools": self._schemas_of(record.task_id) if tools else None,
            "checkpoints": self.scorer.status(),
            "reward_breakdown": self.scorer.breakdown(),
            "error": dict(self._error) if self._error else None,
            "usage": dict(self._usage),
            "transcript": list(record.messages) if self._done else None,
        }

    def add_usage(
        self, prompt_tokens: int = 0, completion_tokens: int = 0, cost_usd: float = 0.0
    ) -> None:
        """Account simulator/judge LLM calls made for this episode (shown in ``info["usage"]``)."""
        self._usage["prompt_tokens"] += prompt_tokens
        self._usage["completion_tokens"] += completion_tokens
        self._usage["cost_usd"] += cost_usd

    def render(self) -> str | None:  # type: ignore[override]
        """The transcript as text: returned for ``"ansi"``, printed for ``"human"``."""
        if self._record is None:
            return None
        text = tx.render(self._record.messages)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._episode.close()
            self._closed = True
        super().close()
