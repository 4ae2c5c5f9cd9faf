"""Diagnostic rules (MedCalc-Bench category ``diagnosis``): FeverPAIN, PERC, SIRS criteria.

Point tables: ``data/feverpain.json``, ``data/perc.json``, ``data/sirs.json``. Unreported
yes/no findings count as absent.
"""

from __future__ import annotations

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.rules import ScoreSheet, cell_count, flag, load_table, medcalc_adapter
from medsim.calculators.units import quantity

FEVERPAIN = load_table("feverpain")


class FeverPainInputs(CalculatorInputs):
    fever: flag("fever in the past 24 hours") = False
    purulence: flag("pharyngeal/tonsillar exudate") = False
    attend_rapidly: flag("presenting within 3 days of symptom onset") = False
    inflamed_tonsils: flag("severely inflamed tonsils") = False
    no_cough_or_coryza: flag("no cough or coryza") = False


@calculator(
    id="feverpain",
    name="FeverPAIN Score for Strep Pharyngitis",
    medcalc_id=33,
    category="diagnosis",
    output="integer",
    unit="points",
    medcalc_entities=FEVERPAIN["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(FEVERPAIN),
    aliases=("FeverPAIN",),
)
def feverpain(x: FeverPainInputs) -> Result:
    """FeverPAIN score for streptococcal sore throat, 0-5 points.

    One point each: Fever in the past 24 h, Purulence, Attend rapidly (<= 3 days), severely
    Inflamed tonsils, No cough or coryza. Source: Little P et al. BMJ. 2013;347:f5806.
    """
    sheet = ScoreSheet(FEVERPAIN, x)
    sheet.items(FEVERPAIN["items"])
    return sheet.result("feverpain")


PERC = load_table("perc")


class PercInputs(CalculatorInputs):
    age: quantity("years", ge=0, le=130, description="age")
    heart_rate: quantity("beats/min", gt=0, le=350, description="heart rate")
    oxygen_saturation: quantity("%", ge=0, le=100, description="SaO2 on room air")
    unilateral_leg_swelling: flag("unilateral leg swelling") = False
    hemoptysis: flag("hemoptysis") = False
    recent_surgery_or_trauma: flag("surgery or trauma within 4 weeks") = False
    previous_pe: flag("prior pulmonary embolism") = False
    previous_dvt: flag("prior deep vein thrombosis") = False
    hormone_use: flag("oral contraceptives, hormone replacement or estrogen use") = False


@calculator(
    id="perc",
    name="PERC Rule for Pulmonary Embolism",
    medcalc_id=48,
    category="diagnosis",
    output="integer",
    unit="criteria",
    medcalc_entities=PERC["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(PERC),
    aliases=("PERC", "PERC rule"),
)
def perc(x: PercInputs) -> Result:
    """Pulmonary Embolism Rule-out Criteria: the number of the 8 criteria met, 0-8.

    Age >= 50, heart rate >= 100, SaO2 < 95%, unilateral leg swelling, hemoptysis, recent surgery
    or trauma, prior PE/DVT, hormone use. 0 = PERC negative. Source: Kline JA et al. J Thromb
    Haemost. 2004;2(8):1247-1255.
    """
    sheet = ScoreSheet(PERC, x)
    sheet.items(PERC["items"])
    return sheet.result("perc", unit="criteria")


SIRS = load_table("sirs")


class SirsInputs(CalculatorInputs):
    temperature: quantity("°C", ge=15, le=46, description="temperature")
    heart_rate: quantity("beats/min", gt=0, le=350, description="heart rate")
    respiratory_rate: quantity("/min", ge=0, le=120, description="respiratory rate")
    wbc: cell_count("white blood cell count", minimum=0.01, maximum=500)
    paco2: quantity("mmHg", gt=0, le=200, description="PaCO2") | None = None
    bands: quantity("%", ge=0, le=100, description="immature (band) neutrophils") | None = None


@calculator(
    id="sirs",
    name="SIRS Criteria",
    medcalc_id=51,
    category="diagnosis",
    output="integer",
    unit="criteria",
    medcalc_entities=SIRS["medcalc"]["entities"],
    from_medcalc=medcalc_adapter(SIRS),
    aliases=("SIRS",),
)
def sirs(x: SirsInputs) -> Result:
    """Systemic inflammatory response syndrome: the number of the 4 criteria met, 0-4.

    Temperature > 38 or < 36 °C; heart rate > 90/min; respiratory rate > 20/min or PaCO2 < 32
    mmHg; WBC > 12 or < 4 x10^9/L or > 10% bands. SIRS = 2 or more. Source: Bone RC et al.
    Chest. 1992;101(6):1644-1655.
    """
    sheet = ScoreSheet(SIRS, x)
    sheet.items(SIRS["items"])
    return sheet.result("sirs", unit="criteria")
