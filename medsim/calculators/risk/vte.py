"""Venous thromboembolism scores: Wells' criteria for PE and for DVT, Caprini (2005).

Point tables: ``data/wells_pe.json``, ``data/wells_dvt.json``, ``data/caprini.json``.
Unreported yes/no criteria count as absent.
"""

from __future__ import annotations

from medsim.calculators.base import CalculatorError, CalculatorInputs, Result, calculator
from medsim.calculators.rules import ScoreSheet, Sex, choice, flag, load_table, medcalc_adapter
from medsim.calculators.units import quantity

WELLS_PE = load_table("wells_pe")


class WellsPeInputs(CalculatorInputs):
    heart_rate: quantity("beats/min", gt=0, le=350, description="heart rate")
    dvt_signs: flag("clinical signs and symptoms of DVT") = False
    pe_most_likely: flag("PE is the most likely diagnosis, or equally likely") = False
    immobilization: flag("immobilization for at least 3 days") = False
    recent_surgery: flag("surgery in the previous 4 weeks") = False
    previous_pe: flag("previously documented PE") = False
    previous_dvt: flag("previously documented DVT") = False
    hemoptysis: flag("hemoptysis") = False
    malignancy: flag("malignancy on treatment, treated in the last 6 months, or palliative") = False


@calculator(
    id="wells_pe",
    name="Wells' Criteria for Pulmonary Embolism",
    medcalc_id=8,
    category="risk",
    output="decimal",
    unit="points",
    medcalc_entities=WELLS_PE["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(WELLS_PE),
    aliases=("Wells PE", "Wells score for PE"),
)
def wells_pe(x: WellsPeInputs) -> Result:
    """Wells' criteria for pulmonary embolism, 0-12.5 points (steps of 0.5).

    DVT signs 3, PE most likely 3, heart rate > 100 1.5, immobilization >= 3 days or surgery in
    4 weeks 1.5, previous PE/DVT 1.5, hemoptysis 1, malignancy 1. Source: Wells PS et al.
    Thromb Haemost. 2000;83(3):416-420.
    """
    sheet = ScoreSheet(WELLS_PE, x)
    sheet.items(WELLS_PE["items"])
    return sheet.result("wells_pe", integer=False)


WELLS_DVT = load_table("wells_dvt")


class WellsDvtInputs(CalculatorInputs):
    active_cancer: flag("active cancer: treatment ongoing, within 6 months, or palliative") = False
    paralysis_or_cast: flag("paralysis, paresis or recent plaster cast of the legs") = False
    bedridden: flag("recently bedridden for 3 days or more") = False
    major_surgery: flag("major surgery within 12 weeks (general or regional anaesthesia)") = False
    deep_vein_tenderness: flag("localized tenderness along the deep venous system") = False
    entire_leg_swollen: flag("entire leg swollen") = False
    calf_swelling: flag("calf swelling >= 3 cm compared with the asymptomatic side") = False
    pitting_edema: flag("pitting edema confined to the symptomatic leg") = False
    collateral_veins: flag("collateral superficial veins (nonvaricose)") = False
    previous_dvt: flag("previously documented DVT") = False
    alternative_diagnosis: flag("an alternative diagnosis at least as likely as DVT") = False


@calculator(
    id="wells_dvt",
    name="Wells' Criteria for DVT",
    medcalc_id=16,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=WELLS_DVT["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(WELLS_DVT),
    aliases=("Wells DVT", "Wells score for DVT"),
)
def wells_dvt(x: WellsDvtInputs) -> Result:
    """Wells' criteria for deep vein thrombosis (2003 version with previous DVT), -2 to 9 points.

    One point each for nine findings; minus two when an alternative diagnosis is at least as
    likely. Source: Wells PS et al. N Engl J Med. 2003;349(13):1227-1235.
    """
    sheet = ScoreSheet(WELLS_DVT, x)
    sheet.items(WELLS_DVT["items"])
    return sheet.result("wells_dvt")


CAPRINI = load_table("caprini")
_CAPRINI_CHOICES = CAPRINI["choices"]


class CapriniInputs(CalculatorInputs):
    age: quantity("years", ge=0, le=130, description="age")
    sex: Sex | None = None
    surgery_type: choice(_CAPRINI_CHOICES["surgery_type"], "type of planned/current surgery") = (
        "none"
    )
    mobility: choice(_CAPRINI_CHOICES["mobility"], "mobility") = "normal"
    bmi: quantity("kg/m²", gt=5, le=150, description="body mass index; not reported = <= 25") | (
        None
    ) = None
    recent_major_surgery: flag("major surgery in the last month") = False
    heart_failure: flag("congestive heart failure in the last month") = False
    sepsis: flag("sepsis in the last month") = False
    pneumonia: flag("serious lung disease incl. pneumonia in the last month") = False
    copd: flag("abnormal pulmonary function (COPD)") = False
    acute_mi: flag("acute myocardial infarction") = False
    varicose_veins: flag("varicose veins") = False
    swollen_legs: flag("swollen legs (current)") = False
    inflammatory_bowel_disease: flag("history of inflammatory bowel disease") = False
    oral_contraceptives_or_hrt: flag("oral contraceptives or HRT (women)") = False
    pregnancy_or_postpartum: flag("pregnant or postpartum < 1 month (women)") = False
    adverse_obstetric_history: flag("stillbirth, >= 3 miscarriages, preterm with toxemia") = False
    malignancy: flag("present or previous malignancy") = False
    plaster_cast: flag("immobilizing plaster cast in the last month") = False
    central_venous_access: flag("current central venous access") = False
    previous_dvt: flag("history of DVT") = False
    previous_pe: flag("history of PE") = False
    family_history_thrombosis: flag("family history of thrombosis") = False
    factor_v_leiden: flag("positive factor V Leiden") = False
    prothrombin_20210a: flag("positive prothrombin 20210A") = False
    elevated_homocysteine: flag("elevated serum homocysteine") = False
    lupus_anticoagulant: flag("positive lupus anticoagulant") = False
    anticardiolipin_antibodies: flag("elevated anticardiolipin antibodies") = False
    heparin_induced_thrombocytopenia: flag("heparin-induced thrombocytopenia") = False
    other_thrombophilia: flag("other congenital or acquired thrombophilia") = False
    fracture: flag("hip, pelvis or leg fracture in the last month") = False
    stroke: flag("stroke in the last month") = False
    multiple_trauma: flag("multiple trauma in the last month") = False
    spinal_cord_injury: flag("acute spinal cord injury with paralysis in the last month") = False


@calculator(
    id="caprini",
    name="Caprini Score for Venous Thromboembolism (2005)",
    medcalc_id=36,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=CAPRINI["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(CAPRINI),
    aliases=("Caprini", "Caprini score"),
)
def caprini(x: CapriniInputs) -> Result:
    """Caprini (2005) venous thromboembolism risk assessment, 0-76 points.

    Items of 1, 2, 3 and 5 points from the 2005 form: age bands, type of surgery, mobility, recent
    events (< 1 month), thrombophilia, history of DVT/PE (counted once), BMI > 25, and three
    items for women. Source: Caprini JA. Dis Mon. 2005;51(2-3):70-78.
    """
    if x.sex == "male":
        for name in CAPRINI["female_only"]:
            if getattr(x, name):
                raise CalculatorError(f"caprini: {name}: applies to women only, but sex is male")
    sheet = ScoreSheet(CAPRINI, x)
    sheet.items(CAPRINI["items"])
    if x.bmi is None:
        sheet.missing(CAPRINI["bmi"]["label"], "assumed <= 25 kg/m2")
    else:
        sheet.band(CAPRINI["bmi"])
    return sheet.result("caprini")
