"""Heart-rate-corrected QT interval: Bazett, Fridericia, Framingham, Hodges and Rautaharju.

All five take the measured QT (ms) and the heart rate (beats/min); RR (s) = 60 / heart rate.
"""

from __future__ import annotations

import math

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.units import quantity

_ENTITIES = {"Heart Rate or Pulse": "heart_rate", "QT interval": "qt_interval"}


class QtcInputs(CalculatorInputs):
    heart_rate: quantity("beats/min", ge=20, le=300, description="heart rate")
    qt_interval: quantity("ms", ge=100, le=1000, description="measured QT interval")


def _rr(x: QtcInputs) -> tuple[float, str]:
    rr = 60 / x.heart_rate
    return rr, f"RR = 60 / {x.heart_rate:g} beats/min = {rr:.4f} s"


def _result(calc_id: str, value: float, steps: str) -> Result:
    return Result(calculator=calc_id, value=round(value, 3), unit="ms", explanation=steps)


@calculator(
    id="qtc_bazett",
    name="QTc Bazett Calculator",
    medcalc_id=11,
    category="physical",
    output="decimal",
    unit="ms",
    medcalc_entities=_ENTITIES,
)
def qtc_bazett(x: QtcInputs) -> Result:
    """QTc = QT / sqrt(RR), RR in seconds.

    Source: Bazett HC. "An analysis of the time-relations of electrocardiograms." Heart.
    1920;7:353-370.
    """
    rr, rr_steps = _rr(x)
    value = x.qt_interval / math.sqrt(rr)
    return _result(
        "qtc_bazett",
        value,
        f"{rr_steps}\nQTc = {x.qt_interval:g} / sqrt({rr:.4f}) = {value:.3f} ms",
    )


@calculator(
    id="qtc_fridericia",
    name="QTc Fridericia Calculator",
    medcalc_id=56,
    category="physical",
    output="decimal",
    unit="ms",
    medcalc_entities=_ENTITIES,
)
def qtc_fridericia(x: QtcInputs) -> Result:
    """QTc = QT / RR^(1/3), RR in seconds.

    Source: Fridericia LS. "Die Systolendauer im Elektrokardiogramm bei normalen Menschen und bei
    Herzkranken." Acta Med Scand. 1920;53:469-486.
    """
    rr, rr_steps = _rr(x)
    value = x.qt_interval / rr ** (1 / 3)
    return _result(
        "qtc_fridericia",
        value,
        f"{rr_steps}\nQTc = {x.qt_interval:g} / {rr:.4f}^(1/3) = {value:.3f} ms",
    )


@calculator(
    id="qtc_framingham",
    name="QTc Framingham Calculator",
    medcalc_id=57,
    category="physical",
    output="decimal",
    unit="ms",
    medcalc_entities=_ENTITIES,
)
def qtc_framingham(x: QtcInputs) -> Result:
    """QTc = QT + 154 ms x (1 - RR), RR in seconds (linear regression of the Framingham cohort).

    Source: Sagie A, Larson MG, Goldberg RJ, Bengtson JR, Levy D. "An improved method for adjusting
    the QT interval for heart rate (the Framingham Heart Study)." Am J Cardiol.
    1992;70(7):797-801.
    """
    rr, rr_steps = _rr(x)
    value = x.qt_interval + 154 * (1 - rr)
    return _result(
        "qtc_framingham",
        value,
        f"{rr_steps}\nQTc = {x.qt_interval:g} + 154 x (1 - {rr:.4f}) = {value:.3f} ms",
    )


@calculator(
    id="qtc_hodges",
    name="QTc Hodges Calculator",
    medcalc_id=58,
    category="physical",
    output="decimal",
    unit="ms",
    medcalc_entities=_ENTITIES,
)
def qtc_hodges(x: QtcInputs) -> Result:
    """QTc = QT + 1.75 x (heart rate - 60), heart rate in beats/min.

    Source: Hodges M, Salerno D, Erlien D. "Bazett's QT correction reviewed: evidence that a linear
    QT correction for heart rate is better." J Am Coll Cardiol. 1983;1(2):694 (abstract).
    """
    value = x.qt_interval + 1.75 * (x.heart_rate - 60)
    return _result(
        "qtc_hodges",
        value,
        f"QTc = {x.qt_interval:g} + 1.75 x ({x.heart_rate:g} - 60) = {value:.3f} ms",
    )


@calculator(
    id="qtc_rautaharju",
    name="QTc Rautaharju Calculator",
    medcalc_id=59,
    category="physical",
    output="decimal",
    unit="ms",
    medcalc_entities=_ENTITIES,
)
def qtc_rautaharju(x: QtcInputs) -> Result:
    """QTc = QT x (120 + heart rate) / 180, heart rate in beats/min.

    Source: Rautaharju PM, Mason JW, Akiyama T. "New age- and sex-specific criteria for QT
    prolongation based on rate correction formulas that minimize bias at the upper normal limits."
    Int J Cardiol. 2014;174(3):535-540.
    """
    value = x.qt_interval * (120 + x.heart_rate) / 180
    return _result(
        "qtc_rautaharju",
        value,
        f"QTc = {x.qt_interval:g} x (120 + {x.heart_rate:g}) / 180 = {value:.3f} ms",
    )
