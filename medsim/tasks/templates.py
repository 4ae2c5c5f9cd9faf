"""Scenario templates: one parameterised clinical scenario (data) -> many ordinary ``Task``s.

A template is a YAML file (see environments/physicianbench/AUTHORING.md for a full example):

* ``template`` (id prefix), ``suite``, ``version``, ``specialty``, ``task_type``, ``difficulty``,
  ``tags`` and the descriptive blocks ``rationale``, ``citations``, ``review`` (copied into each
  task's ``metadata.details``);
* ``parameters``: name -> train distribution (``{uniform: [lo, hi], round: 1}``,
  ``{randint: [lo, hi]}``, ``{choice: [...]}``, ``{value: x}``);
* ``derived``: name -> Jinja2 expression over the parameters, ``patient`` and ``now``,
  evaluated in order (``dose: "2.5 if criteria >= 2 else 5"``);
* ``instances``: the curated test instances (``id``, ``patient``, ``now``, ``params``, all given);
* ``train``: ``eligibility`` (which other cohort patients may host an instance), ``now``
  window and time of day, and ``count``;
* ``task``: a Jinja2 template that renders to the YAML of the task body (instruction, context,
  tools, overlay, checkpoints, rubric, scoring, reference solution, negative controls). Resource
  builders (``lab``, ``note``, ...; :mod:`medsim.tasks.builders`) and ``b64`` are available;
  a checkpoint may carry ``cites: [citation ids]``, moved to ``metadata.details``.

:func:`instantiate` renders one instance into a :class:`~medsim.tasks.schema.Task`; the same
(template, index, seed) always gives the same train instance.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import numpy as np
import yaml
from jinja2.nativetypes import NativeEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medsim.data.overlay import resolve_relative
from medsim.tasks.builders import BUILDERS
from medsim.tasks.loader import TaskLoadError, _Loader, parse_task
from medsim.tasks.profiles import Eligibility, Profile, profiles
from medsim.tasks.schema import Task

Json = dict[str, Any]


class TemplateError(ValueError):
    """A template file that cannot be read, rendered or turned into a valid task."""


class Instance(BaseModel):
    """One curated (test) instance: every parameter given explicitly."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    patient: str
    now: datetime
    params: dict[str, Any] = Field(default_factory=dict)
    split: str = "test"

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.utcoffset() is None:
            raise ValueError("must include a timezone, e.g. 2025-03-04T09:00:00+00:00")
        return value


class TrainSpec(BaseModel):
    """How train instances are drawn: on which patients, when, how many."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=20, ge=0, le=10_000)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    now: tuple[str, str] = ("2025-02-01", "2025-06-30")  # date window (inclusive)
    hours: tuple[int, int] = (8, 16)  # clinic hours the task time is drawn from


class Hardness(BaseModel):
    """What makes a scenario hard, as data (the difficulty rule counts these): ``conflicts`` are
    outdated or contradictory chart data the agent must reconcile (a stale lab, a discontinued
    drug still listed, a note contradicting an order); ``traps`` are what a careless agent falls
    into (a contraindication visible only in an older note)."""

    model_config = ConfigDict(extra="forbid")

    conflicts: list[str] = Field(default_factory=list)
    traps: list[str] = Field(default_factory=list)


class Template(BaseModel):
    """A parsed template file (the ``task`` body stays a Jinja2 string until rendered)."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    suite: str
    version: int = 0
    title: str
    specialty: str
    task_type: str
    #: The author's expectation; the label tasks carry is computed by the difficulty rule
    #: (:mod:`medsim.tasks.difficulty`) and a suite test checks the two agree.
    difficulty: Literal["easy", "medium", "hard"] | None = None
    tags: list[str] = Field(default_factory=list)
    hardness: Hardness = Field(default_factory=Hardness)
    rationale: str
    citations: list[dict[str, Any]] = Field(min_length=1)
    review: dict[str, Any]
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)
    derived: dict[str, str] = Field(default_factory=dict)
    instances: list[Instance] = Field(default_factory=list)
    train: TrainSpec = Field(default_factory=TrainSpec)
    task: str
    path: str = ""
    digest: str = ""  # sha256 (first 16 hex) of the file: train files record it to spot staleness


_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
)
_NATIVE = NativeEnvironment(undefined=jinja2.StrictUndefined)


def _b64(text: str) -> str:
    return base64.b64encode(str(text).encode("utf-8")).decode("ascii")


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _calc(calculator: str, **inputs: Any) -> float:
    """A medsim calculator's value (``calc('ckd_epi_2021', age=70, sex='male', creatinine=1.4)``)
    so templates derive expected scores with the same code the ``calculate`` tool runs."""
    from medsim.calculators import compute

    return float(compute(calculator, inputs).value)


for _env in (_ENV, _NATIVE):
    _env.globals.update(BUILDERS)
    _env.globals["b64"] = _b64
    _env.globals["calc"] = _calc
    _env.filters["b64"] = _b64
    _env.filters["json"] = _tojson


@lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    """The compiled task body (compiling is most of the cost of an instance)."""
    return _ENV.from_string(source)


@lru_cache(maxsize=1024)
def _expression(source: str) -> jinja2.Template:
    return _NATIVE.from_string("{{ " + source + " }}")


def load_template(path: str | Path, *, check_syntax: bool = True) -> Template:
    """Parse and check a template file (its instances' parameters must all be present).
    ``check_syntax=False`` leaves the task body's Jinja syntax to be checked when it is first
    rendered (:func:`instantiate` reports it the same way): parsing 44 bodies is ~2 s, which a
    suite that only needs the templates' ids, digests and patients should not pay."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_Loader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{p}: cannot read template: {exc}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{p}: a template must be a mapping")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    try:
        tpl = Template.model_validate({**data, "path": str(p), "digest": digest})
    except ValidationError as exc:
        raise TemplateError(f"{p}: {exc}") from None
    if check_syntax:
        _check_syntax(tpl.task, str(p))
    for inst in tpl.instances:
        missing = sorted(set(tpl.parameters) - set(inst.params))
        extra = sorted(set(inst.params) - set(tpl.parameters))
        if missing or extra:
            raise TemplateError(
                f"{p}: instance {inst.id}: missing parameters {missing}, unknown {extra}"
            )
    return tpl


def seed_for(*parts: object) -> int:
    """A stable 64-bit seed from strings (never Python's salted ``hash``)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def draw(
    spec: dict[str, Any], rng: np.random.Generator, name: str, profile: Profile | None = None
) -> Any:
    """One value of a parameter distribution. ``{chart: LOINC, scale: [lo, hi], round: n,
    else: <distribution>}`` is the patient's latest cohort value times a uniform factor (the
    ``else`` distribution when the patient has no such value)."""
    if "chart" in spec:
        base = profile.value(str(spec["chart"])) if profile is not None else None
        if base is None:
            if "else" not in spec:
                raise TemplateError(f"parameter {name}: patient has no {spec['chart']} value")
            return draw(dict(spec["else"]), rng, name)
        lo, hi = spec.get("scale", (1.0, 1.0))
        value = base * float(rng.uniform(float(lo), float(hi)))
        digits = spec.get("round")
        return round(value, int(digits)) if digits is not None else value
    if "value" in spec:
        return spec["value"]
    if "choice" in spec:
        options = list(spec["choice"])
        return options[int(rng.integers(0, len(options)))]
    if "randint" in spec:
        lo, hi = spec["randint"]
        return int(rng.integers(int(lo), int(hi) + 1))
    if "uniform" in spec:
        lo, hi = spec["uniform"]
        value = float(rng.uniform(float(lo), float(hi)))
        digits = spec.get("round")
        return round(value, int(digits)) if digits is not None else value
    raise TemplateError(f"parameter {name}: unknown distribution {sorted(spec)}")


def _context(tpl: Template, inst: Instance, profile: Profile | None, extra: Json) -> Json:
    now = inst.now
    patient = profile.context(now) if profile is not None else {"id": inst.patient, "age": None}
    ctx: Json = {
        **extra,
        **inst.params,
        "patient": patient,
        "at": lambda relative: resolve_relative(str(relative), now),
        "now": now.isoformat(),
        "today": now.date().isoformat(),
        "task_id": inst.id,
        "split": inst.split,
    }
    for name, expr in tpl.derived.items():
        try:
            ctx[name] = _expression(expr).render(**ctx)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{tpl.path}: derived {name!r}: {exc}") from None
    return ctx


def _details(tpl: Template, inst: Instance, ctx: Json, cites: dict[str, list[str]]) -> Json:
    shown = {k: ctx[k] for k in [*tpl.parameters, *tpl.derived]}
    return {
        "template": tpl.template,
        "title": tpl.title,
        "task_type": tpl.task_type,
        "parameters": json.loads(json.dumps(shown, default=str)),
        "rationale": tpl.rationale,
        "citations": tpl.citations,
        "checkpoint_citations": cites,
        "review": tpl.review,
        "hardness": tpl.hardness.model_dump(),
        "template_digest": tpl.digest,
    }


def _check_syntax(body: str, where: str) -> None:
    try:
        _ENV.parse(body)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{where}: task body line {exc.lineno}: {exc.message}") from None


def instantiate(tpl: Template, inst: Instance, extra: Json | None = None) -> Task:
    """Render ``inst`` of ``tpl`` into a validated Task (errors name the template and instance).
    ``extra`` holds suite-wide template variables (e.g. PhysicianBench's ``workbench`` tools)."""
    where = f"{tpl.path} (instance {inst.id})"
    profile = profiles().get(inst.patient)
    ctx = _context(tpl, inst, profile, extra or {})
    try:
        compiled = _compiled(tpl.task)
    except jinja2.TemplateSyntaxError:
        _check_syntax(tpl.task, tpl.path)  # raises the TemplateError load_template would
        raise
    try:
        text = compiled.render(**ctx)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{where}: rendering failed: {exc}") from None
    except ValueError as exc:  # a builder refused its arguments
        raise TemplateError(f"{where}: {exc}") from None
    try:
        body = yaml.load(text, Loader=_Loader)  # noqa: S506
    except yaml.YAMLError as exc:
        raise TemplateError(f"{where}: rendered task is not valid YAML: {exc}") from None
    if not isinstance(body, dict):
        raise TemplateError(f"{where}: the task body must render to a mapping")
    cites: dict[str, list[str]] = {}
    for cp in body.get("checkpoints") or []:
        if isinstance(cp, dict) and "cites" in cp:
            cites[str(cp.get("id"))] = list(cp.pop("cites") or [])
    meta = dict(body.pop("metadata", None) or {})
    meta.setdefault("difficulty", tpl.difficulty or "medium")  # suites apply the computed rule
    meta["tags"] = [*tpl.tags, *meta.get("tags", [])]
    meta.setdefault("source", f"medsim scenario template {tpl.template} v{tpl.version}")
    meta["details"] = _details(tpl, inst, ctx, cites)
    data = {
        "id": inst.id,
        "suite": tpl.suite,
        "version": tpl.version,
        "split": inst.split,
        "specialty": tpl.specialty,
        "workflow": tpl.task_type,
        "patient": inst.patient,
        "now": inst.now.isoformat(),
        **body,
        "metadata": meta,
    }
    try:
        return parse_task(data, where)
    except TaskLoadError as exc:
        raise TemplateError(str(exc)) from None


def curated_tasks(tpl: Template, extra: Json | None = None) -> list[Task]:
    """The template's curated instances as tasks."""
    return [instantiate(tpl, inst, extra) for inst in tpl.instances]


def eligible_patients(tpl: Template, exclude: set[str], at: str) -> list[str]:
    """Cohort patients a train instance of ``tpl`` may use (sorted; never one of ``exclude``)."""
    moment = datetime.fromisoformat(f"{at}T12:00:00+00:00")
    return [
        pid
        for pid, prof in profiles().items()
        if pid not in exclude and not tpl.train.eligibility.problems(prof, moment)
    ]


def train_instance(
    tpl: Template, index: int, exclude: set[str], seed: int = 0, *, kind: str = "train"
) -> Instance:
    """Generated instance ``index`` of ``tpl``: a patient outside ``exclude``, drawn parameters
    and task time. Deterministic in (template, version, index, seed, kind). ``kind`` "train"
    gives train instances (ids ``<template>-train-NNNN``); any other kind (``regen<seed>``) an
    independent stream of test-like instances (split "test", ids ``<template>-<kind>-NN``)."""
    parts: tuple[object, ...] = (tpl.template, tpl.version, index, seed)
    rng = np.random.default_rng(seed_for(*parts) if kind == "train" else seed_for(*parts, kind))
    lo = datetime.fromisoformat(tpl.train.now[0]).date()
    hi = datetime.fromisoformat(tpl.train.now[1]).date()
    day = lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))
    hour = int(rng.integers(tpl.train.hours[0], tpl.train.hours[1] + 1))
    now = datetime.combine(day, time(hour, 0), tzinfo=UTC)
    pool = eligible_patients(tpl, exclude, day.isoformat())
    if not pool:
        raise TemplateError(f"{tpl.path}: no cohort patient is eligible for a {kind} instance")
    patient = pool[int(rng.integers(0, len(pool)))]
    prof = profiles()[patient]
    params = {name: draw(spec, rng, name, prof) for name, spec in tpl.parameters.items()}
    train = kind == "train"
    return Instance(
        id=f"{tpl.template}-train-{index:04d}" if train else f"{tpl.template}-{kind}-{index:02d}",
        patient=patient,
        now=now,
        params=params,
        split="train" if train else "test",
    )


__all__ = [
    "Hardness",
    "Instance",
    "Template",
    "TemplateError",
    "TrainSpec",
    "draw",
    "eligible_patients",
    "instantiate",
    "load_template",
    "seed_for",
    "curated_tasks",
    "train_instance",
]
