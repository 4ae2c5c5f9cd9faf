"""Laboratory-value calculators (renal function, electrolytes and acid-base, liver, lipids).

Importing this package registers every calculator of the ``lab`` category.
"""

from medsim.calculators.lab import (  # noqa: F401  (importing registers the calculators)
    acid_base,
    cardiometabolic,
    electrolytes,
    liver,
    renal,
)
