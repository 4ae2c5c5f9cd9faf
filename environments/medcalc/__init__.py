"""The MedCalc suites (installed as ``medsim.environments.medcalc``).

* ``notes_env``: MedCalc-v0, a patient note and a question (all 55 MedCalc-Bench calculators);
* ``ehr_env``: MedCalc-EHR-v0, the inputs must be found in the patient's FHIR record;
* ``generate``: the seeded generator of both task files; ``grading``: MedCalc-Bench's rule.

This package module stays import-free: ``medsim.registry`` looks the suites up by name when
``medsim`` is imported, which imports this file. See docs/medcalc.md.
"""
