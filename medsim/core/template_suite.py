"""A suite whose tasks are instances of scenario templates (:mod:`medsim.tasks.templates`).

``tasks()`` (what ``medsim tasks list/validate`` and the default env use) returns the curated
test instances; ``train_tasks(count, seed)`` instantiates every template on other cohort
patients, never one that hosts a test instance of *any* template of the suite, so train and test
are patient-disjoint. Both are cached per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from medsim.core.suite import Suite
from medsim.tasks.schema import Task
from medsim.tasks.templates import (
    Template,
    curated_tasks,
    instantiate,
    load_template,
    train_instance,
)

TEMPLATE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class TemplateSuite(Suite):
    """A :class:`Suite` whose ``tasks_dir`` holds template files instead of task files.
    ``extras["template_context"]`` (JSON data) is visible to every template as variables."""

    def templates(self) -> list[Template]:
        """Every template of the suite, sorted by file name."""
        return list(_templates(self._dirs()))

    def _dirs(self) -> tuple[str, ...]:
        dirs = self.tasks_dir if isinstance(self.tasks_dir, tuple) else (self.tasks_dir,)
        return tuple(str(d) for d in dirs)

    def _context(self) -> str:
        return json.dumps(self.extras.get("template_context", {}), sort_keys=True)

    def load_tasks(self) -> list[Task]:
        """The curated (test) instances of every template, sorted by id (``tasks()`` validates
        their checkpoints as for any suite)."""
        return list(_test_tasks(self._dirs(), self._context()))

    def test_patients(self) -> set[str]:
        """Patients hosting a curated instance of any template (never used for training)."""
        return {inst.patient for tpl in self.templates() for inst in tpl.instances}

    def train_tasks(
        self, count: int | None = None, seed: int = 0, *, validate: bool = True
    ) -> list[Task]:
        """``count`` train instances per template (default: each template's ``train.count``),
        their checkpoints validated like ``tasks()`` unless ``validate=False``."""
        tasks = list(_train_tasks(self._dirs(), self._context(), count, seed))
        if validate:
            self.check_tasks(tasks)
        return tasks


def _files(dirs: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        out.extend(sorted(p for p in Path(d).rglob("*") if p.suffix in TEMPLATE_SUFFIXES))
    return out


@lru_cache(maxsize=8)
def _templates(dirs: tuple[str, ...]) -> tuple[Template, ...]:
    return tuple(load_template(p) for p in _files(dirs))


@lru_cache(maxsize=8)
def _test_tasks(dirs: tuple[str, ...], context: str) -> tuple[Task, ...]:
    extra: dict[str, Any] = json.loads(context)
    tasks = [t for tpl in _templates(dirs) for t in curated_tasks(tpl, extra)]
    return tuple(sorted(tasks, key=lambda t: t.id))


@lru_cache(maxsize=8)
def _train_tasks(
    dirs: tuple[str, ...], context: str, count: int | None, seed: int
) -> tuple[Task, ...]:
    extra: dict[str, Any] = json.loads(context)
    templates = _templates(dirs)
    exclude = {inst.patient for tpl in templates for inst in tpl.instances}
    tasks: list[Task] = []
    for tpl in templates:
        n = tpl.train.count if count is None else count
        tasks.extend(
            instantiate(tpl, train_instance(tpl, i, exclude, seed), extra) for i in range(n)
        )
    return tuple(sorted(tasks, key=lambda t: t.id))


__all__ = ["TemplateSuite"]
