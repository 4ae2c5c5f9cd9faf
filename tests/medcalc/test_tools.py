"""The calculator tools: calculate, list_calculators and the per-calculator calc_<id> tools
(schemas, results, error observations that name the field, registration, sampling)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medsim.calculators import catalog, compute
from medsim.tools import ToolContext, get_tool, has_tool
from medsim.tools.calculate import (
    CALCULATOR_TOOLS,
    EXAMPLE_CALLS,
    calculate,
    calculator_tool,
    calculator_tool_names,
    list_calculators,
)

CTX = ToolContext()


def test_calculate_schema_and_registration() -> None:
    schema = calculate.openai_schema()["function"]
    assert schema["name"] == "calculate"
    params = schema["parameters"]
    assert params["required"] == ["name", "inputs"]
    assert params["properties"]["inputs"]["type"] == "object"
    assert params["additionalProperties"] is False
    assert "list_calculators" in schema["description"]
    for name in ("calculate", "list_calculators", "calc_ckd_epi_2021"):
        assert has_tool(name)
    assert get_tool("calculate") is calculate
    assert not calculate.writes and not calculate.terminal


def test_calculate_returns_value_unit_and_explanation_with_unit_conversion() -> None:
    res = calculate.invoke(
        {
            "name": "ckd_epi_2021",
            "inputs": {"age": 67, "sex": "female", "creatinine": [120, "µmol/L"]},
        },
        CTX,
    )
    assert res.error is None
    expected = compute("ckd_epi_2021", {"age": 67, "sex": "female", "creatinine": 120 / 88.42})
    assert res.value["value"] == pytest.approx(expected.value, rel=1e-3)
    assert res.value["unit"] == "mL/min/1.73m2"
    assert "eGFR" in res.value["explanation"]
    assert res.value["inputs"]["creatinine"] == pytest.approx(1.357, rel=1e-3)
    # lookup by MedCalc-Bench number (an int is coerced to the string id) and by name
    by_number = calculate.invoke(
        {"name": 3, "inputs": {"age": 67, "sex": "female", "creatinine": 1.2}}, CTX
    )
    by_name = calculate.invoke(
        {
            "name": "CKD-EPI Equations for Glomerular Filtration Rate",
            "inputs": {"age": 67, "sex": "female", "creatinine": 1.2},
        },
        CTX,
    )
    assert by_number.value["value"] == by_name.value["value"]


@pytest.mark.parametrize(
    ("arguments", "kind", "fragment"),
    [
        ({"name": "ckd_epi", "inputs": {}}, "invalid_arguments", "did you mean ckd_epi_2021"),
        ({"name": "bmi", "inputs": {"weight": 70}}, "invalid_arguments", "height: Field required"),
        (
            {"name": "bmi", "inputs": {"weight": [70, "parsec"], "height": 170}},
            "invalid_arguments",
            "weight",
        ),
        (
            {"name": "bmi", "inputs": {"weight": 70, "height": 170, "mass": 3}},
            "invalid_arguments",
            "mass",
        ),
        ({"name": "bmi", "inputs": [70, 170]}, "invalid_arguments", "inputs"),
        ({"name": "bmi"}, "invalid_arguments", "missing required argument 'inputs'"),
    ],
)
def test_calculate_errors_name_the_problem(arguments: dict, kind: str, fragment: str) -> None:
    res = calculate.invoke(arguments, CTX)
    assert res.error is not None and res.kind == kind
    assert fragment in res.error
    assert "error" in res.value


def test_calculate_error_shows_the_calculators_inputs() -> None:
    res = calculate.invoke({"name": "bmi", "inputs": {"weight": 70}}, CTX)
    assert res.value["calculator"] == "bmi"
    assert "height [cm]*" in res.value["inputs"]


def test_list_calculators_catalogue_fits_the_tool_output_limit() -> None:
    res = list_calculators.invoke({}, CTX)
    assert res.error is None
    rows = res.value["calculators"]
    assert res.value["count"] == len(rows) == len(catalog()) == 55
    assert len(json.dumps(res.value, ensure_ascii=False)) < 10_000  # the env's default limit
    ckd = next(r for r in rows if r.startswith("ckd_epi_2021 "))
    assert "#3" in ckd and "creatinine [mg/dL]*" in ckd and "mL/min/1.73m2" in ckd


def test_list_calculators_by_category_and_detail() -> None:
    risk = list_calculators.invoke({"category": "risk"}, CTX).value
    assert risk["count"] == 12 and all(", risk," in r for r in risk["calculators"])
    assert any("hypertension (bool)" in r for r in risk["calculators"])  # optional inputs shown
    detail = list_calculators.invoke({"calculator": "4"}, CTX).value
    assert detail["id"] == "cha2ds2_vasc" and "Lip" in detail["method"]
    age = next(i for i in detail["inputs"] if i["name"] == "age")
    assert age == {**age, "unit": "years", "required": True, "type": "number"}
    chf = next(i for i in detail["inputs"] if i["name"] == "chf")
    assert chf["required"] is False and chf["default"] is False
    bad = list_calculators.invoke({"category": "astrology"}, CTX)
    assert bad.kind == "invalid_arguments" and "category" in (bad.error or "")
    unknown = list_calculators.invoke({"calculator": "nope"}, CTX)
    assert unknown.error is not None and "unknown calculator" in unknown.error


def test_one_tool_per_calculator_with_its_input_schema() -> None:
    assert set(CALCULATOR_TOOLS) == {c["id"] for c in catalog()}
    names = calculator_tool_names()
    assert len(names) == 55 and all(has_tool(n) for n in names)
    tool = calculator_tool("6")  # BMI by MedCalc-Bench number
    assert tool.name == "calc_bmi" and get_tool("calc_bmi") is tool
    params = tool.openai_schema()["function"]["parameters"]
    assert params["required"] == ["weight", "height"]
    assert params["properties"]["weight"]["unit"] == "kg"
    assert params["additionalProperties"] is False
    assert "BMI" in tool.description
    mcp = tool.mcp_schema()
    assert mcp["annotations"]["readOnlyHint"] is True


def test_per_calculator_tool_runs_and_reports_errors() -> None:
    tool = get_tool("calc_bmi")
    ok = tool.invoke({"weight": 80, "height": "70 in"}, CTX)
    assert ok.error is None and ok.value["value"] == pytest.approx(25.306, abs=1e-3)
    missing = tool.invoke({"weight": 80}, CTX)
    assert missing.kind == "invalid_arguments" and "height" in (missing.error or "")
    shape = tool.invoke("weight=80", CTX)
    assert shape.kind == "invalid_arguments" and "JSON object" in (shape.error or "")
    mme = get_tool("calc_morphine_milligram_equivalents").invoke(
        {"opioids": [{"drug": "oxycodone", "dose": 10, "doses_per_day": 4}]}, CTX
    )
    assert mme.value["value"] == pytest.approx(60.0)


def test_samplers_give_valid_calls() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        args = calculate.sample_arguments(rng, CTX)
        assert calculate.invoke(args, CTX).error is None
    for call in EXAMPLE_CALLS:
        assert calculate.invoke(call, CTX).error is None
    args = list_calculators.sample_arguments(rng, CTX)
    assert isinstance(args, dict)
