"""Worked examples of the 19 rule-based calculators, computed by hand from each score's published
point table (the source is named in each block), with the band edges of every table exercised."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.calculators import compute


def score(calculator: str, **inputs: Any) -> Any:
    return compute(calculator, inputs).value


def check(calculator: str, cases: list[tuple[dict[str, Any], float]]) -> None:
    for inputs, expected in cases:
        assert score(calculator, **inputs) == expected, (calculator, inputs)


# --- CHA2DS2-VASc (Lip et al., Chest 2010): C1 H1 A2(>=75) D1 S2 V1 A(65-74)1 Sc(female)1 -------


def test_cha2ds2_vasc() -> None:
    check("cha2ds2_vasc", [
        ({"age": 64, "sex": "male"}, 0),
        ({"age": 65, "sex": "male"}, 1),
        ({"age": 74, "sex": "female", "hypertension": True}, 3),
        ({"age": 75, "sex": "male"}, 2),
        ({"age": 50, "sex": "male", "stroke": True, "tia": True, "thromboembolism": True}, 2),
        ({"age": 80, "sex": "female", "chf": True, "hypertension": True, "stroke": True,
          "vascular_disease": True, "diabetes": True}, 9),
    ])  # fmt: skip


# --- Wells PE (Wells et al., Thromb Haemost 2000) ----------------------------------------------


def test_wells_pe() -> None:
    check("wells_pe", [
        ({"heart_rate": 100}, 0),
        ({"heart_rate": 101}, 1.5),
        ({"heart_rate": 80, "immobilization": True, "recent_surgery": True,
          "previous_pe": True, "previous_dvt": True}, 3.0),
        ({"heart_rate": 120, "dvt_signs": True, "pe_most_likely": True, "immobilization": True,
          "previous_dvt": True, "hemoptysis": True, "malignancy": True}, 12.5),
    ])  # fmt: skip


def test_wells_pe_two_tier_cut_at_4() -> None:
    unlikely = compute("wells_pe", {"heart_rate": 80, "dvt_signs": True, "hemoptysis": True})
    likely = compute("wells_pe", {"heart_rate": 110, "dvt_signs": True, "hemoptysis": True})
    assert (unlikely.value, likely.value) == (4.0, 5.5)
    assert "PE unlikely" in unlikely.explanation and "PE likely" in likely.explanation


# --- Child-Pugh (Pugh et al., Br J Surg 1973) --------------------------------------------------


def test_child_pugh() -> None:
    check("child_pugh", [
        ({"bilirubin": 1.9, "albumin": 3.6, "inr": 1.6}, 5),
        ({"bilirubin": 2.0, "albumin": 3.5, "inr": 1.7}, 8),
        ({"bilirubin": 3.0, "albumin": 2.8, "inr": 2.3}, 8),
        ({"bilirubin": 3.1, "albumin": 2.7, "inr": 2.4, "ascites": "moderate",
          "encephalopathy": "grade 3-4"}, 15),
        ({"bilirubin": [60, "µmol/L"], "albumin": [36, "g/L"], "inr": 1.2}, 5 + 2),
        ({"bilirubin": 1.0, "albumin": 4.0, "pt_prolongation": 5, "ascites": "Slight"}, 7),
        ({"bilirubin": 1.0, "albumin": 4.0, "inr": 1.0, "encephalopathy": "Grade 0"}, 5),
    ])  # fmt: skip


def test_child_pugh_class() -> None:
    text = compute("child_pugh", {"bilirubin": 2.5, "albumin": 3.0, "inr": 2.0}).explanation
    assert "class B" in text and "Ascites: absent (not reported" in text


# --- Wells DVT (Wells et al., NEJM 2003) -------------------------------------------------------

_DVT_FINDINGS = ["active_cancer", "paralysis_or_cast", "bedridden", "major_surgery",
                 "deep_vein_tenderness", "entire_leg_swollen", "calf_swelling", "pitting_edema",
                 "collateral_veins", "previous_dvt"]  # fmt: skip


def test_wells_dvt() -> None:
    every = dict.fromkeys(_DVT_FINDINGS, True)
    check("wells_dvt", [
        ({"alternative_diagnosis": True}, -2),
        ({"active_cancer": True, "calf_swelling": True}, 2),
        ({"bedridden": True, "major_surgery": True}, 1),
        (every, 9),
        ({**every, "alternative_diagnosis": True}, 7),
    ])  # fmt: skip


# --- RCRI (Lee et al., Circulation 1999) -------------------------------------------------------


def test_rcri() -> None:
    check("rcri", [
        ({}, 0),
        ({"creatinine": 2.0}, 0),
        ({"creatinine": 2.1}, 1),
        ({"creatinine": [176, "µmol/L"]}, 0),
        ({"creatinine": [180, "µmol/L"]}, 1),
        ({"high_risk_surgery": True, "ischemic_heart_disease": True, "heart_failure": True,
          "cerebrovascular_disease": True, "insulin": True, "creatinine": 2.5}, 6),
    ])  # fmt: skip


# --- HEART (Six, Backus, Kelder, Neth Heart J 2008) --------------------------------------------


def test_heart_score() -> None:
    check("heart_score", [
        ({"age": 44}, 0),
        ({"age": 45}, 1),
        ({"age": 64}, 1),
        ({"age": 65}, 2),
        ({"age": 50, "history": "moderately suspicious", "smoking": True, "hypertension": True}, 3),
        ({"age": 40, "hypertension": True, "diabetes": True, "obesity": True}, 2),
        ({"age": 40, "atherosclerotic_disease": True}, 2),
        ({"age": 70, "history": "highly suspicious", "ecg": "significant ST deviation",
          "troponin": "> 3x normal limit", "smoking": True, "obesity": True,
          "family_history": True}, 10),
    ])  # fmt: skip


# --- Centor modified by McIsaac (CMAJ 1998) ----------------------------------------------------


def test_centor_mcisaac() -> None:
    findings = {"cough_absent": True, "tender_anterior_nodes": True,
                "tonsillar_swelling_or_exudate": True}  # fmt: skip
    check("centor_mcisaac", [
        ({"age": 10, "temperature": 38.5, **findings}, 5),
        ({"age": 45, "temperature": 37.0}, -1),
        ({"age": 44, "temperature": 37.0}, 0),
        ({"age": 15, "temperature": 38.0}, 0),
        ({"age": 14, "temperature": 38.0}, 1),
        ({"age": 30, "temperature": [100.5, "°F"]}, 1),
        ({"age": [18, "months"], "temperature": 38.4}, 1),
    ])  # fmt: skip


# --- Glasgow Coma Scale (Teasdale & Jennett, Lancet 1974) --------------------------------------


def test_glasgow_coma_scale() -> None:
    check("glasgow_coma_scale", [
        ({"eye": "spontaneous", "verbal": "oriented", "motor": "obeys commands"}, 15),
        ({"eye": "none", "verbal": "none", "motor": "none"}, 3),
        ({"eye": "to pressure", "verbal": "sounds", "motor": "normal flexion"}, 8),
        ({"eye": "eye opening to verbal command", "verbal": "confused",
          "motor": "abnormal flexion"}, 10),
        ({"eye": 3, "verbal": "not testable", "motor": 5}, 9),
    ])  # fmt: skip
    assert (
        "NT"
        in compute("glasgow_coma_scale", {"eye": 3, "verbal": "intubated", "motor": 5}).explanation
    )


# --- HAS-BLED (Pisters et al., Chest 2010) -----------------------------------------------------


def test_has_bled() -> None:
    check("has_bled", [
        ({"age": 65}, 0),
        ({"age": 66}, 1),
        ({"age": 40, "alcohol_drinks_per_week": 7}, 0),
        ({"age": 40, "alcohol_drinks_per_week": 8}, 1),
        ({"age": 70, "hypertension": True, "renal_disease": True, "liver_disease": True,
          "stroke": True, "prior_bleeding": True, "labile_inr": True,
          "bleeding_medication": True, "alcohol_drinks_per_week": 10}, 9),
    ])  # fmt: skip


# --- Glasgow-Blatchford (Blatchford et al., Lancet 2000) ---------------------------------------

_GBS_NORMAL = {"sex": "male", "bun": 5.0, "hemoglobin": 14.0, "sbp": 120, "heart_rate": 80}


def test_glasgow_blatchford_urea_and_circulation() -> None:
    check("glasgow_blatchford", [
        (_GBS_NORMAL, 0),
        ({**_GBS_NORMAL, "bun": 6.4}, 0),
        ({**_GBS_NORMAL, "bun": 6.5}, 2),
        ({**_GBS_NORMAL, "bun": 8.0}, 3),
        ({**_GBS_NORMAL, "bun": 10.0}, 4),
        ({**_GBS_NORMAL, "bun": 25.0}, 6),
        ({**_GBS_NORMAL, "bun": [18.0, "mg/dL"]}, 0),
        ({**_GBS_NORMAL, "bun": [18.3, "mg/dL"]}, 2),
        ({**_GBS_NORMAL, "sbp": 110}, 0),
        ({**_GBS_NORMAL, "sbp": 109}, 1),
        ({**_GBS_NORMAL, "sbp": 99}, 2),
        ({**_GBS_NORMAL, "sbp": 89}, 3),
        ({**_GBS_NORMAL, "heart_rate": 100}, 1),
    ])  # fmt: skip


def test_glasgow_blatchford_haemoglobin_by_sex() -> None:
    women = {**_GBS_NORMAL, "sex": "female"}
    check("glasgow_blatchford", [
        ({**_GBS_NORMAL, "hemoglobin": 13.0}, 0),
        ({**_GBS_NORMAL, "hemoglobin": 12.9}, 1),
        ({**_GBS_NORMAL, "hemoglobin": 11.9}, 3),
        ({**_GBS_NORMAL, "hemoglobin": 9.9}, 6),
        ({**women, "hemoglobin": 12.0}, 0),
        ({**women, "hemoglobin": 11.9}, 1),
        ({**women, "hemoglobin": [99, "g/L"]}, 6),
        ({"sex": "male", "bun": 30, "hemoglobin": 9, "sbp": 80, "heart_rate": 110,
          "melena": True, "syncope": True, "hepatic_disease": True, "cardiac_failure": True}, 23),
    ])  # fmt: skip


# --- APACHE II (Knaus et al., Crit Care Med 1985) ----------------------------------------------

_APACHE_NORMAL = {"age": 40, "temperature": 37.0, "mean_arterial_pressure": 90, "heart_rate": 80,
                  "respiratory_rate": 16, "fio2": 21, "pao2": 90, "ph": 7.40, "sodium": 140,
                  "potassium": 4.0, "creatinine": 1.0, "hematocrit": 40, "wbc": 8, "gcs": 15}  # fmt: skip


def test_apache_ii_worked_case() -> None:
    sick = {
        "age": 67, "temperature": 39.2, "sbp": 80, "dbp": 40, "heart_rate": 125,
        "respiratory_rate": 30, "fio2": 60, "a_a_gradient": 360, "ph": 7.30, "sodium": 128,
        "potassium": 3.2, "creatinine": 2.2, "acute_renal_failure": True, "hematocrit": 28,
        "wbc": 22, "gcs": 12, "chronic_health": True, "admission_type": "emergency",
    }  # fmt: skip
    # age 5 + T 3 + MAP 53 2 + HR 2 + RR 1 + A-a 3 + pH 2 + Na 2 + K 1 + Cr 3x2 + Hct 2 + WBC 2
    # + GCS 3 + chronic health 5 = 39
    assert score("apache_ii", **sick) == 39


def test_apache_ii_bands() -> None:
    check("apache_ii", [
        (_APACHE_NORMAL, 0),
        ({**_APACHE_NORMAL, "heart_rate": 110}, 2),
        ({**_APACHE_NORMAL, "heart_rate": 109}, 0),
        ({**_APACHE_NORMAL, "temperature": 38.5}, 1),
        ({**_APACHE_NORMAL, "temperature": [101.1, "°F"]}, 0),
        ({**_APACHE_NORMAL, "pao2": 70}, 1),
        ({**_APACHE_NORMAL, "pao2": [8, "kPa"]}, 3),
        ({**_APACHE_NORMAL, "age": 75}, 6),
        ({**_APACHE_NORMAL, "chronic_health": True, "admission_type": "elective"}, 2),
        ({**_APACHE_NORMAL, "chronic_health": True}, 5),
        ({**_APACHE_NORMAL, "ph": None, "bicarbonate": 16}, 3),
        ({"age": 40}, 0),
    ])  # fmt: skip


def test_apache_ii_derives_the_a_a_gradient() -> None:
    # PAO2 = 0.60 x (760 - 47) - 40 / 0.8 = 377.8; A-a = 377.8 - 80 = 297.8 -> 2 points
    inputs = {**_APACHE_NORMAL, "fio2": 60, "pao2": 80, "paco2": 40}
    assert score("apache_ii", **inputs) == 2


# --- PSI (Fine et al., NEJM 1997) --------------------------------------------------------------


def test_psi() -> None:
    check("psi", [
        ({"age": 50, "sex": "male"}, 50),
        ({"age": 70, "sex": "female"}, 60),
        ({"age": 80, "sex": "male", "nursing_home": True, "heart_failure": True,
          "respiratory_rate": 32, "bun": 35, "pleural_effusion": True}, 150),
        ({"age": 60, "sex": "male", "temperature": 40.0}, 75),
        ({"age": 60, "sex": "male", "temperature": 39.9}, 60),
        ({"age": 60, "sex": "male", "temperature": 34.9}, 75),
        ({"age": 60, "sex": "male", "glucose": [13.9, "mmol/L"], "bun": [11, "mmol/L"]}, 90),
        ({"age": 60, "sex": "male", "oxygen_saturation": 89}, 70),
        ({"age": 60, "sex": "male", "ph": 7.34, "sodium": 129, "hematocrit": 29}, 120),
    ])  # fmt: skip


def test_psi_classes() -> None:
    assert "Risk class I " in compute("psi", {"age": 50, "sex": "male"}).explanation
    older = compute("psi", {"age": 51, "sex": "male"}).explanation
    assert "Risk class I " not in older and "class II" in older
    assert "class V" in compute("psi", {"age": 130, "sex": "male", "ph": 7.2}).explanation


# --- Charlson (J Chronic Dis 1987; age points J Clin Epidemiol 1994) ---------------------------


def test_charlson() -> None:
    check("charlson", [
        ({"age": 49}, 0),
        ({"age": 50}, 1),
        ({"age": 79}, 3),
        ({"age": 80}, 4),
        ({"age": 95}, 5),
        ({"age": 45, "tia": True, "cerebrovascular_accident": True}, 1),
        ({"age": 45, "diabetes": "diet-controlled"}, 0),
        ({"age": 72, "myocardial_infarction": True, "heart_failure": True,
          "diabetes": "end-organ damage", "solid_tumor": "metastatic"}, 13),
        ({"age": 45, "liver_disease": "moderate to severe", "aids": True,
          "kidney_disease": "severe", "solid_tumor": "localized"}, 13),
    ])  # fmt: skip


# --- FeverPAIN (Little et al., BMJ 2013) -------------------------------------------------------


def test_feverpain() -> None:
    every = {"fever": True, "purulence": True, "attend_rapidly": True, "inflamed_tonsils": True,
             "no_cough_or_coryza": True}  # fmt: skip
    check("feverpain", [
        ({}, 0),
        ({"fever": True, "purulence": True, "attend_rapidly": True}, 3),
        (every, 5),
    ])  # fmt: skip


# --- Caprini 2005 (Dis Mon 2005) ---------------------------------------------------------------


def test_caprini() -> None:
    check("caprini", [
        ({"age": 40}, 0),
        ({"age": 41}, 1),
        ({"age": 60}, 1),
        ({"age": 61}, 2),
        ({"age": 74}, 2),
        ({"age": 75}, 3),
        ({"age": 65, "sex": "female", "surgery_type": "major", "bmi": 27,
          "oral_contraceptives_or_hrt": True}, 6),
        ({"age": 30, "previous_dvt": True, "previous_pe": True}, 3),
        ({"age": 30, "bmi": 25}, 0),
        ({"age": 30, "bmi": 25.1}, 1),
        ({"age": 70, "surgery_type": "elective major lower extremity arthroplasty",
          "fracture": True, "mobility": "confined to bed >72 hours"}, 2 + 5 + 5 + 2),
    ])  # fmt: skip


# --- SOFA (Vincent et al., Intensive Care Med 1996) --------------------------------------------


def test_sofa_respiration() -> None:
    check("sofa", [
        ({}, 0),
        ({"pao2": 120, "fio2": 30}, 0),
        ({"pao2": 90, "fio2": 30}, 1),
        ({"pao2": 89, "fio2": 30}, 2),
        ({"pao2": 60, "fio2": 50}, 2),
        ({"pao2": 60, "fio2": 50, "mechanical_ventilation": True}, 3),
        ({"pao2": 45, "fio2": 50, "cpap": True}, 4),
        ({"pao2": [6, "kPa"], "fio2": 50, "cpap": True}, 4),
    ])  # fmt: skip


def test_sofa_other_systems() -> None:
    check("sofa", [
        ({"platelets": 150}, 0),
        ({"platelets": [149000, "/µL"]}, 1),
        ({"platelets": 19}, 4),
        ({"bilirubin": 1.1}, 0),
        ({"bilirubin": 1.2}, 1),
        ({"bilirubin": 12.0}, 4),
        ({"sbp": 90, "dbp": 58}, 1),
        ({"dopamine": 5}, 2),
        ({"dobutamine": 2}, 2),
        ({"dopamine": 5.1}, 3),
        ({"norepinephrine": 0.1}, 3),
        ({"epinephrine": 0.05}, 3),
        ({"norepinephrine": 0.11}, 4),
        ({"dopamine": 15.1}, 4),
        ({"gcs": 14}, 1),
        ({"gcs": 9}, 3),
        ({"gcs": 5}, 4),
        ({"creatinine": 1.9}, 1),
        ({"creatinine": 2.0}, 2),
        ({"creatinine": 3.5}, 3),
        ({"creatinine": 5.0}, 4),
        ({"urine_output": 499}, 3),
        ({"urine_output": 199}, 4),
        ({"creatinine": 1.5, "urine_output": 300}, 3),
    ])  # fmt: skip


# --- CURB-65 (Lim et al., Thorax 2003) ---------------------------------------------------------

_CURB_NORMAL = {"age": 40, "bun": 5.0, "respiratory_rate": 16, "sbp": 120, "dbp": 80}


def test_curb_65() -> None:
    check("curb_65", [
        (_CURB_NORMAL, 0),
        ({**_CURB_NORMAL, "bun": 7.0}, 0),
        ({**_CURB_NORMAL, "bun": 7.1}, 1),
        ({**_CURB_NORMAL, "bun": [19, "mg/dL"]}, 0),
        ({**_CURB_NORMAL, "bun": [20, "mg/dL"]}, 1),
        ({**_CURB_NORMAL, "respiratory_rate": 29}, 0),
        ({**_CURB_NORMAL, "respiratory_rate": 30}, 1),
        ({**_CURB_NORMAL, "sbp": 90, "dbp": 61}, 0),
        ({**_CURB_NORMAL, "sbp": 89}, 1),
        ({**_CURB_NORMAL, "dbp": 60}, 1),
        ({**_CURB_NORMAL, "age": 65}, 1),
        ({"age": 80, "bun": 9, "respiratory_rate": 32, "sbp": 85, "dbp": 50, "confusion": True}, 5),
    ])  # fmt: skip


# --- PERC (Kline et al., J Thromb Haemost 2004) ------------------------------------------------

_PERC_NEGATIVE = {"age": 30, "heart_rate": 80, "oxygen_saturation": 98}


def test_perc() -> None:
    check("perc", [
        (_PERC_NEGATIVE, 0),
        ({**_PERC_NEGATIVE, "age": 49}, 0),
        ({**_PERC_NEGATIVE, "age": 50}, 1),
        ({**_PERC_NEGATIVE, "heart_rate": 99}, 0),
        ({**_PERC_NEGATIVE, "heart_rate": 100}, 1),
        ({**_PERC_NEGATIVE, "oxygen_saturation": 95}, 0),
        ({**_PERC_NEGATIVE, "oxygen_saturation": 94.9}, 1),
        ({**_PERC_NEGATIVE, "previous_pe": True, "previous_dvt": True}, 1),
        ({"age": 60, "heart_rate": 110, "oxygen_saturation": 90, "unilateral_leg_swelling": True,
          "hemoptysis": True, "recent_surgery_or_trauma": True, "previous_dvt": True,
          "hormone_use": True}, 8),
    ])  # fmt: skip


# --- SIRS (Bone et al., Chest 1992) ------------------------------------------------------------

_SIRS_NORMAL = {"temperature": 37.0, "heart_rate": 80, "respiratory_rate": 16, "wbc": 8}


def test_sirs() -> None:
    check("sirs", [
        (_SIRS_NORMAL, 0),
        ({**_SIRS_NORMAL, "temperature": 38.0}, 0),
        ({**_SIRS_NORMAL, "temperature": 38.1}, 1),
        ({**_SIRS_NORMAL, "temperature": 36.0}, 0),
        ({**_SIRS_NORMAL, "temperature": 35.9}, 1),
        ({**_SIRS_NORMAL, "heart_rate": 90}, 0),
        ({**_SIRS_NORMAL, "heart_rate": 91}, 1),
        ({**_SIRS_NORMAL, "respiratory_rate": 20}, 0),
        ({**_SIRS_NORMAL, "respiratory_rate": 21}, 1),
        ({**_SIRS_NORMAL, "paco2": 31.9}, 1),
        ({**_SIRS_NORMAL, "wbc": 12}, 0),
        ({**_SIRS_NORMAL, "wbc": [12100, "/µL"]}, 1),
        ({**_SIRS_NORMAL, "wbc": 3.9}, 1),
        ({**_SIRS_NORMAL, "bands": 11}, 1),
        ({"temperature": [102, "°F"], "heart_rate": 120, "respiratory_rate": 24, "wbc": 15}, 4),
    ])  # fmt: skip


@pytest.mark.parametrize("calculator", ["cha2ds2_vasc", "sofa", "wells_pe", "sirs"])
def test_explanation_ends_with_total_and_range(calculator: str) -> None:
    minimal: dict[str, dict[str, Any]] = {
        "cha2ds2_vasc": {"age": 70, "sex": "F"}, "sofa": {}, "wells_pe": {"heart_rate": 90},
        "sirs": _SIRS_NORMAL,
    }  # fmt: skip
    text = compute(calculator, minimal[calculator]).explanation
    assert "Total:" in text and "(range" in text
    assert ("Interpretation:" in text) == (calculator != "sofa")  # Vincent 1996 defines no tiers
