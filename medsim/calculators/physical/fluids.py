"""Maintenance intravenous fluid rate by the Holliday-Segar 4-2-1 rule."""

from __future__ import annotations

from medsim.calculators.base import CalculatorInputs, Result, calculator
from medsim.calculators.units import quantity


class MaintenanceFluidsInputs(CalculatorInputs):
    weight: quantity("kg", gt=0, le=650, description="body weight")


@calculator(
    id="maintenance_fluids",
    name="Maintenance Fluids Calculations",
    medcalc_id=22,
    category="physical",
    output="decimal",
    unit="mL/h",
    aliases=("holliday-segar", "4-2-1 rule"),
)
def maintenance_fluids(x: MaintenanceFluidsInputs) -> Result:
    """Hourly maintenance fluid = 4 mL/kg/h for the first 10 kg, 2 mL/kg/h for the next 10 kg,
    1 mL/kg/h for every kg above 20 kg (the hourly form of 100/50/20 mL/kg/day).

    Source: Holliday MA, Segar WE. "The maintenance need for water in parenteral fluid therapy."
    Pediatrics. 1957;19(5):823-832.
    """
    w = x.weight
    first, second, rest = min(w, 10.0), min(max(w - 10, 0.0), 10.0), max(w - 20, 0.0)
    value = 4 * first + 2 * second + rest
    steps = (
        f"Weight {w:g} kg = {first:g} kg (first 10) + {second:g} kg (next 10) + {rest:g} kg (above 20).\n"
        f"Rate = 4 x {first:g} + 2 x {second:g} + 1 x {rest:g} = {value:.3f} mL/h"
    )
    return Result(
        calculator="maintenance_fluids", value=round(value, 3), unit="mL/h", explanation=steps
    )
