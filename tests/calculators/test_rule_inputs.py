"""Inputs of the rule-based calculators: bad input is a CalculatorError naming the field, units
convert, category strings match their tables, and MedCalc-Bench entity dicts translate."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.calculators import CalculatorError, catalog, compute, get

RULE_IDS = {4, 8, 15, 16, 17, 18, 20, 21, 25, 27, 28, 29, 32, 33, 36, 43, 45, 48, 51}


def rejects(calculator: str, field: str, inputs: dict[str, Any]) -> str:
    """compute() raises CalculatorError whose message names ``field``; returns the message."""
    with pytest.raises(CalculatorError) as info:
        compute(calculator, inputs)
    assert field in str(info.value), str(info.value)
    return str(info.value)


def test_catalog_has_the_19_rule_based_calculators() -> None:
    rule = [c for c in catalog() if c["medcalc_id"] in RULE_IDS]
    assert len(rule) == 19
    counts = {
        cat: sum(c["category"] == cat for c in rule) for cat in ("risk", "severity", "diagnosis")
    }
    assert counts == {"risk": 12, "severity": 4, "diagnosis": 3}
    assert get(8).output == "decimal" and all(
        c["output"] == "integer" for c in rule if c["medcalc_id"] != 8
    )


def test_every_rule_calculator_cites_its_source() -> None:
    for medcalc_id in RULE_IDS:
        doc = get(medcalc_id).description
        assert "Source" in doc and any(str(year) in doc for year in range(1970, 2015)), medcalc_id


@pytest.mark.parametrize(
    ("calculator", "field", "inputs"),
    [
        # impossible age
        ("cha2ds2_vasc", "age", {"age": 300, "sex": "male"}),
        ("caprini", "age", {"age": [300, "years"]}),
        ("charlson", "age", {"age": -1}),
        ("psi", "age", {"age": 12, "sex": "female"}),  # adults only
        # unknown category string
        ("child_pugh", "ascites", {"bilirubin": 1, "albumin": 4, "inr": 1, "ascites": "huge"}),
        ("glasgow_coma_scale", "motor", {"eye": 4, "verbal": 5, "motor": "wiggles"}),
        ("heart_score", "ecg", {"age": 50, "ecg": "abnormal"}),
        ("caprini", "mobility", {"age": 50, "mobility": "walks a bit"}),
        ("cha2ds2_vasc", "sex", {"age": 70, "sex": "unknown"}),
        # wrong unit
        ("centor_mcisaac", "temperature", {"age": 20, "temperature": [38, "mmHg"]}),
        ("curb_65", "bun", {"age": 70, "bun": [7, "kg"], "respiratory_rate": 20, "sbp": 120,
                            "dbp": 80}),
        ("sofa", "creatinine", {"creatinine": [1.2, "beats/min"]}),
        ("apache_ii", "heart_rate", {"age": 50, "heart_rate": [80, "mmHg"]}),
        # missing required field
        ("cha2ds2_vasc", "sex", {"age": 70}),
        ("glasgow_coma_scale", "verbal", {"eye": 4, "motor": 6}),
        ("wells_pe", "heart_rate", {"dvt_signs": True}),
        ("sirs", "wbc", {"temperature": 37, "heart_rate": 80, "respiratory_rate": 16}),
        ("glasgow_blatchford", "hemoglobin", {"sex": "male", "bun": 5, "sbp": 120,
                                              "heart_rate": 80}),
        ("child_pugh", "inr", {"bilirubin": 1, "albumin": 4}),
        # not a yes/no answer, unknown field, implausible or inconsistent values
        ("has_bled", "stroke", {"age": 70, "stroke": "maybe"}),
        ("rcri", "chff", {"chff": True}),
        ("sirs", "wbc", {"temperature": 37, "heart_rate": 80, "respiratory_rate": 16,
                         "wbc": [9440, "/L"]}),
        ("sofa", "platelets", {"platelets": 0.2}),
        ("apache_ii", "a_a_gradient", {"age": 50, "fio2": 60, "pao2": 80}),
        ("caprini", "pregnancy_or_postpartum", {"age": 30, "sex": "male",
                                                "pregnancy_or_postpartum": True}),
        ("sofa", "fio2", {"pao2": 80, "fio2": 0.5}),  # a fraction, not percent
    ],
)  # fmt: skip
def test_bad_inputs_name_the_field(calculator: str, field: str, inputs: dict[str, Any]) -> None:
    rejects(calculator, field, inputs)


def test_unknown_category_lists_the_accepted_values() -> None:
    message = rejects("child_pugh", "ascites", {"bilirubin": 1, "albumin": 4, "inr": 1,
                                                "ascites": "huge"})  # fmt: skip
    assert "absent, slight, moderate" in message


def test_bad_input_changes_nothing() -> None:
    good = {"age": 70, "sex": "female", "hypertension": True}
    before = compute("cha2ds2_vasc", good)
    with pytest.raises(CalculatorError):
        compute("cha2ds2_vasc", {**good, "diabetes": "perhaps"})
    assert compute("cha2ds2_vasc", good) == before


@pytest.mark.parametrize(
    ("calculator", "a", "b"),
    [
        ("centor_mcisaac", {"age": 20, "temperature": [101.6, "degrees fahrenheit"]},
         {"age": 20, "temperature": 38.67}),
        ("curb_65", {"age": 70, "bun": [58.8, "mg/dL"], "respiratory_rate": [20, "breaths/min"],
                     "sbp": [120, "mm Hg"], "dbp": 80},
         {"age": 70, "bun": 21, "respiratory_rate": 20, "sbp": 120, "dbp": 80}),
        ("sofa", {"pao2": [8, "kPa"], "fio2": [40, "%"], "bilirubin": [34.2, "µmol/L"],
                  "creatinine": [300, "µmol/L"], "platelets": [90000, "/µL"]},
         {"pao2": 60.0, "fio2": 40, "bilirubin": 2.0, "creatinine": 2.65, "platelets": 90}),
        ("psi", {"age": 70, "sex": "M", "glucose": [15, "mmol/L"], "temperature": [104, "°F"]},
         {"age": 70, "sex": "male", "glucose": 270, "temperature": 40}),
        ("charlson", {"age": [600, "months"]}, {"age": 50}),
    ],
)  # fmt: skip
def test_units_convert(calculator: str, a: dict[str, Any], b: dict[str, Any]) -> None:
    assert compute(calculator, a).value == compute(calculator, b).value


def test_category_strings_match_synonyms_case_and_spacing() -> None:
    base = {"bilirubin": 1, "albumin": 4, "inr": 1}
    for spelling in ("Slight", " slight ", "MILD", "mild"):
        assert compute("child_pugh", {**base, "ascites": spelling}).value == 6
    for spelling in ("No Encephalopathy", "grade 0", "none"):
        assert compute("child_pugh", {**base, "encephalopathy": spelling}).value == 5
    assert compute("child_pugh", {**base, "encephalopathy": "Grade 1–2"}).value == 6  # en dash


def test_flags_accept_yes_no_words() -> None:
    for yes in (True, 1, "yes", "Present", "TRUE"):
        assert compute("feverpain", {"fever": yes}).value == 1
    for no in (False, 0, "no", "absent"):
        assert compute("feverpain", {"fever": no}).value == 0


def test_missing_criteria_are_absent_and_said_so() -> None:
    text = compute("cha2ds2_vasc", {"age": 60, "sex": "male"}).explanation
    assert "Hypertension: absent (not reported)" in text
    text = compute("apache_ii", {"age": 50}).explanation
    assert "Heart rate: not reported; assumed normal" in text


# --- MedCalc-Bench "Relevant Entities" ---------------------------------------------------------


def test_medcalc_entities_translate() -> None:
    entities = {"sex": "Female", "age": [68.0, "years"], "Congestive Heart Faliure": False,
                "Hypertension history": True, "Thromboembolism history": False}  # fmt: skip
    assert compute(4, entities).value == 3
    assert compute("CHA2DS2-VASc", entities).value == 3


def test_medcalc_duplicate_entities_are_or_ed() -> None:
    entities = {"History of cerebrovascular disease": True, "Cerebrovascular disease history": False,
                "Pre-operative creatinine": [1.0, "mg/dL"]}  # fmt: skip
    assert compute(17, entities).value == 1


def test_medcalc_entities_for_other_calculators_are_ignored() -> None:
    entities = {"Purulent tonsils": True,
                "Altered mental status for PECARN head injury criteria": True}  # fmt: skip
    assert compute(33, entities).value == 1


def test_medcalc_not_mentioned_and_unit_typos() -> None:
    apache = {"age": [50, "years"], "Temperature": [37.2, "degrees celsisus"],
              "Chronic Renal Failure": "Not mentinoed", "White blood cell count": [12476.0, "µL"],
              "Surgery Type": "Nonoperative ", "History of severe organ failure or immunocompromise": True}  # fmt: skip
    result = compute(28, apache)
    assert result.inputs["temperature"] == 37.2 and result.inputs["wbc"] == pytest.approx(12.476)
    assert result.value == 2 + 5  # age 45-54, chronic health (nonoperative)
    sofa = {"norEPINEPHrine": [0.27, "mc/kg/min"]}
    assert compute(43, sofa).value == 4


def test_medcalc_unknown_entity_is_an_error() -> None:
    rejects("cha2ds2_vasc", "Favourite colour", {"sex": "Male", "age": [70, "years"],
                                                  "Favourite colour": "blue"})  # fmt: skip
