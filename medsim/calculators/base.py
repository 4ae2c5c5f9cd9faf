"""The calculator registry: one decorator, one result type, ``catalog()`` and ``compute()``.

A calculator is a pure function from a pydantic input model to a :class:`Result`::

    class MapInputs(CalculatorInputs):
        sbp: quantity("mmHg", gt=0, le=400, description="systolic blood pressure")
        dbp: quantity("mmHg", gt=0, le=300, description="diastolic blood pressure")

    @calculator(id="mean_arterial_pressure", name="Mean Arterial Pressure (MAP)", medcalc_id=5,
                category="physical", output="decimal", unit="mmHg",
                medcalc_entities={"Systolic Blood Pressure": "sbp", "Diastolic Blood Pressure": "dbp"})
    def mean_arterial_pressure(x: MapInputs) -> Result:
        '''MAP = DBP + (SBP - DBP) / 3.  Source: ...'''
        ...

Inputs are validated (and units converted) before the function runs; errors name the field.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

Category = Literal["lab", "physical", "date", "dosage", "risk", "severity", "diagnosis"]
OutputType = Literal["decimal", "integer", "date", "weeks_days"]


class CalculatorInputs(BaseModel):
    """Base class of every calculator's inputs: unknown fields are errors, never ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


_SEX_WORDS = {"male": "male", "m": "male", "man": "male", "boy": "male",
              "female": "female", "f": "female", "woman": "female", "girl": "female"}  # fmt: skip


def _sex(raw: Any) -> str:
    if isinstance(raw, str) and raw.strip().lower() in _SEX_WORDS:
        return _SEX_WORDS[raw.strip().lower()]
    raise ValueError(f"expected 'male' or 'female', got {raw!r}")


Sex = Annotated[Literal["male", "female"], BeforeValidator(_sex), Field(description="sex")]
"""Sex as every calculator uses it ('male'/'female'; 'M', 'F', 'Male', 'Female' accepted)."""


class CalculatorError(ValueError):
    """Bad input to a calculator: an unknown calculator, a missing field, an impossible value."""


class Result(BaseModel):
    """A calculator's answer: the value, its unit, and steps a clinician can check."""

    model_config = ConfigDict(extra="forbid")

    calculator: str
    value: float | int | str
    unit: str | None = None
    explanation: str
    inputs: dict[str, Any] = {}


@dataclass(frozen=True)
class Calculator:
    """Registry entry: metadata plus the function and its input model."""

    id: str
    name: str
    category: Category
    output: OutputType
    unit: str | None
    fn: Callable[[Any], Result]
    inputs: type[CalculatorInputs]
    medcalc_id: int | None = None
    medcalc_entities: Mapping[str, str] = field(default_factory=dict)
    from_medcalc: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    aliases: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The method (the function's docstring), ending with the version paragraph."""
        doc = inspect.getdoc(self.fn) or self.name
        return f"{doc}\n\n{self.version}" if self.version else doc

    @property
    def version(self) -> str:
        """Which version of the rule this implements and whether a newer one replaced it
        (``data/versions.yaml``); empty when the table has no entry."""
        entry = _versions().get(self.id)
        if not entry:
            return ""
        return f"Version: {entry['version']}. Newer or replacing rules: {entry['current']}."

    def input_schema(self) -> dict[str, Any]:
        return self.inputs.model_json_schema()

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "medcalc_id": self.medcalc_id,
            "category": self.category,
            "output": self.output,
            "unit": self.unit,
            "version": self.version,
            "input_schema": self.input_schema(),
        }


_REGISTRY: dict[str, Calculator] = {}


@functools.cache
def _versions() -> dict[str, dict[str, str]]:
    from medsim.yamlload import safe_load

    text = resources.files("medsim.calculators.data").joinpath("versions.yaml").read_text("utf-8")
    return dict(safe_load(text))


def calculator(
    *,
    id: str,
    name: str,
    category: Category,
    output: OutputType,
    unit: str | None = None,
    medcalc_id: int | None = None,
    medcalc_entities: Mapping[str, str] | None = None,
    from_medcalc: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    aliases: tuple[str, ...] = (),
) -> Callable[[Callable[[Any], Result]], Callable[[Any], Result]]:
    """Register a calculator. ``medcalc_entities`` maps MedCalc-Bench entity names to field names;
    ``from_medcalc`` may instead translate a whole entity dict (for category strings etc.)."""

    def register(fn: Callable[[Any], Result]) -> Callable[[Any], Result]:
        hints = get_type_hints(fn)
        model = next(v for k, v in hints.items() if k != "return")
        if id in _REGISTRY:
            raise RuntimeError(f"calculator {id!r} registered twice")
        _REGISTRY[id] = Calculator(
            id=id,
            name=name,
            category=category,
            output=output,
            unit=unit,
            fn=fn,
            inputs=model,
            medcalc_id=medcalc_id,
            medcalc_entities=dict(medcalc_entities or {}),
            from_medcalc=from_medcalc,
            aliases=aliases,
        )
        return fn

    return register


def _load_all() -> None:
    # Importing the package registers every calculator module it lists.
    import medsim.calculators  # noqa: F401


def registry() -> dict[str, Calculator]:
    _load_all()
    return _REGISTRY


def get(name_or_id: str | int) -> Calculator:
    """Look a calculator up by id, MedCalc-Bench id (int or digit string), name or alias."""
    reg = registry()
    key = str(name_or_id).strip()
    if key in reg:
        return reg[key]
    for calc in reg.values():
        if (key.isdigit() and calc.medcalc_id == int(key)) or key.lower() in (
            calc.name.lower(),
            *(a.lower() for a in calc.aliases),
        ):
            return calc
    close = difflib.get_close_matches(key, list(reg), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see catalog()"
    raise CalculatorError(f"unknown calculator {name_or_id!r}{hint}")


def catalog() -> list[dict[str, Any]]:
    """Every calculator with id, name, MedCalc-Bench id, category, output type, unit, input schema."""
    return [
        c.info() for c in sorted(registry().values(), key=lambda c: (c.medcalc_id or 999, c.id))
    ]


def _entities_to_inputs(calc: Calculator, entities: dict[str, Any]) -> dict[str, Any]:
    if calc.from_medcalc is not None:
        return calc.from_medcalc(entities)
    out: dict[str, Any] = {}
    for key, value in entities.items():
        if key in calc.medcalc_entities:
            out[calc.medcalc_entities[key]] = value
        else:  # field names pass through; unknown names reach validation, which names them
            out[key] = value
    return out


def compute(name_or_id: str | int, inputs: Mapping[str, Any] | BaseModel) -> Result:
    """Validate ``inputs`` (field names or MedCalc-Bench entity names) and run the calculator.

    Raises :class:`CalculatorError` with the offending field named; never returns a silent default.
    """
    calc = get(name_or_id)
    data = inputs.model_dump() if isinstance(inputs, BaseModel) else dict(inputs)
    fields = calc.inputs.model_fields
    if any(k not in fields for k in data) and (calc.medcalc_entities or calc.from_medcalc):
        data = _entities_to_inputs(calc, data)
    try:
        model = calc.inputs.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(inputs)'}: {e['msg']}" for e in exc.errors()
        )
        raise CalculatorError(f"{calc.id}: invalid inputs: {problems}") from None
    result = calc.fn(model)
    return result.model_copy(
        update={"calculator": calc.id, "inputs": model.model_dump(mode="json")}
    )
