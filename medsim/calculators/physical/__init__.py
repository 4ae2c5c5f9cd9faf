"""Physical-measurement calculators: blood pressure, body size, QT correction, maintenance fluids.

Importing this package registers every calculator of the ``physical`` category.
"""

from medsim.calculators.physical import (  # noqa: F401  (importing registers the calculators)
    anthropometry,
    blood_pressure,
    fluids,
    qtc,
)
