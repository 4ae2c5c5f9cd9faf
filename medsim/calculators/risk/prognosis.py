"""Prognostic scores: Glasgow-Blatchford (upper GI bleeding), CURB-65 (pneumonia), Charlson
Comorbidity Index.

Point tables: ``data/glasgow_blatchford.json``, ``data/curb_65.json``, ``data/charlson.json``.
Unreported yes/no criteria count as absent; unreported categories take their 0-point value.
"""

from __future__ import annotations

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.rules import ScoreSheet, Sex, choice, flag, load_table, medcalc_adapter
from medsim.calculators.units import quantity

Age = quantity("years", ge=0, le=130, description="age")
# Blood urea in mmol/L; BUN in mg/dL converts at 2.8 mg/dL per mmol/L (urea carries 2 N atoms).
Urea = quantity("mmol/L", analyte="bun", ge=0, le=150, description="blood urea (or BUN)")
Sbp = quantity("mmHg", gt=0, le=400, description="systolic blood pressure")

GBS = load_table("glasgow_blatchford")


class GlasgowBlatchfordInputs(CalculatorInputs):
    sex: Sex
    bun: Urea
    hemoglobin: quantity("g/dL", gt=0, le=30, description="haemoglobin")
    sbp: Sbp
    heart_rate: quantity("beats/min", gt=0, le=350, description="pulse")
    melena: flag("presentation with melaena") = False
    syncope: flag("presentation with syncope") = False
    hepatic_disease: flag("known history or clinical/laboratory evidence of liver disease") = False
    cardiac_failure: flag("known history or clinical/echo evidence of cardiac failure") = False


@calculator(
    id="glasgow_blatchford",
    name="Glasgow-Blatchford Bleeding Score (GBS)",
    medcalc_id=27,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=GBS["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(GBS),
    aliases=("GBS", "Blatchford", "Glasgow-Blatchford"),
)
def glasgow_blatchford(x: GlasgowBlatchfordInputs) -> Result:
    """Glasgow-Blatchford score for upper GI bleeding (need for intervention), 0-23 points.

    Blood urea (mmol/L) 6.5-8 2, 8-10 3, 10-25 4, >= 25 6; haemoglobin (g/dL) men 12-13 1,
    10-12 3, < 10 6, women 10-12 1, < 10 6; systolic BP 100-109 1, 90-99 2, < 90 3; pulse >= 100
    1; melaena 1; syncope 2; hepatic disease 2; cardiac failure 2. Source: Blatchford O, Murray
    WR, Blatchford M. Lancet. 2000;356(9238):1318-1321.
    """
    sheet = ScoreSheet(GBS, x)
    sheet.items(GBS["items"][:1])
    sheet.band(GBS["hemoglobin"][x.sex])
    sheet.items(GBS["items"][1:])
    return sheet.result("glasgow_blatchford")


CURB = load_table("curb_65")


class Curb65Inputs(CalculatorInputs):
    age: Age
    bun: Urea
    respiratory_rate: quantity("/min", ge=0, le=120, description="respiratory rate")
    sbp: Sbp
    dbp: quantity("mmHg", gt=0, le=300, description="diastolic blood pressure")
    confusion: flag("new mental confusion (AMT <= 8 or disorientation)") = False


@calculator(
    id="curb_65",
    name="CURB-65 Score for Pneumonia Severity",
    medcalc_id=45,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=CURB["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(CURB),
    aliases=("CURB-65", "CURB65"),
)
def curb_65(x: Curb65Inputs) -> Result:
    """CURB-65 for community-acquired pneumonia, 0-5 points.

    One point each: confusion, urea > 7 mmol/L (BUN > 19.6 mg/dL), respiratory rate >= 30/min,
    systolic BP < 90 or diastolic BP <= 60 mmHg, age >= 65. Source: Lim WS et al. Thorax.
    2003;58(5):377-382.
    """
    sheet = ScoreSheet(CURB, x)
    sheet.items(CURB["items"])
    return sheet.result("curb_65")


CHARLSON = load_table("charlson")
_CCI_CHOICES = CHARLSON["choices"]


class CharlsonInputs(CalculatorInputs):
    age: Age
    myocardial_infarction: flag("history of definite or probable MI") = False
    heart_failure: flag("congestive heart failure") = False
    peripheral_vascular_disease: flag("peripheral vascular disease or aortic aneurysm") = False
    cerebrovascular_accident: flag("stroke with mild or no residua") = False
    tia: flag("transient ischaemic attack") = False
    dementia: flag("dementia") = False
    chronic_pulmonary_disease: flag("chronic pulmonary disease, e.g. COPD") = False
    connective_tissue_disease: flag("connective tissue disease") = False
    peptic_ulcer_disease: flag("peptic ulcer disease") = False
    liver_disease: choice(_CCI_CHOICES["liver_disease"], "liver disease severity") = "none"
    diabetes: choice(_CCI_CHOICES["diabetes"], "diabetes mellitus") = "none or diet-controlled"
    hemiplegia: flag("hemiplegia") = False
    kidney_disease: choice(_CCI_CHOICES["kidney_disease"], "renal disease") = "none or mild"
    solid_tumor: choice(_CCI_CHOICES["solid_tumor"], "solid tumour") = "none"
    leukemia: flag("leukaemia") = False
    lymphoma: flag("lymphoma") = False
    aids: flag("AIDS (not just HIV positive)") = False


@calculator(
    id="charlson",
    name="Charlson Comorbidity Index (CCI)",
    medcalc_id=32,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=CHARLSON["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(CHARLSON),
    aliases=("CCI", "Charlson"),
)
def charlson(x: CharlsonInputs) -> Result:
    """Age-adjusted Charlson Comorbidity Index.

    Comorbidity weights 1, 2, 3 and 6 (Charlson 1987) plus one point per decade of age over 40
    (50-59 1, 60-69 2, ...; Charlson 1994). Sources: Charlson ME et al. J Chronic Dis.
    1987;40(5):373-383; Charlson M et al. J Clin Epidemiol. 1994;47(11):1245-1251.
    """
    sheet = ScoreSheet(CHARLSON, x)
    sheet.items(CHARLSON["items"])
    return sheet.result("charlson")
