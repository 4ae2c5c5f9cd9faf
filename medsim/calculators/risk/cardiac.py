"""Cardiovascular risk scores: CHA2DS2-VASc, HAS-BLED, RCRI and HEART.

Point tables: ``data/<calculator id>.json``. Unreported yes/no criteria count as absent.
"""

from __future__ import annotations

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.rules import ScoreSheet, Sex, choice, flag, load_table, medcalc_adapter
from medsim.calculators.units import quantity

Age = quantity("years", ge=0, le=130, description="age")

CHA2DS2_VASC = load_table("cha2ds2_vasc")


class Cha2ds2VascInputs(CalculatorInputs):
    age: Age
    sex: Sex
    chf: flag("congestive heart failure or moderate-severe LV systolic dysfunction") = False
    hypertension: flag("hypertension") = False
    stroke: flag("prior ischaemic stroke") = False
    tia: flag("prior transient ischaemic attack") = False
    thromboembolism: flag("prior systemic thromboembolism") = False
    vascular_disease: flag("prior MI, peripheral artery disease or aortic plaque") = False
    diabetes: flag("diabetes mellitus") = False


@calculator(
    id="cha2ds2_vasc",
    name="CHA2DS2-VASc Score for Atrial Fibrillation Stroke Risk",
    medcalc_id=4,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=CHA2DS2_VASC["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(CHA2DS2_VASC),
    aliases=("CHA2DS2-VASc", "chads-vasc"),
)
def cha2ds2_vasc(x: Cha2ds2VascInputs) -> Result:
    """CHA2DS2-VASc stroke risk in atrial fibrillation, 0-9 points.

    C CHF 1, H hypertension 1, A2 age >= 75 2, D diabetes 1, S2 stroke/TIA/thromboembolism 2 (once),
    V vascular disease 1, A age 65-74 1, Sc female 1. Source: Lip GYH et al. Chest.
    2010;137(2):263-272.
    """
    sheet = ScoreSheet(CHA2DS2_VASC, x)
    sheet.items(CHA2DS2_VASC["items"])
    return sheet.result("cha2ds2_vasc")


HAS_BLED = load_table("has_bled")


class HasBledInputs(CalculatorInputs):
    age: Age
    hypertension: flag("uncontrolled hypertension, systolic > 160 mmHg") = False
    renal_disease: flag("chronic dialysis, renal transplant or creatinine >= 200 umol/L") = False
    liver_disease: flag("cirrhosis, or bilirubin > 2x ULN with AST/ALT/ALP > 3x ULN") = False
    stroke: flag("prior stroke") = False
    prior_bleeding: flag("prior major bleeding or predisposition to bleeding") = False
    labile_inr: flag("unstable/high INRs or time in therapeutic range < 60%") = False
    bleeding_medication: flag("antiplatelet agents or NSAIDs") = False
    alcohol_drinks_per_week: quantity(
        "drinks/week", ge=0, le=500, description="alcoholic drinks per week; not reported = 0"
    ) = 0


@calculator(
    id="has_bled",
    name="HAS-BLED Score for Major Bleeding Risk",
    medcalc_id=25,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=HAS_BLED["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(HAS_BLED),
    aliases=("HAS-BLED",),
)
def has_bled(x: HasBledInputs) -> Result:
    """HAS-BLED one-year major bleeding risk on anticoagulation, 0-9 points.

    One point each: uncontrolled hypertension, abnormal renal function, abnormal liver function,
    stroke, bleeding, labile INR, elderly (> 65), drugs, alcohol (>= 8 drinks/week). Source:
    Pisters R et al. Chest. 2010;138(5):1093-1100.
    """
    sheet = ScoreSheet(HAS_BLED, x)
    sheet.items(HAS_BLED["items"])
    return sheet.result("has_bled")


RCRI = load_table("rcri")


class RcriInputs(CalculatorInputs):
    high_risk_surgery: flag("intraperitoneal, intrathoracic or suprainguinal vascular surgery") = (
        False
    )
    ischemic_heart_disease: flag(
        "history of MI, positive stress test, angina, nitrates, Q waves"
    ) = False
    heart_failure: flag("history of congestive heart failure") = False
    cerebrovascular_disease: flag("history of stroke or transient ischaemic attack") = False
    insulin: flag("preoperative treatment with insulin") = False
    creatinine: (
        quantity(
            "mg/dL",
            analyte="creatinine",
            gt=0,
            le=30,
            description="preoperative serum creatinine; not reported = not above 2.0 mg/dL",
        )
        | None
    ) = None


@calculator(
    id="rcri",
    name="Revised Cardiac Risk Index for Pre-Operative Risk",
    medcalc_id=17,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=RCRI["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(RCRI),
    aliases=("RCRI", "Lee index", "revised cardiac risk index"),
)
def rcri(x: RcriInputs) -> Result:
    """Revised Cardiac Risk Index (Lee index) for major noncardiac surgery, 0-6 points.

    One point each: high-risk surgery, ischaemic heart disease, heart failure, cerebrovascular
    disease, insulin, creatinine > 2.0 mg/dL. Source: Lee TH et al. Circulation.
    1999;100(10):1043-1049.
    """
    sheet = ScoreSheet(RCRI, x)
    flags = [item for item in RCRI["items"] if item["kind"] == "flag"]
    sheet.items(flags)
    creatinine_item = next(item for item in RCRI["items"] if item["kind"] == "band")
    if x.creatinine is None:
        sheet.missing(creatinine_item["label"], "assumed not elevated")
    else:
        sheet.band(creatinine_item)
    return sheet.result("rcri")


HEART = load_table("heart_score")
_HEART_CHOICES = HEART["choices"]


class HeartScoreInputs(CalculatorInputs):
    age: Age
    history: choice(_HEART_CHOICES["history"], "how suspicious the history is for ACS") = (
        "slightly suspicious"
    )
    ecg: choice(_HEART_CHOICES["ecg"], "ECG finding") = "normal"
    troponin: choice(_HEART_CHOICES["troponin"], "initial troponin vs the normal limit") = (
        "<= normal limit"
    )
    hypertension: flag("hypertension") = False
    hypercholesterolemia: flag("hypercholesterolaemia") = False
    diabetes: flag("diabetes mellitus") = False
    obesity: flag("obesity, BMI > 30 kg/m2") = False
    smoking: flag("current smoker or quit <= 3 months ago") = False
    family_history: flag("parent or sibling with cardiovascular disease before 65") = False
    atherosclerotic_disease: flag(
        "known atherosclerotic disease: MI, PCI/CABG, stroke/TIA, PAD"
    ) = False


@calculator(
    id="heart_score",
    name="HEART Score for Major Cardiac Events",
    medcalc_id=18,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=HEART["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(HEART),
    aliases=("HEART",),
)
def heart_score(x: HeartScoreInputs) -> Result:
    """HEART score for major adverse cardiac events in chest pain, 0-10 points.

    History, ECG, Age, Risk factors, Troponin, 0-2 points each. Risk factors: none 0, 1-2 risk
    factors 1, >= 3 risk factors or known atherosclerotic disease 2. Unreported categories take
    their 0-point value. Source: Six AJ, Backus BE, Kelder JC. Neth Heart J. 2008;16(6):191-196.
    """
    sheet = ScoreSheet(HEART, x)
    choice_items = {item["field"]: item for item in HEART["items"]}
    for name in ("history", "ecg", "age"):
        sheet.items([choice_items[name]])
    present = [label for name, label in HEART["risk_factors"].items() if getattr(x, name)]
    points = 2 if len(present) >= 3 or x.atherosclerotic_disease else 1 if present else 0
    finding = f"{len(present)} risk factor(s)" + (f": {', '.join(present)}" if present else "")
    if x.atherosclerotic_disease:
        finding += "; known atherosclerotic disease"
    sheet.add("Risk factors", finding, points)
    sheet.items([choice_items["troponin"]])
    return sheet.result("heart_score")
