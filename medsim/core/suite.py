"""A suite: the data and policy that turn the generic ``ClinicalEnv`` into one benchmark.

A suite module in ``environments/<name>/`` builds one :class:`Suite` (where its task files are,
what plain text means, its system prompt, extra tool modules) and exposes a factory that
``medsim.registry`` points at by name. The env core never imports a particular suite.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from medsim.tasks.loader import load_tasks
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
    #: Default EHR data (path) for the embedded backend; None means medsim's synthetic cohort.
    data: Callable[[], Path | None] | None = None
    prompt_template: str = "{instruction}{context_block}"
    #: Split used when none is asked for (``make`` and ``medsim tasks list``); None = all tasks.
    default_split: str | None = None
    #: Largest ``_count`` the embedded engine honours for this suite (None: the engine's default).
    max_page_size: int | None = None
    extras: dict[str, object] = field(default_factory=dict)

    def tasks(self) -> list[Task]:
        """The suite's tasks sorted by id (parsed once per process)."""
        dirs = self.tasks_dir if isinstance(self.tasks_dir, tuple) else (self.tasks_dir,)
        return list(_cached_tasks(tuple(str(d) for d in dirs)))

    def import_tools(self) -> None:
        """Import the suite's tool modules so their ``@tool`` functions are registered."""
        for module in self.tool_modules:
            importlib.import_module(module)

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


@lru_cache(maxsize=32)
def _cached_tasks(dirs: tuple[str, ...]) -> tuple[Task, ...]:
    return tuple(load_tasks(*dirs))
