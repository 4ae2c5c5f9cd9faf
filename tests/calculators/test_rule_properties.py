"""Properties of the 19 rule-based calculators over random valid inputs (hypothesis): scores stay
in their published range, adding a positive criterion never lowers a score, ageing never lowers an
age-weighted risk score, and the explanation lists every table item and ends with the total."""

from __future__ import annotations

import re
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


WITH_FLAGS = [c for c in RULE_CALCULATORS if _flags(c)]
# Calculators without yes/no criteria get their own properties below (no test returns early).
WITHOUT_FLAGS = {"child_pugh", "glasgow_coma_scale", "sirs"}


def test_every_calculator_has_a_monotonicity_property() -> None:
    assert set(RULE_CALCULATORS) - set(WITH_FLAGS) == WITHOUT_FLAGS


@pytest.mark.parametrize("calculator", WITH_FLAGS)
@given(data=st.data())
@SETTINGS
def test_a_positive_criterion_never_lowers_the_score(data: st.DataObject, calculator: str) -> None:
    flags = [f for f in _flags(calculator) if (calculator, f) not in NEGATIVE_CRITERIA]
    base = data.draw(inputs(calculator))
    flag = data.draw(st.sampled_from(flags))
    without = score(calculator, {**base, flag: False})
    with_it = score(calculator, {**base, flag: True})
    assert with_it >= without, (flag, base)


# Glasgow Coma Scale points (Teasdale & Jennett, Lancet 1974; labels of Teasdale et al. 2014).
GCS = {
    "eye": {"spontaneous": 4, "to sound": 3, "to pressure": 2, "none": 1},
    "verbal": {"oriented": 5, "confused": 4, "words": 3, "sounds": 2, "none": 1},
    "motor": {
        "obeys commands": 6,
        "localizing": 5,
        "normal flexion": 4,
        "abnormal flexion": 3,
        "extension": 2,
        "none": 1,
    },
}


@given(
    eye=st.sampled_from(sorted(GCS["eye"])),
    verbal=st.sampled_from(sorted(GCS["verbal"])),
    motor=st.sampled_from(sorted(GCS["motor"])),
)
@SETTINGS
def test_gcs_is_the_sum_of_the_published_points(eye: str, verbal: str, motor: str) -> None:
    expected = GCS["eye"][eye] + GCS["verbal"][verbal] + GCS["motor"][motor]
    assert score("glasgow_coma_scale", {"eye": eye, "verbal": verbal, "motor": motor}) == expected


@given(data=st.data())
@SETTINGS
def test_sirs_counts_the_published_criteria(data: st.DataObject) -> None:
    """Bone et al., Chest 1992: T > 38 or < 36 °C; HR > 90/min; RR > 20/min or PaCO2 < 32 mmHg;
    WBC > 12 or < 4 x10^9/L or bands > 10%."""
    x = data.draw(inputs("sirs"))
    expected = (
        (x["temperature"] > 38 or x["temperature"] < 36)
        + (x["heart_rate"] > 90)
        + (x["respiratory_rate"] > 20 or (x.get("paco2") is not None and x["paco2"] < 32))
        + (x["wbc"] > 12 or x["wbc"] < 4 or (x.get("bands") is not None and x["bands"] > 10))
    )
    assert score("sirs", x) == expected, x


WORSE = {
    "ascites": ["absent", "slight", "moderate"],
    "encephalopathy": ["none", "grade 1-2", "grade 3-4"],
}


@given(data=st.data(), factor=st.floats(1.0, 5.0))
@SETTINGS
def test_worse_liver_findings_never_lower_child_pugh(data: st.DataObject, factor: float) -> None:
    """Pugh et al. 1973: points rise with bilirubin and INR, fall with albumin, rise with ascites and
    encephalopathy grade; worsening any one finding never lowers the score."""
    base = data.draw(inputs("child_pugh"))
    worse = [
        {**base, "bilirubin": min(base["bilirubin"] * factor + 0.1, 80)},
        {**base, "albumin": base["albumin"] / factor or base["albumin"]},  # (no underflow to 0)
        {**base, "inr": min(base["inr"] * factor, 20)},
    ]
    for name, order in WORSE.items():
        level = order.index(base.get(name, order[0]))
        worse += [{**base, name: grade} for grade in order[level:]]
    before = score("child_pugh", base)
    for case in worse:
        assert score("child_pugh", case) >= before, (base, case)


@pytest.mark.parametrize("calculator", AGE_WEIGHTED)
@given(data=st.data(), years=st.floats(0, 40))
@SETTINGS
def test_ageing_never_lowers_an_age_weighted_score(
    data: st.DataObject, calculator: str, years: float
) -> None:
    base = data.draw(inputs(calculator))
    older = min(base["age"] + years, 130)
    assert score(calculator, {**base, "age": older}) >= score(calculator, base)


# Tables without an "items" list name their parts here, from the papers: SOFA's six organ systems
# (Vincent 1996); APACHE II's acute physiology variables, age and chronic health (Knaus 1985); PSI's
# demographic, comorbidity, examination and laboratory findings (Fine 1997).
PARTS: dict[str, list[str | tuple[str, ...]]] = {
    "sofa": ["Respiration", "Coagulation", "Liver", "Cardiovascular", "Central nervous system",
             "Renal"],
    "apache_ii": ["Temperature", "Mean arterial pressure", "Heart rate", "Respiratory rate",
                  "Oxygenation", ("Arterial pH", "Serum HCO3"), "Serum sodium", "Serum potassium",
                  "Serum creatinine", "Hematocrit", "White blood cell count", "Glasgow Coma Scale",
                  "Age", "Chronic health"],
    "psi": ["Age", "Sex", "Nursing home resident", "Neoplastic disease", "Liver disease",
            "Congestive heart failure", "Cerebrovascular disease", "Renal disease",
            "Altered mental status", "Respiratory rate", "Systolic blood pressure", "Temperature",
            "Pulse", "Arterial pH", "Blood urea nitrogen", "Sodium", "Glucose", "Hematocrit",
            "PaO2", "Pleural effusion"],
}  # fmt: skip
LINE_POINTS = re.compile(r"^- .*-> ([+-]\d+(?:\.\d+)?)$")


def test_every_calculator_names_its_parts() -> None:
    for calculator in RULE_CALCULATORS:
        assert load_table(calculator).get("items") or calculator in PARTS, calculator


@pytest.mark.parametrize("calculator", RULE_CALCULATORS)
@given(data=st.data())
@SETTINGS
def test_explanation_lists_every_item_and_the_total(data: st.DataObject, calculator: str) -> None:
    result = compute(calculator, data.draw(inputs(calculator)))
    text = result.explanation
    labels = [item["label"] for item in load_table(calculator).get("items", [])]
    lines = text.splitlines()
    for label in labels or PARTS[calculator]:
        alternatives = (label,) if isinstance(label, str) else label  # e.g. pH, or HCO3 without it
        assert any(line.startswith(f"- {a}") for line in lines for a in alternatives), label
    assert f"Total: {result.value:g} " in text
    # each listed item's points add up to the total
    points = [float(m[1]) for line in lines if (m := LINE_POINTS.match(line))]
    assert len(points) >= len(labels or PARTS[calculator])
    assert sum(points) == pytest.approx(result.value), text


def test_psi_fractional_age_points_add_up() -> None:
    result = compute("psi", {"age": 18.5, "sex": "male"})
    points = [
        float(m[1]) for line in result.explanation.splitlines() if (m := LINE_POINTS.match(line))
    ]
    assert sum(points) == result.value == 18  # age in completed years (Fine 1997)
