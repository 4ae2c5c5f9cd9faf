"""Load tasks from YAML/JSON files. Errors name the file, the task, the field and the reason.

A file holds one task (a mapping) or several (a list). Dates stay strings while parsing (YAML
would otherwise turn ``birthDate: 1950-02-01`` in an overlay into a Python date), and pydantic
then parses the task's ``now``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from medsim.tasks.schema import Task
from medsim.yamlload import SafeLoader

TASK_SUFFIXES = (".yaml", ".yml", ".json")


class TaskLoadError(ValueError):
    """A task file that cannot be read or does not match the schema."""


class _Loader(SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader (libyaml's when available, :mod:`medsim.yamlload`) without the timestamp
    resolver: dates and times stay as written (strings)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskLoadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise TaskLoadError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(task)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see medsim/tasks/schema.py)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def parse_task(data: Any, source: str = "task") -> Task:
    """Validate one task mapping; ``source`` prefixes the error (file and position)."""
    if not isinstance(data, dict):
        raise TaskLoadError(f"{source}: a task must be a mapping, got {type(data).__name__}")
    label = f"{source} (task {data['id']})" if isinstance(data.get("id"), str) else source
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        raise TaskLoadError(f"{label}: {_describe(exc)}") from None
    task._source = source
    return task


def load_task_file(path: str | Path) -> list[Task]:
    """Every task in one file (a mapping = one task, a list = several)."""
    p = Path(path)
    data = _read(p)
    if data is None:
        raise TaskLoadError(f"{p}: the file is empty")
    items = data if isinstance(data, list) else [data]
    if len(items) == 1:
        return [parse_task(items[0], str(p))]
    return [parse_task(item, f"{p}[{i}]") for i, item in enumerate(items)]


def task_files(root: str | Path) -> list[Path]:
    """Task files under ``root`` (a file or a folder, searched recursively), sorted by path."""
    p = Path(root)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise TaskLoadError(f"{p}: no such task file or folder")
    return sorted(f for f in p.rglob("*") if f.suffix in TASK_SUFFIXES and f.is_file())


def load_tasks(*roots: str | Path) -> list[Task]:
    """Tasks from files/folders, sorted by id; a duplicate id names both files."""
    seen: dict[str, Path] = {}
    tasks: list[Task] = []
    for f in _files(roots):
        for task in load_task_file(f):
            if task.id in seen:
                raise TaskLoadError(
                    f"{f}: task id {task.id!r} is already defined in {seen[task.id]}"
                )
            seen[task.id] = f
            tasks.append(task)
    return sorted(tasks, key=lambda t: t.id)


def _files(roots: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        files.extend(task_files(root))
    return files
