"""The dialogue case file: its schema, its rules, and the loader with clear errors.

One YAML file per scenario in ``cases/<specialty>/<case_id>.yaml`` (the annotated format is in
README.md, "Case files"). A *case* = this scenario + a cohort patient whose chart the agent may
read. :func:`load_case` parses a file and checks the rules a model cannot express alone: the
fact counts, that ``must_ask`` / ``red_flags`` / ``decisive`` name facts, that every ``cites``
names a citation, that no patient-visible text (opening, facts) already mentions the diagnosis
or a hidden value (the leak guard reads it), and that each must-ask and red-flag fact can be
reached by a question (one of its intents, asked as is). Every error names the file and field.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from medsim.patients.base import Fact, PatientCase
from medsim.patients.intents import match_facts, system_of
from medsim.patients.leak import LeakGuard
from medsim.patients.persona import check_persona
from medsim.yamlload import safe_load

_STRICT = ConfigDict(extra="forbid")
_ID = r"^[a-z0-9][a-z0-9_]*$"
DEFAULT_NOW = "2025-03-03T10:00:00+00:00"
DEFAULT_WRONG = "Viral upper respiratory infection"


class CaseError(ValueError):
    """A case file that cannot be read or breaks the schema's rules; names file and field."""


class Citation(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    url: str | None = None


class Criteria(BaseModel):
    """Which cohort patients may host the scenario (the train split draws from them)."""

    model_config = _STRICT
    sex: Literal["any", "female", "male"] = "any"
    min_age: int = Field(default=18, ge=0, le=120)
    max_age: int = Field(default=120, ge=0, le=120)
    exclude_conditions: list[str] = Field(default_factory=list)
    require_conditions: list[str] = Field(default_factory=list)
    #: Addition (dlgengine): lower-case drug-name words of active orders that exclude a patient.
    exclude_ingredients: list[str] = Field(default_factory=list)


class PatientSpec(BaseModel):
    model_config = _STRICT
    test: str = Field(pattern=r"^pat-\d{4}$")
    criteria: Criteria = Field(default_factory=Criteria)


class Persona(BaseModel):
    model_config = _STRICT
    education: Literal["low", "average", "high"] = "average"
    emotional_state: Literal["calm", "anxious", "irritable", "stoic"] = "calm"
    language_notes: str = ""


class Presentation(BaseModel):
    model_config = _STRICT
    chief_complaint: str = Field(min_length=1)
    opening_statement: str = Field(min_length=1)


class FactSpec(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=_ID)
    category: Literal["hpi", "pmh", "medications", "allergies", "social", "family", "ros", "other"]
    intents: list[str] = Field(min_length=1)
    answer: str = Field(min_length=1)
    initial: bool = False
    #: Addition (dlgengine): the body system of a ``ros`` fact, so "anything wrong with your
    #: bowels?" reaches it (a name of medsim/patients/data/body_systems.yaml).
    system: str | None = None

    @field_validator("system")
    @classmethod
    def _system(cls, value: str | None) -> str | None:
        if value is not None and system_of(value) != value:
            raise ValueError(f"unknown body system {value!r} (see body_systems.yaml)")
        return value


class ExamSpec(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=_ID)
    system: str = Field(min_length=1)
    finding: str = Field(min_length=1)


class TestSpec(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    intents: list[str] = Field(default_factory=list)
    result: str = Field(min_length=1)
    loinc: str | None = None


class Diagnosis(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    icd10: list[str] = Field(min_length=1)
    cites: str

    @field_validator("icd10")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        import re

        bad = [c for c in codes if not re.fullmatch(r"[A-TV-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?", c)]
        if bad:
            raise ValueError(f"not ICD-10-CM codes: {bad}")
        return codes


class PlanItem(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=_ID)
    any_of: list[str] = Field(min_length=1)
    cites: str


class DangerousItem(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=_ID)
    any_of: list[str] = Field(min_length=1)
    why: str = Field(min_length=1)
    cites: str


class Plan(BaseModel):
    model_config = _STRICT
    required: list[PlanItem] = Field(default_factory=list)
    dangerous: list[DangerousItem] = Field(default_factory=list)


class Review(BaseModel):
    model_config = _STRICT
    reviewer: str | None = None
    checked: str | None = None
    changed: str | None = None


class Train(BaseModel):
    """Addition (dlgengine): how many train instances the scenario yields per seed."""

    model_config = _STRICT
    count: int = Field(default=3, ge=0, le=100)


class Case(BaseModel):
    """One dialogue scenario (see /work/briefs/dialogue-case-schema.md and README.md)."""

    model_config = _STRICT
    id: str = Field(pattern=r"^dlg-[a-z0-9][a-z0-9\-]*$")
    version: int = Field(default=0, ge=0)
    specialty: str = Field(pattern=r"^[a-z][a-z_]*$")
    setting: str = Field(min_length=1)
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    citations: list[Citation] = Field(min_length=1)
    patient: PatientSpec
    persona: Persona = Field(default_factory=Persona)
    presentation: Presentation
    facts: list[FactSpec] = Field(min_length=12, max_length=25)
    exam: list[ExamSpec] = Field(default_factory=list)
    tests: list[TestSpec] = Field(default_factory=list)
    diagnosis: Diagnosis
    differential_ok: list[str] = Field(default_factory=list)
    must_ask: list[str] = Field(min_length=3, max_length=8)
    red_flags: list[str] = Field(min_length=1, max_length=3)
    hidden: list[str] = Field(default_factory=list)
    plan: Plan = Field(default_factory=Plan)
    review: Review = Field(default_factory=Review)
    # ---- additions by dlgengine (optional) ----
    now: datetime = Field(default_factory=lambda: datetime.fromisoformat(DEFAULT_NOW))
    wrong_diagnosis: str = DEFAULT_WRONG
    decisive: list[list[str]] = Field(default_factory=list)
    #: Diagnosis names the patient legitimately knows and may say (a chronic disease on their
    #: chart, e.g. "gout" in a gout-flare case); removed from the leak guard's secrets.
    patient_may_say: list[str] = Field(default_factory=list)
    train: Train = Field(default_factory=Train)
    path: str = Field(default="", exclude=True)

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.utcoffset() is None:
            raise ValueError("must include a timezone, e.g. 2025-03-03T10:00:00+00:00")
        return value

    @model_validator(mode="after")
    def _rules(self) -> Case:
        fact_ids = [f.id for f in self.facts]
        _unique("facts", fact_ids)
        _unique("exam", [e.id for e in self.exam])
        _unique("tests", [t.id for t in self.tests])
        items: list[PlanItem | DangerousItem] = [*self.plan.required, *self.plan.dangerous]
        _unique("plan", [p.id for p in items])
        for label, ids in (("must_ask", self.must_ask), ("red_flags", self.red_flags)):
            unknown = sorted(set(ids) - set(fact_ids))
            if unknown:
                raise ValueError(f"{label} names unknown fact(s) {unknown}")
        for i, group in enumerate(self.decisive):
            unknown = sorted(set(group) - set(fact_ids))
            if not group or unknown:
                raise ValueError(f"decisive[{i}] must be a non-empty list of fact ids ({unknown})")
        initial = sum(f.initial for f in self.facts)
        if not 3 <= initial <= 8:
            raise ValueError(f"{initial} facts are initial: true (3-8 required)")
        cited = {c.id for c in self.citations}
        cites = [self.diagnosis.cites] + [p.cites for p in items]
        unknown = sorted(set(cites) - cited)
        if unknown:
            raise ValueError(f"cites names unknown citation(s) {unknown}")
        names = {n.lower() for n in self.names()}
        if self.wrong_diagnosis.lower() in names:
            raise ValueError("wrong_diagnosis is one of the diagnosis names")
        if self.patient.criteria.min_age > self.patient.criteria.max_age:
            raise ValueError("patient.criteria: min_age > max_age")
        return self

    def names(self) -> list[str]:
        """The diagnosis and its aliases."""
        return [self.diagnosis.name, *self.diagnosis.aliases]

    def secrets(self) -> list[str]:
        """What no patient may say: the diagnosis, its aliases, the hidden strings (less the
        names in ``patient_may_say``)."""
        allowed = {a.strip().lower() for a in self.patient_may_say}
        return [n for n in self.names() if n.strip().lower() not in allowed] + list(self.hidden)

    def patient_case(
        self,
        age: int | None = None,
        sex: str | None = None,
        answers: dict[str, str] | None = None,
    ) -> PatientCase:
        """What the patient simulators get (facts and persona; secrets only for the guard).
        ``answers`` replaces some facts' answers (a train host's own chart: chart.py)."""
        answers = answers or {}
        facts = tuple(
            Fact(
                f.id, answers.get(f.id, f.answer), tuple(f.intents), f.category, f.system, f.initial
            )
            for f in self.facts
        )
        persona = {k: str(v) for k, v in self.persona.model_dump().items() if v}
        return PatientCase(
            case_id=self.id,
            chief_complaint=self.presentation.chief_complaint,
            opening_statement=self.presentation.opening_statement,
            facts=facts,
            secrets=tuple(self.secrets()),
            age=age,
            sex=sex,
            persona=persona,
        )

    def question_for(self, fact_id: str) -> str | None:
        """A question that reaches ``fact_id`` (one of its intents, asked as is), or None."""
        return self.questions_for([fact_id])[fact_id]

    def questions_for(self, fact_ids: list[str]) -> dict[str, str | None]:
        """:meth:`question_for` of each of ``fact_ids``, the patient case built once for all
        (it was built twice per fact: most of loading the 67 cases at ``make``)."""
        case = self.patient_case()
        intents = [f.intent() for f in case.facts]
        out: dict[str, str | None] = {}
        for fact_id in fact_ids:
            out[fact_id] = None
            for intent in case.fact(fact_id).intents:
                question = f"{intent[:1].upper()}{intent[1:]}?"
                if fact_id in [f.id for f in match_facts(question, intents)]:
                    out[fact_id] = question
                    break
        return out


def _unique(label: str, ids: list[str]) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate {label} id(s) {dupes}")


def _content_problems(case: Case) -> list[str]:
    """Rules that need the patients package: no leak in patient text, reachable key facts."""
    problems = []
    check_persona(case.persona.model_dump())
    guard = LeakGuard(case.secrets())
    texts = {"presentation.opening_statement": case.presentation.opening_statement}
    texts["presentation.chief_complaint"] = case.presentation.chief_complaint
    texts.update({f"facts.{f.id}.answer": f.answer for f in case.facts})
    for where, text in texts.items():
        hits = guard.redact(text)[1]
        if hits:
            problems.append(f"{where} mentions {hits[0]!r} (a secret the patient cannot know)")
    questions = case.questions_for(list(dict.fromkeys([*case.must_ask, *case.red_flags])))
    for fid, question in questions.items():
        if question is None:
            problems.append(f"facts.{fid}: no intent of this must-ask/red-flag fact reaches it")
    return problems


def load_case(path: str | Path) -> Case:
    """Parse and check one case file; :class:`CaseError` names the file and what is wrong."""
    p = Path(path)
    try:
        data = safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{p}: cannot read case file: {exc}") from None
    if not isinstance(data, dict):
        raise CaseError(f"{p}: a case file must be a YAML mapping")
    try:
        case = Case.model_validate({**data, "path": str(p)})
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(x) for x in e['loc']) or '(case)'}: {e['msg']}" for e in exc.errors()
        ]
        raise CaseError(f"{p}: " + "; ".join(lines)) from None
    problems = _content_problems(case)
    if problems:
        raise CaseError(f"{p} (case {case.id}): " + "; ".join(problems))
    return case


def load_cases(root: str | Path) -> list[Case]:
    """Every case under ``root`` (``<specialty>/<case_id>.yaml``), sorted by id; ids unique."""
    files = sorted(Path(root).rglob("*.yaml")) + sorted(Path(root).rglob("*.yml"))
    cases = [load_case(f) for f in files]
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(f"case id {case.id} appears in {seen[case.id]} and {case.path}")
        seen[case.id] = case.path
    return sorted(cases, key=lambda c: c.id)


__all__ = ["Case", "CaseError", "load_case", "load_cases"]
