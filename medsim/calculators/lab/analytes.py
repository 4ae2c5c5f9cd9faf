"""Typed laboratory inputs shared by the lab calculators: canonical unit and plausible range.

The ranges are wide physiological limits (what a living patient can have), chosen to catch unit
mix-ups such as sodium entered in mg/dL or albumin in mg/dL, not to flag abnormal values.
"""

from __future__ import annotations

from typing import TypeAlias

from medsim.calculators.units import quantity

Age: TypeAlias = quantity("years", ge=0, le=125, description="age")
Creatinine: TypeAlias = quantity(
    "mg/dL", analyte="creatinine", ge=0.05, le=40, description="serum creatinine"
)
Sodium: TypeAlias = quantity("mmol/L", analyte="sodium", ge=90, le=210, description="serum sodium")
Chloride: TypeAlias = quantity(
    "mmol/L", analyte="chloride", ge=50, le=170, description="serum chloride"
)
Bicarbonate: TypeAlias = quantity(
    "mmol/L", analyte="bicarbonate", gt=0, le=70, description="serum bicarbonate (total CO2)"
)
Albumin: TypeAlias = quantity("g/dL", ge=0.5, le=7.0, description="serum albumin")
Glucose: TypeAlias = quantity(
    "mg/dL", analyte="glucose", ge=10, le=3500, description="serum glucose"
)
Bun: TypeAlias = quantity("mg/dL", analyte="bun", ge=1, le=350, description="blood urea nitrogen")
Calcium: TypeAlias = quantity(
    "mg/dL", analyte="calcium", ge=2, le=25, description="total serum calcium"
)
