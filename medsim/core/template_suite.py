"""A suite whose tasks are instances of scenario templates (:mod:`medsim.tasks.templates`).

* ``tasks()`` (what ``medsim tasks list/validate`` and the default env use): the curated test
  instances.
* ``train_tasks()``: the shipped train set (``train_file``, a packed file written by
  ``medsim tasks generate SUITE --split train``), or ``count`` fresh instances per template.
  Train instances never use a patient who hosts a test instance of *any* template.
* ``generate("train", n, seed)``: ``n`` distinct train instances over all templates;
  ``generate("test", seed=s)``: a *regenerated* test-like set - as many instances of every
  template as it has curated ones, on non-test patients, so the specialty / task type /
  difficulty mix is the test split's (contamination resistance).

Every task's ``metadata.difficulty`` is computed by the rule of :mod:`medsim.tasks.difficulty`
from its template's curated instances. Results are cached per process.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsim.core.suite import Suite
from medsim.tasks.cache import cached_rows, cached_tasks, task_key
from medsim.tasks.difficulty import Metrics, count_branches, task_metrics, template_metrics
from medsim.tasks.listing import TaskRow
from medsim.tasks.packed import load_packed
from medsim.tasks.schema import Task

if TYPE_CHECKING:
    from types import ModuleType

    from medsim.tasks.templates import Template

TEMPLATE_SUFFIXES = (".yaml", ".yml")


def _engine() -> ModuleType:
    """The template engine (Jinja2, numpy), imported when templates are first loaded: listing
    suites and ``medsim --help`` stay fast."""
    from medsim.tasks import templates

    return templates


MAX_TEST_INSTANCES_PER_PATIENT = 2


@dataclass(frozen=True)
class TemplateSuite(Suite):
    """A :class:`Suite` whose ``tasks_dir`` holds template files instead of task files.
    ``extras["template_context"]`` (JSON data) is visible to every template as variables;
    ``train_file`` is the shipped train set (packed tasks)."""

    train_file: Path | None = None

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

    def task_rows(self, split: str | None = None) -> list[TaskRow]:
        """Listing rows: the train split's from :meth:`train_tasks`, the curated instances' from
        the task cache's side file (no full parse: ``medsim tasks list`` stays fast)."""
        if split == "train":
            return [TaskRow.of(t) for t in self.train_tasks(validate=False)]
        dirs, context = self._dirs(), self._context()
        key = _test_key(dirs, context)
        rows = cached_rows("curated", key, lambda: list(_render_test_tasks(dirs, context)))
        return [r for r in rows if split in (None, r.split)]

    def test_patients(self) -> set[str]:
        """Patients hosting a curated instance of any template (never used for training)."""
        return {inst.patient for tpl in self.templates() for inst in tpl.instances}

    def difficulty(self) -> dict[str, Metrics]:
        """Template id -> the difficulty rule's counts (their ``label()`` is the difficulty)."""
        return dict(_ratings(self._dirs(), self._context()))

    def train_tasks(
        self, count: int | None = None, seed: int = 0, *, validate: bool = True
    ) -> list[Task]:
        """The train split: the shipped ``train_file`` when ``count`` is None and it exists
        (instances of templates changed since it was written are generated afresh, with a
        warning), else ``count`` instances per template (default each ``train.count``).
        Checkpoints are validated like ``tasks()`` unless ``validate=False``."""
        shipped = self.train_file is not None and Path(self.train_file).exists()
        if count is None and seed == 0 and shipped:
            tasks = self.shipped_train_tasks()
            if validate:
                self.check_tasks(tasks)
            return tasks
        tasks = list(_train_tasks(self._dirs(), self._context(), count, seed))
        if validate:
            self.check_tasks(tasks)
        return tasks

    def shipped_train_tasks(self) -> list[Task]:
        """The tasks of ``train_file``; a template whose file changed since, that the file lacks,
        or one of whose instances sits on a patient who now hosts a test task gets
        ``train.count`` fresh instances instead, with a warning to regenerate."""
        if self.train_file is None:
            raise FileNotFoundError(f"suite {self.name} ships no train file")
        loaded = load_packed(str(self.train_file), "regenerate it with medsim tasks generate")
        current = {t.template: t.digest for t in self.templates()}
        test_patients = self.test_patients()
        changed = {  # changed since, or an instance on a patient who now hosts a test task
            _template_of(t)
            for t in loaded
            if _digest(t) != current.get(_template_of(t)) or t.patient in test_patients
        }
        missing = set(current) - {_template_of(t) for t in loaded}
        stale = sorted((changed | missing) & set(current))
        fresh = [t for t in loaded if _template_of(t) in current and _template_of(t) not in stale]
        if not stale:
            return fresh
        warnings.warn(
            f"{self.train_file}: no current instances of {', '.join(stale)} (template new or "
            "changed, or a train patient now hosts a test task); generating them now - rerun "
            "medsim tasks generate --split train --ship",
            stacklevel=2,
        )
        extra = [
            t
            for name in stale
            for t in _template_train(self._dirs(), self._context(), name, None, 0)
        ]
        return sorted([*fresh, *extra], key=lambda t: t.id)

    def generate(
        self, split: str, n: int | None = None, seed: int = 0, *, validate: bool = True
    ) -> list[Task]:
        """Fresh instances: ``split="train"`` gives ``n`` distinct train instances spread
        evenly over the templates; ``split="test"`` a regenerated test-like set (``n`` is
        ignored: each template gets as many instances as it has curated ones). Checkpoints are
        validated like ``tasks()`` unless ``validate=False``."""
        if split == "train":
            if n is None or n < 1:
                raise ValueError("split 'train' needs n >= 1 (the number of instances)")
            tasks = list(_train_set(self._dirs(), self._context(), n, seed))
        elif split == "test":
            tasks = list(_regenerated(self._dirs(), self._context(), seed))
        else:
            raise ValueError(f"split must be 'train' or 'test', not {split!r}")
        if validate:
            self.check_tasks(tasks)
        return tasks


def _template_of(task: Task) -> str:
    return str(task.metadata.details.get("template", ""))


def _digest(task: Task) -> str:
    return str(task.metadata.details.get("template_digest", ""))


def _files(dirs: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        out.extend(sorted(p for p in Path(d).rglob("*") if p.suffix in TEMPLATE_SUFFIXES))
    return out


@lru_cache(maxsize=8)
def _templates(dirs: tuple[str, ...]) -> tuple[Template, ...]:
    # the bodies' Jinja syntax is checked when they are rendered (see load_template)
    return tuple(_engine().load_template(p, check_syntax=False) for p in _files(dirs))


@lru_cache(maxsize=8)
def _curated(dirs: tuple[str, ...], context: str) -> tuple[tuple[Template, tuple[Task, ...]], ...]:
    extra: dict[str, Any] = json.loads(context)
    return tuple((tpl, tuple(_engine().curated_tasks(tpl, extra))) for tpl in _templates(dirs))


@lru_cache(maxsize=8)
def _ratings(dirs: tuple[str, ...], context: str) -> dict[str, Metrics]:
    out: dict[str, Metrics] = {}
    for tpl, tasks in _curated(dirs, context):
        if not tasks:
            continue
        branches = count_branches(tpl.task, tuple(tpl.derived.items()))
        conflicts, traps = len(tpl.hardness.conflicts), len(tpl.hardness.traps)
        out[tpl.template] = template_metrics(
            task_metrics(t, conflicts, traps, branches) for t in tasks
        )
    return out


def _rated(task: Task, metrics: Metrics | None, tags: tuple[str, ...] = ()) -> Task:
    """``task`` with the computed difficulty (and its counts in ``metadata.details``)."""
    meta = task.metadata
    update: dict[str, Any] = {"tags": [*meta.tags, *tags]}
    if metrics is not None:
        update["difficulty"] = metrics.label()
        update["details"] = {**meta.details, "difficulty": metrics.as_dict()}
    return task.model_copy(update={"metadata": meta.model_copy(update=update)})


@lru_cache(maxsize=8)
def _test_tasks(dirs: tuple[str, ...], context: str) -> tuple[Task, ...]:
    """The curated instances, rated; rendered once per installation (see
    :mod:`medsim.tasks.cache`) since rendering 100 templates takes seconds."""
    key = _test_key(dirs, context)
    return tuple(cached_tasks("curated", key, lambda: list(_render_test_tasks(dirs, context))))


def _test_key(dirs: tuple[str, ...], context: str) -> str:
    """The task-cache key of the curated instances (templates, context, cohort, medsim)."""
    from medsim.data.cohort.reader import cohort_path

    return task_key(_files(dirs), context, [cohort_path()])


def _render_test_tasks(dirs: tuple[str, ...], context: str) -> tuple[Task, ...]:
    ratings = _ratings(dirs, context)
    tasks = [
        _rated(t, ratings.get(tpl.template)) for tpl, ts in _curated(dirs, context) for t in ts
    ]
    return tuple(sorted(tasks, key=lambda t: t.id))


def _exclude(templates: tuple[Template, ...]) -> set[str]:
    return {inst.patient for tpl in templates for inst in tpl.instances}


@lru_cache(maxsize=8)
def _train_tasks(
    dirs: tuple[str, ...], context: str, count: int | None, seed: int
) -> tuple[Task, ...]:
    tasks = [
        t
        for tpl in _templates(dirs)
        for t in _template_train(dirs, context, tpl.template, count, seed)
    ]
    return tuple(sorted(tasks, key=lambda t: t.id))


@lru_cache(maxsize=256)
def _template_train(
    dirs: tuple[str, ...], context: str, template: str, count: int | None, seed: int
) -> tuple[Task, ...]:
    """``count`` (default ``train.count``) train instances of one template."""
    extra: dict[str, Any] = json.loads(context)
    templates = _templates(dirs)
    tpl = next(t for t in templates if t.template == template)
    rating = _ratings(dirs, context).get(template)
    exclude = _exclude(templates)
    n = tpl.train.count if count is None else count
    engine = _engine()
    return tuple(
        _rated(engine.instantiate(tpl, engine.train_instance(tpl, i, exclude, seed), extra), rating)
        for i in range(n)
    )


def _key(tpl: Template, patient: str, now: str, params: dict[str, Any]) -> str:
    """What makes two instances the same: template, patient, time and parameters."""
    return json.dumps([tpl.template, patient, now, params], sort_keys=True, default=str)


@lru_cache(maxsize=4)
def _train_set(dirs: tuple[str, ...], context: str, n: int, seed: int) -> tuple[Task, ...]:
    """``n`` distinct train instances, the templates taking turns (the first ``n % T``
    templates get one more); duplicates are skipped by drawing further indices."""
    extra: dict[str, Any] = json.loads(context)
    templates = _templates(dirs)
    ratings = _ratings(dirs, context)
    exclude = _exclude(templates)
    engine = _engine()
    tasks: list[Task] = []
    for pos, tpl in enumerate(templates):
        quota = n // len(templates) + (1 if pos < n % len(templates) else 0)
        seen: set[str] = set()
        index = 0
        while len(seen) < quota:
            if index >= 4 * quota + 20:
                raise engine.TemplateError(
                    f"{tpl.path}: only {len(seen)} distinct train instances after {index} draws"
                )
            inst = engine.train_instance(tpl, index, exclude, seed)
            index += 1
            key = _key(tpl, inst.patient, inst.now.isoformat(), inst.params)
            if key in seen:
                continue
            seen.add(key)
            tasks.append(_rated(engine.instantiate(tpl, inst, extra), ratings.get(tpl.template)))
    return tuple(sorted(tasks, key=lambda t: t.id))


@lru_cache(maxsize=4)
def _regenerated(dirs: tuple[str, ...], context: str, seed: int) -> tuple[Task, ...]:
    """Per template, as many instances as it has curated ones, on non-test patients (or, when
    no non-test patient is eligible, on test patients other than the template's own, with
    fresh parameters and time; tagged ``reused-test-patient``)."""
    extra: dict[str, Any] = json.loads(context)
    templates = _templates(dirs)
    ratings = _ratings(dirs, context)
    exclude = _exclude(templates)
    kind = f"regen{seed}"
    engine = _engine()
    tasks: list[Task] = []
    for tpl in templates:
        own = {inst.patient for inst in tpl.instances}
        rating = ratings.get(tpl.template)
        for index in range(len(tpl.instances)):
            tags: tuple[str, ...] = ("regenerated",)
            try:
                inst = engine.train_instance(tpl, index, exclude, seed, kind=kind)
            except engine.TemplateError:  # no eligible non-test patient: reuse another test patient
                inst = engine.train_instance(tpl, index, own, seed, kind=kind)
                tags = ("regenerated", "reused-test-patient")
            tasks.append(_rated(engine.instantiate(tpl, inst, extra), rating, tags))
    return tuple(sorted(tasks, key=lambda t: t.id))


__all__ = ["MAX_TEST_INSTANCES_PER_PATIENT", "TemplateSuite"]
