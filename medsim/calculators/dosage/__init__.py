"""Dose-conversion calculators: corticosteroid equivalence and morphine milligram equivalents.

Importing this package registers every calculator of the ``dosage`` category. The conversion
tables are data (``steroids.json``, ``opioids.json`` beside this file), each with its source.
"""

from medsim.calculators.dosage import opioids, steroids  # noqa: F401  (registers calculators)
