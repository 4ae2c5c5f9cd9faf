"""Clinical calculators (the MedCalc-Bench 55), implemented from their primary publications.

Public API: :func:`catalog` and :func:`compute`; see :mod:`medsim.calculators.base`.
"""

from medsim.calculators import (  # noqa: F401  (importing registers the calculators)
    dates,
    diagnosis,
    dosage,
    lab,
    physical,
    risk,
    severity,
)
from medsim.calculators.base import Calculator, CalculatorError, Result, catalog, compute, get

__all__ = ["Calculator", "CalculatorError", "Result", "catalog", "compute", "get"]
