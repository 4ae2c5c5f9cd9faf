"""What the two MedCalc suites share: tasks packed in one gzip NDJSON file (one task per line,
written by the generator), and the option to offer one ``calc_<id>`` tool per calculator
instead of (or beside) ``calculate``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medsim.core.suite import Suite
from medsim.tasks import packed
from medsim.tasks.schema import Task

TASKS_DIR = Path(__file__).parent / "tasks"
ToolStyle = Literal["calculate", "per_calculator", "both"]
TOOL_STYLES: tuple[str, ...] = ("calculate", "per_calculator", "both")


@dataclass(frozen=True)
class PackedSuite(Suite):
    """A :class:`Suite` whose tasks live in ``packed`` (gzip NDJSON) instead of YAML files."""

    packed: Path | None = None

    def load_tasks(self) -> list[Task]:
        if self.packed is None:
            return super().load_tasks()
        return list(load_packed(str(self.packed)))


def load_packed(path: str) -> tuple[Task, ...]:
    """Tasks from a gzip NDJSON file, sorted by id; errors name the file, line and field."""
    return packed.load_packed(
        path, "regenerate it with python -m medsim.environments.medcalc.generate"
    )


def with_tool_style(tasks: list[Task], style: str) -> list[Task]:
    """The tasks with ``calculate`` replaced by (``per_calculator``) or joined by (``both``)
    one ``calc_<id>`` tool per calculator; ``calculate`` returns them unchanged."""
    if style not in TOOL_STYLES:
        raise ValueError(f"calculator_tools must be one of {', '.join(TOOL_STYLES)}, not {style!r}")
    if style == "calculate":
        return list(tasks)
    from medsim.tools.calculate import calculator_tool_names

    per_calc = calculator_tool_names()
    out = []
    for task in tasks:
        tools: list[str] = []
        for name in task.tools:
            if name == "calculate":
                tools.extend(["calculate", *per_calc] if style == "both" else per_calc)
            else:
                tools.append(name)
        out.append(task.model_copy(update={"tools": list(dict.fromkeys(tools))}))
    return out
