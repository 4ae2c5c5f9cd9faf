"""A suite: the data and policy that turn the generic ``ClinicalEnv`` into one benchmark.

A suite module in ``environments/<name>/`` builds one :class:`Suite` (where its task files are,
what plain text means, its system prompt, extra tool modules) and exposes a factory that
``medsim.registry`` points at by name. The env core never imports a particular suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from medsim.gcpause import cycle_collection_paused
from medsim.tasks.listing import TaskRow
from medsim.tasks.loader import TaskLoadError, load_tasks
from medsim.tasks.schema import Task

PlainTextPolicy = Literal["error", "answer", "patient"]
TextStyle = Literal["medsim", "medagentbench"]


@dataclass(frozen=True)
class Suite:
    """Everything suite-specific the env needs; plain data plus two small hooks."""

    name: str
    tasks_dir: Path | tuple[Path, ...]
    description: str = ""
    #: What plain-text actions mean: an error observation, the final answer, or words to the patient.
    plain_text: PlainTextPolicy = "error"
    system_prompt: str | None = None
    #: "medsim": every action format gets the same JSON observation; "medagentbench": GET/POST
    #: responses are phrased the way MedAgentBench phrases them.
    text_style: TextStyle = "medsim"
    #: Modules whose import registers this suite's extra tools (``calculate``, ``ask_patient`` ...).
    tool_modules: tuple[str, ...] = ()
    #: Modules whose import registers this suite's own checkpoint graders (``@checkpoint``).
    grader_modules: tuple[str, ...] = ()
    #: Default EHR data (path) for the embedded backend; None means medsim's synthetic cohort.
    data: Callable[[], Path | None] | None = None
    prompt_template: str = "{instruction}{context_block}"
    #: Split used when none is asked for (``make`` and ``medsim tasks list``); None = all tasks.
    default_split: str | None = None
    #: Largest ``_count`` a search honours in this suite's episodes (None: the backend's default,
    #: 1000 as in medsim's HAPI configuration). MedAgentBench-v0 needs 5000 (its grader's queries).
    max_page_size: int | None = None
    extras: dict[str, object] = field(default_factory=dict)
    #: "module:Class" of the env this suite runs in (a ClinicalEnv subclass, e.g. one with a
    #: patient simulator); ``medsim tasks validate`` plays references and controls through it.
    env_class: str = "medsim.core.env:ClinicalEnv"

    def tasks(self, *, validate: bool = True) -> list[Task]:
        """The suite's tasks sorted by id, parsed once per process. Every checkpoint's params are
        validated against its grader here (with the suite's own grader modules loaded), so a
        misspelt parameter fails at load — ``make`` or ``medsim tasks`` — naming file, task,
        checkpoint and field, not at ``reset`` or the last step. ``validate=False`` skips that
        (and the import of the graders), for listings and for ``medsim tasks validate``, which
        reports every task's problems instead of stopping at the first."""
        tasks = self.load_tasks()
        if validate:
            self.check_tasks(tasks)
        return tasks

    def task_rows(self, split: str | None = None) -> list[TaskRow]:
        """What ``medsim tasks list`` shows of the tasks of ``split`` (all when None)."""
        return [TaskRow.of(t) for t in self.tasks(validate=False) if split in (None, t.split)]

    def load_tasks(self) -> list[Task]:
        """The parsed task files (schema-checked only); a suite with another format overrides it."""
        dirs = self.tasks_dir if isinstance(self.tasks_dir, tuple) else (self.tasks_dir,)
        return list(_parsed_tasks(tuple(str(d) for d in dirs)))

    def check_tasks(self, tasks: list[Task]) -> None:
        """Raise :class:`TaskLoadError` for the first task whose checkpoints name an unknown
        grader or params it rejects (parsed params are kept, so graders do not re-validate)."""
        from medsim.grading.checkpoints.registry import checkpoint_problems

        load_grader_modules(self.grader_modules)
        with cycle_collection_paused():  # ~13,000 param models for the PhysicianBench train set
            for task in tasks:
                problems = checkpoint_problems(task)
                if problems:
                    where = f"{task.source} (task {task.id})" if task.source else f"task {task.id}"
                    raise TaskLoadError(f"{where}: {'; '.join(problems)}")

    def import_tools(self) -> None:
        """Import the suite's tool and grader modules so their tools and graders are registered."""
        from medsim.tools.registry import load_tool_modules

        load_tool_modules(self.tool_modules)
        load_grader_modules(self.grader_modules)

    def env_type(self) -> type:
        """The env class named by ``env_class`` (imported when called)."""
        import importlib

        module, _, name = self.env_class.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]

    def default_data(self) -> Path | None:
        """Where the embedded EHR loads its base data from for this suite."""
        if self.data is not None:
            return self.data()
        from medsim.data.cohort import cohort_path

        return Path(cohort_path())

    def prompt(self, task: Task) -> str:
        """The first observation: the instruction, then the task's context when it has one."""
        context_block = f"\n\nContext: {task.context.strip()}" if task.context.strip() else ""
        return self.prompt_template.format(
            instruction=task.instruction.strip(),
            context_block=context_block,
            context=task.context.strip(),
            patient=task.patient,
            now=task.now.isoformat(),
        )


def load_grader_modules(modules: tuple[str, ...]) -> None:
    """Register the built-in graders and a suite's own (imports grading only when called)."""
    from medsim.grading.checkpoints.registry import load_grader_modules as load

    load(modules)


@lru_cache(maxsize=32)
def _parsed_tasks(dirs: tuple[str, ...]) -> tuple[Task, ...]:
    return tuple(load_tasks(*dirs))
