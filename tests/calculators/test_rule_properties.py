"""Properties of the 19 rule-based calculators over random valid inputs (hypothesis): scores stay
in their published range, adding a positive criterion never lowers a score, ageing never lowers an
age-weighted risk score, and the explanation lists every table item and ends with the total."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medsim.calculators import compute, get
from medsim.calculators.rules import load_table

RULE_CALCULATORS = [
    "cha2ds2_vasc", "wells_pe", "child_pugh", "wells_dvt", "rcri", "heart_score",
    "centor_mcisaac", "glasgow_coma_scale", "has_bled", "glasgow_blatchford", "apache_ii", "psi",
    "charlson", "feverpain", "caprini", "sofa", "curb_65", "perc", "sirs",
]  # fmt: skip
NEGATIVE_CRITERIA = {("wells_dvt", "alternative_diagnosis")}  # the only criterion worth < 0
AGE_WEIGHTED = ["cha2ds2_vasc", "has_bled", "heart_score", "caprini", "charlson", "curb_65", "perc",
                "apache_ii", "psi"]  # fmt: skip
# Fields whose lower bound is a plausibility check (not in the JSON schema).
FLOORS = {"wbc": 0.01, "platelets": 1.0}
# Inputs that must be present together for a valid call (documented cross-field rules).
ALWAYS = {
    "child_pugh": {"inr"},  # INR or PT prolongation required
    "apache_ii": {"a_a_gradient"},  # needed when FiO2 >= 50%
}
FIXED = {"caprini": {"sex": "female"}}  # women-only items are refused for men

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


def _number(spec: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    exclusive = "gt" in spec or "exclusiveMinimum" in spec
    low = next((spec[k] for k in ("ge", "minimum", "gt", "exclusiveMinimum") if k in spec), None)
    high = next((spec[k] for k in ("le", "maximum", "lt", "exclusiveMaximum") if k in spec), 1000)
    low = FLOORS.get(name, 0) if low is None else low
    if spec.get("type") == "integer":
        return st.integers(int(low), int(high))
    return st.floats(low, high, exclude_min=exclusive, allow_nan=False, allow_infinity=False)


def _field(spec: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    if "anyOf" in spec:
        inner = next(s for s in spec["anyOf"] if s.get("type") != "null")
        return _field(inner, name)
    if "enum" in spec:
        return st.sampled_from(spec["enum"])
    if spec.get("type") == "boolean":
        return st.booleans()
    return _number(spec, name)


@cache
def _schema(calculator: str) -> dict[str, Any]:
    return get(calculator).input_schema()


@st.composite
def inputs(draw: st.DrawFn, calculator: str) -> dict[str, Any]:
    """Random valid inputs: required and forced fields always, optional ones sometimes."""
    schema = _schema(calculator)
    required = set(schema.get("required", [])) | ALWAYS.get(calculator, set())
    out: dict[str, Any] = {}
    for name, spec in schema["properties"].items():
        if name in required or draw(st.booleans()):
            out[name] = draw(_field(spec, name))
    out.update(FIXED.get(calculator, {}))
    return out


def score(calculator: str, data: dict[str, Any]) -> float:
    value = compute(calculator, data).value
    assert isinstance(value, int | float)
    return float(value)


def _flags(calculator: str) -> list[str]:
    props = _schema(calculator)["properties"]
    return [n for n, s in props.items() if s.get("type") == "boolean"]


@pytest.mark.parametrize("calculator", RULE_CALCULATORS)
@given(data=st.data())
@SETTINGS
def test_scores_stay_in_the_published_range(data: st.DataObject, calculator: str) -> None:
    low, high = load_table(calculator)["range"]
    assert low <= score(calculator, data.draw(inputs(calculator))) <= high


@pytest.mark.parametrize("calculator", RULE_CALCULATORS)
@given(data=st.data())
@SETTINGS
def test_a_positive_criterion_never_lowers_the_score(data: st.DataObject, calculator: str) -> None:
    flags = [f for f in _flags(calculator) if (calculator, f) not in NEGATIVE_CRITERIA]
    if not flags:  # GCS has no yes/no criteria
        return
    base = data.draw(inputs(calculator))
    flag = data.draw(st.sampled_from(flags))
    without = score(calculator, {**base, flag: False})
    with_it = score(calculator, {**base, flag: True})
    assert with_it >= without, (flag, base)


@pytest.mark.parametrize("calculator", AGE_WEIGHTED)
@given(data=st.data(), years=st.floats(0, 40))
@SETTINGS
def test_ageing_never_lowers_an_age_weighted_score(
    data: st.DataObject, calculator: str, years: float
) -> None:
    base = data.draw(inputs(calculator))
    older = min(base["age"] + years, 130)
    assert score(calculator, {**base, "age": older}) >= score(calculator, base)


@pytest.mark.parametrize("calculator", RULE_CALCULATORS)
@given(data=st.data())
@SETTINGS
def test_explanation_lists_every_item_and_the_total(data: st.DataObject, calculator: str) -> None:
    result = compute(calculator, data.draw(inputs(calculator)))
    text = result.explanation
    for item in load_table(calculator).get("items", []):
        assert item["label"] in text, item["label"]
    assert f"Total: {result.value:g} " in text
