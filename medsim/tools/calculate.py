"""Calculator tools: ``calculate(name, inputs)``, the ``list_calculators`` catalogue, and one
``calc_<id>`` tool per calculator for agents that prefer a typed function per calculator.

All three run :func:`medsim.calculators.compute`, so they validate and convert units the same
way; a bad input (unknown calculator, missing or unknown field, impossible unit or value) is a
tool error naming the field, never an exception. Importing this module registers every tool
by name, so a task lists them in ``tools:`` (``calculate``, ``list_calculators``, ``calc_bmi``).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import numpy as np

from medsim.calculators import Calculator, CalculatorError, catalog, compute, get
from medsim.calculators.base import registry
from medsim.tools.base import Tool, ToolContext, ToolError, tool
from medsim.tools.registry import register_tool
from medsim.tools.schema import clean_schema

Category = Literal["lab", "physical", "date", "dosage", "risk", "severity", "diagnosis"]

#: Prefix of the per-calculator tools: ``calc_ckd_epi_2021``.
TOOL_PREFIX = "calc_"

#: Valid example calls (the action-space sampler draws from them; docs show them).
EXAMPLE_CALLS: tuple[dict[str, Any], ...] = (
    {"name": "mean_arterial_pressure", "inputs": {"sbp": 128, "dbp": 74}},
    {"name": "ckd_epi_2021", "inputs": {"age": 67, "sex": "female", "creatinine": [1.4, "mg/dL"]}},
    {"name": "bmi", "inputs": {"weight": "176 lb", "height": [170, "cm"]}},
    {"name": "cha2ds2_vasc", "inputs": {"age": 76, "sex": "male", "hypertension": True}},
    {"name": "anion_gap", "inputs": {"sodium": 139, "chloride": 101, "bicarbonate": 22}},
)


def result_json(result: Any, calc: Calculator) -> dict[str, Any]:
    """What the agent sees for a successful calculation."""
    return {
        "calculator": calc.id,
        "name": calc.name,
        "value": result.value,
        "unit": result.unit,
        "explanation": result.explanation,
        "inputs": result.inputs,
    }


def run_calculator(name: str, inputs: Any) -> dict[str, Any]:
    """Look up and run a calculator; every failure becomes a :class:`ToolError` that names the
    problem and shows the calculator's inputs so the agent can fix its call."""
    try:
        calc = get(name)
    except CalculatorError as exc:
        raise ToolError(
            f"{exc} (call list_calculators to see the ids)", kind="invalid_arguments"
        ) from None
    if not isinstance(inputs, dict):
        raise ToolError(
            f"inputs of {calc.id} must be a JSON object of field -> value, "
            f"got {type(inputs).__name__}",
            kind="invalid_arguments",
        )
    try:
        result = compute(calc.id, inputs)
    except CalculatorError as exc:
        raise ToolError(
            str(exc),
            result={"error": str(exc), "calculator": calc.id, "inputs": input_summary(calc)},
            kind="invalid_arguments",
        ) from None
    return result_json(result, calc)


# ---- the catalogue ---------------------------------------------------------------------------


def _field_schema(spec: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with ``Optional`` (anyOf [X, null]) and $ref resolved."""
    options = spec.get("anyOf")
    if isinstance(options, list):
        real = [o for o in options if o.get("type") != "null"]
        if len(real) == 1:
            spec = {**real[0], **{k: v for k, v in spec.items() if k != "anyOf"}}
    if "$ref" in spec:
        spec = {**defs.get(str(spec["$ref"]).rsplit("/", 1)[-1], {}), **spec}
    return spec


def input_details(calc: Calculator) -> list[dict[str, Any]]:
    """One entry per input: name, type, unit, required, default, allowed values, description."""
    schema = calc.input_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    out: list[dict[str, Any]] = []
    for fname, raw in schema.get("properties", {}).items():
        spec = _field_schema(raw, defs)
        entry: dict[str, Any] = {"name": fname, "type": spec.get("type", "object")}
        if spec.get("unit"):
            entry["unit"] = spec["unit"]
        entry["required"] = fname in required
        if fname not in required and "default" in raw:
            entry["default"] = raw["default"]
        if spec.get("enum"):
            entry["allowed"] = list(spec["enum"])
        for key in ("minimum", "maximum", "exclusiveMinimum"):
            if key in spec:
                entry[key] = spec[key]
        if spec.get("description"):
            entry["description"] = str(spec["description"])
        if spec.get("type") == "array" and isinstance(spec.get("items"), dict):
            entry["items"] = clean_schema(_field_schema(spec["items"], defs))
        out.append(entry)
    return out


def input_summary(calc: Calculator, optional: bool = True) -> str:
    """The inputs on one line: ``age [years]*, sex (male|female)*, chf (bool)`` (``*`` =
    required). With ``optional=False`` only the required ones, and a count of the others."""
    parts = []
    skipped = 0
    for item in input_details(calc):
        if not optional and not item["required"]:
            skipped += 1
            continue
        text = item["name"]
        if "unit" in item:
            text += f" [{item['unit']}]"
        if "allowed" in item and optional:
            text += " (" + "|".join(str(a) for a in item["allowed"]) + ")"
        elif item["type"] == "boolean":
            text += " (bool)"
        parts.append(text + ("*" if item["required"] else ""))
    if skipped:
        parts.append(f"+{skipped} optional")
    return ", ".join(parts)


def catalogue_line(calc: Calculator, full: bool) -> str:
    """One calculator as one line of the catalogue."""
    unit = calc.unit or calc.output
    return f"{calc.id} (#{calc.medcalc_id}, {calc.category}, {unit}): {calc.name} | inputs: " + (
        input_summary(calc, optional=full)
    )


@cache
def _catalogue(category: str | None) -> tuple[str, ...]:
    calcs = [get(info["id"]) for info in catalog()]
    return tuple(
        catalogue_line(c, full=category is not None)
        for c in calcs
        if category is None or c.category == category
    )


@tool(examples={"category": ["lab", "risk"], "calculator": ["ckd_epi_2021", "4"]})
def list_calculators(
    category: Category | None = None, calculator: str | None = None
) -> dict[str, Any]:
    """List the clinical calculators: id, MedCalc-Bench number, category, result unit, name and
    inputs with units ("*" = required, [unit], (a|b) = allowed values).

    Without arguments: every calculator, with its required inputs and a count of optional ones.
    With ``category``: that category's calculators with all their inputs. With ``calculator``:
    one calculator in full (input types, units, defaults, allowed values, descriptions, method).

    Args:
        category: Only calculators of this category: lab, physical, date, dosage, risk,
            severity or diagnosis.
        calculator: One calculator's id, MedCalc-Bench number or name, for its full details.
    """
    if calculator is not None:
        try:
            calc = get(calculator)
        except CalculatorError as exc:
            raise ToolError(str(exc), kind="invalid_arguments") from None
        return {
            "id": calc.id,
            "name": calc.name,
            "medcalc_id": calc.medcalc_id,
            "category": calc.category,
            "output": calc.output,
            "unit": calc.unit,
            "method": calc.description,
            "inputs": input_details(calc),
        }
    rows = list(_catalogue(category))
    return {
        "count": len(rows),
        "calculators": rows,
        "how_to_call": 'calculate(name="<id>", inputs={"<input>": value or [value, "unit"]})',
        "details": 'list_calculators(calculator="<id>") shows one calculator in full',
    }


def _sample_calculate(rng: np.random.Generator, ctx: ToolContext) -> dict[str, Any]:
    call = EXAMPLE_CALLS[int(rng.integers(0, len(EXAMPLE_CALLS)))]
    return {"name": call["name"], "inputs": dict(call["inputs"])}


@tool(
    sampler=_sample_calculate,
    examples={
        "name": ["ckd_epi_2021", "cha2ds2_vasc", "3"],
        "inputs": [{"age": 67, "sex": "female", "creatinine": [1.4, "mg/dL"]}],
    },
)
def calculate(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Run a clinical calculator (MedCalc-Bench's 55: eGFR, CrCl, MAP, BMI, anion gap,
    CHA2DS2-VASc, HAS-BLED, MELD-Na, Wells, CURB-65, QTc, due dates, ...) and return its value,
    unit and a worked explanation. Call list_calculators to find ids and inputs.

    Args:
        name: The calculator's id (e.g. "ckd_epi_2021"), MedCalc-Bench number (e.g. "3") or name.
        inputs: Inputs by field name, e.g. {"age": 67, "sex": "female", "creatinine": [1.4,
            "mg/dL"]}. A quantity is a number in the field's unit, [value, "unit"],
            {"value": v, "unit": "u"} or "v unit" (other units are converted). Yes/no criteria
            not given count as absent.
    """
    return run_calculator(name, inputs)


# ---- one tool per calculator -----------------------------------------------------------------


class CalculatorTool(Tool):
    """A tool whose parameters are one calculator's inputs (``calc_<id>``).

    Its schema is the calculator's own input schema; the call runs the same validation and unit
    conversion as ``calculate``, and errors name the field.
    """

    def __init__(self, calc: Calculator) -> None:
        self.calc_id = calc.id
        self.name = f"{TOOL_PREFIX}{calc.id}"
        self.writes = False
        self.terminal = False
        self.sampler = None
        summary = calc.description.split("\n\n", 1)[0].strip()
        unit = f" Result unit: {calc.unit}." if calc.unit else ""
        self.description = f"{calc.name} (calculator {calc.id}). {summary}{unit}".strip()
        self.injected = ()
        self.args_model = calc.inputs
        params = clean_schema(calc.input_schema())
        params["additionalProperties"] = False
        self.parameters = params

        def run(**inputs: Any) -> dict[str, Any]:
            return run_calculator(self.calc_id, inputs)

        run.__name__ = run.__qualname__ = self.name
        run.__module__ = __name__
        self.fn = run

    def validate(self, arguments: Any) -> dict[str, Any]:
        """Only the shape is checked here: ``compute`` validates the values (naming the field)."""
        if arguments is None:
            return {}
        if not isinstance(arguments, dict):
            raise ToolError(
                f"arguments of {self.name} must be a JSON object, got {type(arguments).__name__}",
                kind="invalid_arguments",
            )
        return dict(arguments)


def calculator_tool(name_or_id: str) -> Tool:
    """The registered ``calc_<id>`` tool of a calculator (by id, MedCalc-Bench number or name)."""
    return CALCULATOR_TOOLS[get(name_or_id).id]


def calculator_tool_names(ids: list[str] | None = None) -> list[str]:
    """``calc_<id>`` names, for every calculator or for ``ids`` (to put in a task's ``tools``)."""
    chosen = ids if ids is not None else [c["id"] for c in catalog()]
    return [f"{TOOL_PREFIX}{get(i).id}" for i in chosen]


def _register_all() -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    for calc in registry().values():
        tools[calc.id] = register_tool(CalculatorTool(calc), replace=True)
    return tools


#: calculator id -> its ``calc_<id>`` tool (registered at import).
CALCULATOR_TOOLS: dict[str, Tool] = _register_all()

__all__ = [
    "CALCULATOR_TOOLS",
    "EXAMPLE_CALLS",
    "TOOL_PREFIX",
    "CalculatorTool",
    "calculate",
    "calculator_tool",
    "calculator_tool_names",
    "input_details",
    "input_summary",
    "list_calculators",
    "run_calculator",
]
