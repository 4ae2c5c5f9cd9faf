"""Intensive-care severity scores: APACHE II and SOFA.

Point tables: ``data/apache_ii.json`` and ``data/sofa.json``. A physiological variable that is
not reported scores 0 (assumed normal), the usual convention when these scores are computed from
charts; the explanation names every such assumption.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from medsim.calculators.base import CalculatorError, CalculatorInputs, Result, calculator
from medsim.calculators.rules import (
    ScoreSheet,
    band,
    cell_count,
    choice,
    flag,
    load_table,
    measured,
    medcalc_adapter,
)
from medsim.calculators.units import quantity

APACHE = load_table("apache_ii")

Gcs = Annotated[int, Field(ge=3, le=15, description="Glasgow Coma Scale total (3-15)")]


def _mean_arterial_pressure(x: Any) -> float | None:
    """The given MAP, else (SBP + 2 x DBP) / 3 when both pressures are given, else None."""
    if x.mean_arterial_pressure is not None:
        return float(x.mean_arterial_pressure)
    if x.sbp is not None and x.dbp is not None:
        return float((x.sbp + 2 * x.dbp) / 3)
    return None


class ApacheIiInputs(CalculatorInputs):
    age: quantity("years", ge=0, le=130, description="age")
    temperature: quantity("°C", ge=15, le=46, description="core (rectal) temperature") | None = None
    mean_arterial_pressure: quantity("mmHg", gt=0, le=300, description="MAP") | None = None
    sbp: quantity("mmHg", gt=0, le=400, description="systolic BP (MAP if none given)") | None = None
    dbp: quantity("mmHg", gt=0, le=300, description="diastolic BP (MAP if none given)") | None = (
        None
    )
    heart_rate: quantity("beats/min", ge=0, le=350, description="heart rate") | None = None
    respiratory_rate: quantity("/min", ge=0, le=120, description="respiratory rate") | None = None
    fio2: quantity("%", ge=21, le=100, description="FiO2 in percent") | None = None
    pao2: quantity("mmHg", gt=0, le=800, description="PaO2 (scored when FiO2 < 50%)") | None = None
    a_a_gradient: quantity("mmHg", ge=0, le=800, description="A-a O2 gradient") | None = None
    paco2: quantity("mmHg", gt=0, le=200, description="PaCO2 (to derive A-a gradient)") | None = (
        None
    )
    ph: Annotated[float, Field(ge=6.5, le=8.0, description="arterial pH")] | None = None
    bicarbonate: quantity("mmol/L", gt=0, le=80, description="serum HCO3 (if no pH)") | None = None
    sodium: quantity("mmol/L", analyte="sodium", ge=80, le=220, description="sodium") | None = None
    potassium: quantity("mmol/L", analyte="potassium", gt=0, le=15, description="K") | None = None
    creatinine: quantity("mg/dL", analyte="creatinine", gt=0, le=30, description="creatinine") | (
        None
    ) = None
    acute_renal_failure: flag("acute renal failure (doubles the creatinine points)") = False
    hematocrit: quantity("%", ge=5, le=80, description="hematocrit") | None = None
    wbc: cell_count("white blood cell count", minimum=0.01, maximum=500) | None = None
    gcs: Gcs | None = None
    chronic_health: flag("history of severe organ insufficiency or immunocompromise") = False
    admission_type: choice(APACHE["choices"]["admission_type"], "admission type") = "nonoperative"


def _oxygenation(sheet: ScoreSheet, x: ApacheIiInputs) -> None:
    """A-a gradient when FiO2 >= 50%, PaO2 otherwise (Knaus 1985)."""
    gradient = x.a_a_gradient
    fio2 = x.fio2
    high_fio2 = fio2 is not None and fio2 >= 50
    if fio2 is not None and high_fio2 and gradient is None and x.pao2 and x.paco2:
        gas = APACHE["alveolar"]
        alveolar = fio2 / 100 * (gas["barometric_mmHg"] - gas["water_vapour_mmHg"]) - (
            x.paco2 / gas["respiratory_quotient"]
        )
        gradient = alveolar - x.pao2
        sheet.note(f"A-a gradient = PAO2 - PaO2 = {alveolar:.0f} - {x.pao2:g} mmHg")
    if high_fio2 or (x.fio2 is None and x.pao2 is None and gradient is not None):
        if gradient is None:
            raise CalculatorError(
                "apache_ii: a_a_gradient: required when FiO2 >= 50% (or give pao2 and paco2)"
            )
        sheet.band(APACHE["a_a_gradient"], gradient)
    elif x.pao2 is not None:
        sheet.band(APACHE["pao2"])
    else:
        sheet.missing("Oxygenation", "assumed normal")


@calculator(
    id="apache_ii",
    name="APACHE II Score",
    medcalc_id=28,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=APACHE["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(APACHE),
    aliases=("APACHE II", "APACHE-II"),
)
def apache_ii(x: ApacheIiInputs) -> Result:
    """APACHE II: acute physiology (12 variables) + age + chronic health points, 0-71.

    Worst values of the first 24 h in the ICU. Oxygenation scores the A-a gradient at FiO2 >=
    50%, PaO2 below; creatinine points double in acute renal failure; GCS scores 15 - GCS; chronic
    health adds 5 (nonoperative or emergency postoperative) or 2 (elective postoperative).
    Source: Knaus WA et al. Crit Care Med. 1985;13(10):818-829.
    """
    sheet = ScoreSheet(APACHE, x)
    for item in APACHE["physiology"]:
        value = (
            _mean_arterial_pressure(x)
            if item["field"] == "mean_arterial_pressure"
            else (getattr(x, item["field"]))
        )
        if value is None:
            sheet.missing(item["label"], "assumed normal")
        else:
            sheet.band(item, value)
    _oxygenation(sheet, x)
    if x.ph is not None:
        sheet.band(APACHE["ph"])
    elif x.bicarbonate is not None:
        sheet.band(APACHE["bicarbonate"])
    else:
        sheet.missing("Arterial pH", "assumed normal")
    if x.creatinine is None:
        sheet.missing(APACHE["creatinine"]["label"], "assumed normal")
    elif x.acute_renal_failure:
        points = sheet.band(APACHE["creatinine"])
        sheet.add("Acute renal failure: creatinine points doubled", "present", points)
    else:
        sheet.band(APACHE["creatinine"])
    if x.gcs is None:
        sheet.missing("Glasgow Coma Scale (15 - GCS)", "assumed 15")
    else:
        sheet.add("Glasgow Coma Scale (15 - GCS)", f"{x.gcs:g}", 15 - x.gcs)
    sheet.band(APACHE["age"])
    if x.chronic_health:
        points = APACHE["chronic_health_points"][x.admission_type]
        sheet.add("Chronic health (severe organ insufficiency/immunocompromise)",
                  f"present, {x.admission_type}", points)  # fmt: skip
    else:
        sheet.flag({"field": "chronic_health", "label": "Chronic health points", "points": 0})
    return sheet.result("apache_ii")


SOFA = load_table("sofa")


class SofaInputs(CalculatorInputs):
    pao2: quantity("mmHg", gt=0, le=800, description="PaO2") | None = None
    fio2: quantity("%", ge=21, le=100, description="FiO2 in percent") | None = None
    mechanical_ventilation: flag("on mechanical ventilation") = False
    cpap: flag("on CPAP / non-invasive respiratory support") = False
    platelets: cell_count("platelet count", minimum=1, maximum=3000) | None = None
    bilirubin: quantity("mg/dL", analyte="bilirubin", ge=0, le=80, description="bilirubin") | (
        None
    ) = None
    mean_arterial_pressure: quantity("mmHg", gt=0, le=300, description="MAP") | None = None
    sbp: quantity("mmHg", gt=0, le=400, description="systolic BP (MAP if none given)") | None = None
    dbp: quantity("mmHg", gt=0, le=300, description="diastolic BP (MAP if none given)") | None = (
        None
    )
    hypotension: flag("MAP < 70 mmHg (used only when no blood pressure is given)") = False
    dopamine: quantity("µg/kg/min", ge=0, le=100, description="dopamine dose") = 0
    dobutamine: quantity("µg/kg/min", ge=0, le=100, description="dobutamine dose") = 0
    epinephrine: quantity("µg/kg/min", ge=0, le=10, description="epinephrine dose") = 0
    norepinephrine: quantity("µg/kg/min", ge=0, le=10, description="norepinephrine dose") = 0
    gcs: Gcs | None = None
    creatinine: quantity("mg/dL", analyte="creatinine", gt=0, le=30, description="creatinine") | (
        None
    ) = None
    urine_output: quantity("mL/day", ge=0, le=20000, description="urine output") | None = None


def _cardiovascular(sheet: ScoreSheet, x: SofaInputs) -> None:
    """Vasopressor tiers (doses in µg/kg/min, given >= 1 h), else MAP < 70 mmHg."""
    for tier in SOFA["cardiovascular"]:
        if any(measured(getattr(x, drug)) > limit for drug, limit in tier["any"]):
            doses = ", ".join(f"{d} {getattr(x, d):g}" for d in
                              ("dopamine", "dobutamine", "epinephrine", "norepinephrine")
                              if getattr(x, d) > 0)  # fmt: skip
            sheet.add("Cardiovascular", f"{doses} µg/kg/min ({tier['label']})", tier["points"])
            return
    pressure = _mean_arterial_pressure(x)
    if pressure is not None:
        sheet.add("Cardiovascular: MAP", f"{pressure:.1f} mmHg, no vasopressors",
                  1 if measured(pressure) < SOFA["map_below"] else 0)  # fmt: skip
    elif x.hypotension:
        sheet.add("Cardiovascular", "hypotension (MAP < 70 mmHg), no vasopressors", 1)
    else:
        sheet.missing("Cardiovascular", "no vasopressors, MAP assumed >= 70 mmHg")


def _score_or_missing(sheet: ScoreSheet, item: Mapping[str, Any], value: float | None) -> float:
    if value is None:
        sheet.missing(item["label"], "assumed normal")
        return 0
    return sheet.band(item, value)


@calculator(
    id="sofa",
    name="Sequential Organ Failure Assessment (SOFA) Score",
    medcalc_id=43,
    category="risk",
    output="integer",
    unit="points",
    medcalc_entities=SOFA["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(SOFA),
    aliases=("SOFA",),
)
def sofa(x: SofaInputs) -> Result:
    """SOFA: six organ systems, 0-4 points each, 0-24.

    Respiration (PaO2/FiO2; 3-4 points only with respiratory support), coagulation (platelets),
    liver (bilirubin), cardiovascular (MAP or vasopressors), CNS (GCS), renal (creatinine or urine
    output, whichever scores higher). Source: Vincent JL et al. Intensive Care Med.
    1996;22(7):707-710.
    """
    sheet = ScoreSheet(SOFA, x)
    if x.pao2 is not None and x.fio2 is not None:
        ratio = x.pao2 / (x.fio2 / 100)
        entry = band(ratio, SOFA["respiration"]["bands"])
        points, finding = entry["points"], f"{ratio:.0f} mmHg ({entry['label']})"
        cap = SOFA["max_points_without_support"]
        if not (x.mechanical_ventilation or x.cpap) and points > cap:
            points, finding = cap, f"{ratio:.0f} mmHg without respiratory support (capped at {cap})"
        sheet.add(SOFA["respiration"]["label"], finding, points)
    else:
        sheet.missing("Respiration: PaO2/FiO2", "assumed normal")
    _score_or_missing(sheet, SOFA["coagulation"], x.platelets)
    _score_or_missing(sheet, SOFA["liver"], x.bilirubin)
    _cardiovascular(sheet, x)
    _score_or_missing(sheet, SOFA["cns"], x.gcs)
    renal = [(SOFA["renal_creatinine"], x.creatinine), (SOFA["renal_urine"], x.urine_output)]
    given = [(item, value) for item, value in renal if value is not None]
    if not given:
        sheet.missing("Renal", "assumed normal")
    else:
        best = max(given, key=lambda pair: band(pair[1], pair[0]["bands"])["points"])
        sheet.band(best[0], best[1])
        for item, value in given:
            if item is not best[0]:
                sheet.note(f"{item['label']} {value:g} scores no higher; renal counts once")
    return sheet.result("sofa")
