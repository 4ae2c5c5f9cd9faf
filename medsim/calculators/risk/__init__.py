"""Risk scores (MedCalc-Bench category ``risk``): cardiac, thromboembolic, bleeding, ICU.

Importing this package registers every calculator of the category.
"""

from medsim.calculators.risk import (  # noqa: F401  (importing registers the calculators)
    cardiac,
    icu,
    prognosis,
    vte,
)
