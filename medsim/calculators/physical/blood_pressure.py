"""Mean arterial pressure from a cuff reading."""

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.units import quantity


class MeanArterialPressureInputs(CalculatorInputs):
    sbp: quantity("mmHg", gt=0, le=400, description="systolic blood pressure")
    dbp: quantity("mmHg", gt=0, le=300, description="diastolic blood pressure")


@calculator(
    id="mean_arterial_pressure",
    name="Mean Arterial Pressure (MAP)",
    medcalc_id=5,
    category="physical",
    output="decimal",
    unit="mmHg",
    medcalc_entities={"Systolic Blood Pressure": "sbp", "Diastolic Blood Pressure": "dbp"},
)
def mean_arterial_pressure(x: MeanArterialPressureInputs) -> Result:
    """MAP = DBP + (SBP - DBP) / 3, i.e. (2 x DBP + SBP) / 3.

    Source: the standard one-third pulse-pressure approximation; see e.g. Razminia M, et al.
    "Validation of a new formula for mean arterial pressure calculation". Catheter Cardiovasc
    Interv. 2004;63(4):419-25.
    """
    value = (2 * x.dbp + x.sbp) / 3
    steps = f"MAP = (2 x {x.dbp:g} + {x.sbp:g}) / 3 = {value:.3f} mmHg"
    return Result(
        calculator="mean_arterial_pressure", value=round(value, 3), unit="mmHg", explanation=steps
    )
