"""Severity scores (MedCalc-Bench category ``severity``): Child-Pugh, Centor (McIsaac), Glasgow
Coma Scale, Pneumonia Severity Index.

Point tables: ``data/child_pugh.json``, ``data/centor_mcisaac.json``,
``data/glasgow_coma_scale.json``, ``data/psi.json``.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from medsim.calculators.base import CalculatorError, CalculatorInputs, Result, calculator
from medsim.calculators.rules import ScoreSheet, Sex, choice, flag, load_table, medcalc_adapter
from medsim.calculators.units import quantity

CHILD_PUGH = load_table("child_pugh")
_CP_CHOICES = CHILD_PUGH["choices"]


class ChildPughInputs(CalculatorInputs):
    bilirubin: quantity("mg/dL", analyte="bilirubin", ge=0, le=80, description="total bilirubin")
    albumin: quantity("g/dL", gt=0, le=10, description="serum albumin")
    inr: Annotated[float, Field(gt=0.5, le=20, description="INR")] | None = None
    pt_prolongation: (
        quantity("s", ge=0, le=120, description="prothrombin time above control (if no INR)") | None
    ) = None
    ascites: choice(_CP_CHOICES["ascites"], "ascites; not reported = absent") = "absent"
    encephalopathy: choice(_CP_CHOICES["encephalopathy"], "hepatic encephalopathy grade") = "none"


@calculator(
    id="child_pugh",
    name="Child-Pugh Score for Cirrhosis Mortality",
    medcalc_id=15,
    category="severity",
    output="integer",
    unit="points",
    medcalc_entities=CHILD_PUGH["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(CHILD_PUGH),
    aliases=("Child-Pugh", "Child-Turcotte-Pugh"),
)
def child_pugh(x: ChildPughInputs) -> Result:
    """Child-Pugh score of cirrhosis severity, 5-15 points (class A 5-6, B 7-9, C 10-15).

    1-3 points each: bilirubin (< 2, 2-3, > 3 mg/dL), albumin (> 3.5, 2.8-3.5, < 2.8 g/dL),
    INR (< 1.7, 1.7-2.3, > 2.3) or prothrombin-time prolongation (< 4, 4-6, > 6 s), ascites
    (absent, slight, moderate), encephalopathy (none, grade 1-2, grade 3-4). Unreported ascites
    and encephalopathy count as absent. Source: Pugh RNH et al. Br J Surg. 1973;60(8):646-649.
    """
    if x.inr is None and x.pt_prolongation is None:
        raise CalculatorError("child_pugh: inr: required (or give pt_prolongation in seconds)")
    sheet = ScoreSheet(CHILD_PUGH, x)
    sheet.items(CHILD_PUGH["items"][:2])
    sheet.band(CHILD_PUGH["inr"] if x.inr is not None else CHILD_PUGH["pt_prolongation"])
    sheet.items(CHILD_PUGH["items"][2:])
    return sheet.result("child_pugh")


CENTOR = load_table("centor_mcisaac")


class CentorInputs(CalculatorInputs):
    age: quantity("years", ge=0, le=130, description="age")
    temperature: quantity("°C", ge=25, le=45, description="highest measured temperature")
    cough_absent: flag("absence of cough") = False
    tender_anterior_nodes: flag("swollen, tender anterior cervical lymph nodes") = False
    tonsillar_swelling_or_exudate: flag("tonsillar swelling or exudate") = False


@calculator(
    id="centor_mcisaac",
    name="Centor Score (Modified/McIsaac) for Strep Pharyngitis",
    medcalc_id=20,
    category="severity",
    output="integer",
    unit="points",
    medcalc_entities=CENTOR["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(CENTOR),
    aliases=("Centor", "McIsaac", "modified Centor"),
)
def centor_mcisaac(x: CentorInputs) -> Result:
    """Centor score modified by McIsaac for streptococcal pharyngitis, -1 to 5 points.

    One point each: temperature > 38 °C, absent cough, swollen tender anterior cervical nodes,
    tonsillar swelling or exudate; age 3-14 +1, 15-44 0, >= 45 -1 (below 3 years: outside the
    validated range, no age points). Source: McIsaac WJ, White D, Tannenbaum D, Low DE. CMAJ.
    1998;158(1):75-83.
    """
    sheet = ScoreSheet(CENTOR, x)
    sheet.items(CENTOR["items"])
    return sheet.result("centor_mcisaac")


GCS = load_table("glasgow_coma_scale")
_GCS_CHOICES = GCS["choices"]


class GlasgowComaScaleInputs(CalculatorInputs):
    eye: choice(_GCS_CHOICES["eye"], "best eye response")
    verbal: choice(_GCS_CHOICES["verbal"], "best verbal response")
    motor: choice(_GCS_CHOICES["motor"], "best motor response")


@calculator(
    id="glasgow_coma_scale",
    name="Glasgow Coma Score (GCS)",
    medcalc_id=21,
    category="severity",
    output="integer",
    unit="points",
    medcalc_entities=GCS["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(GCS),
    aliases=("GCS", "Glasgow Coma Scale"),
)
def glasgow_coma_scale(x: GlasgowComaScaleInputs) -> Result:
    """Glasgow Coma Scale total E + V + M, 3-15.

    Eye 1-4, verbal 1-5, motor 1-6 (with abnormal flexion, 1976 version). A component that is
    not testable (intubated, eyes swollen shut) is scored 1 and flagged "NT": the total is then
    a lower bound. Sources: Teasdale G, Jennett B. Lancet. 1974;2(7872):81-84; Teasdale G,
    Jennett B. Acta Neurochir. 1976;34:45-55.
    """
    sheet = ScoreSheet(GCS, x)
    sheet.items(GCS["items"])
    untestable = [n for n in ("eye", "verbal", "motor") if getattr(x, n) == "not testable"]
    if untestable:
        sheet.note(f"not testable ({', '.join(untestable)}): scored {GCS['not_testable_points']}"
                   " and reported as NT; the total is a lower bound")  # fmt: skip
    return sheet.result("glasgow_coma_scale")


PSI = load_table("psi")


class PsiInputs(CalculatorInputs):
    age: quantity("years", ge=18, le=130, description="age (adults)")
    sex: Sex
    nursing_home: flag("nursing home resident") = False
    neoplastic_disease: flag("active cancer, or cancer diagnosed within 1 year") = False
    liver_disease: flag("cirrhosis or other chronic liver disease") = False
    heart_failure: flag("congestive heart failure") = False
    cerebrovascular_disease: flag("stroke or TIA") = False
    renal_disease: flag("chronic renal disease") = False
    altered_mental_status: flag("disorientation, stupor or coma") = False
    respiratory_rate: quantity("/min", ge=0, le=120, description="respiratory rate") | None = None
    sbp: quantity("mmHg", gt=0, le=400, description="systolic BP") | None = None
    temperature: quantity("°C", ge=15, le=46, description="temperature") | None = None
    heart_rate: quantity("beats/min", gt=0, le=350, description="pulse") | None = None
    ph: Annotated[float, Field(ge=6.5, le=8.0, description="arterial pH")] | None = None
    bun: quantity("mg/dL", analyte="bun", ge=0, le=400, description="BUN") | None = None
    sodium: quantity("mmol/L", analyte="sodium", ge=80, le=220, description="Na") | None = None
    glucose: quantity("mg/dL", analyte="glucose", ge=0, le=3000, description="glucose") | None = (
        None
    )
    hematocrit: quantity("%", ge=5, le=80, description="hematocrit") | None = None
    pao2: quantity("mmHg", gt=0, le=800, description="PaO2") | None = None
    oxygen_saturation: quantity("%", ge=0, le=100, description="SaO2 (if no PaO2)") | None = None
    pleural_effusion: flag("pleural effusion on chest radiograph") = False


@calculator(
    id="psi",
    name="PSI Score: Pneumonia Severity Index for CAP",
    medcalc_id=29,
    category="severity",
    output="integer",
    unit="points",
    medcalc_entities=PSI["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(PSI),
    aliases=("PSI", "PORT score", "Pneumonia Severity Index"),
)
def psi(x: PsiInputs) -> Result:
    """Pneumonia Severity Index (PORT), points and risk class I-V.

    Age in completed years (women - 10), nursing home +10, comorbidities (+10 to +30), examination findings
    (+10 to +20) and laboratory/radiographic findings (+10 to +30). A measurement that is not
    reported counts as normal, as in the derivation study. Source: Fine MJ et al. N Engl J Med.
    1997;336(4):243-250.
    """
    sheet = ScoreSheet(PSI, x)
    years = math.floor(x.age)  # Fine 1997 scores age in completed years
    sheet.add("Age", f"{years} years", years)
    sheet.add("Sex", x.sex, PSI["female_points"] if x.sex == "female" else 0)
    sheet.items(PSI["flags"])
    abnormal_vitals = False
    for item in PSI["measurements"]:
        value = getattr(x, item["field"])
        if value is None:
            sheet.missing(item["label"], "assumed normal")
        elif sheet.band(item) and item.get("class_one"):
            abnormal_vitals = True
    if x.pao2 is None and x.oxygen_saturation is None:
        sheet.missing(PSI["oxygenation"]["label"], "assumed normal")
    else:
        sheet.threshold(PSI["oxygenation"])
    sheet.flag(PSI["pleural_effusion"])
    result = sheet.result("psi")
    class_one = (x.age <= PSI["class_one_max_age"] and not abnormal_vitals
                 and not any(getattr(x, f) for f in PSI["class_one_findings"]))  # fmt: skip
    if class_one:
        result.explanation += "\nRisk class I (age <= 50, none of the step-1 findings)"
    return result
