"""MedCalc-EHR-v0: the MedCalc questions where the inputs must be found in the patient's FHIR
record (MedMCP-Calc style).

128 tasks (4 cases x 32 calculators whose inputs are all chartable: eGFR, CrCl, MAP, BMI, BSA,
ideal/adjusted body weight, anion and delta gaps and ratios (plain and albumin-corrected),
corrected calcium and sodium, osmolality, free water deficit, FIB-4, MELD-Na, LDL, SIRS,
CURB-65, CHA2DS2-VASc, HAS-BLED, maintenance fluids, FENa, HOMA-IR, five QTc formulas) on the
synthetic cohort: a task's overlay adds the results and diagnoses it is about, and its truth
is computed from the whole chart. The instruction names only the patient and the question.
Checkpoints: the right calculator, the chart's values passed to it, each input retrieved, and
the final value (half of the score), graded by MedCalc-Bench's rule. See docs/medcalc.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medsim.environments.medcalc.suite import TASKS_DIR, PackedSuite

if TYPE_CHECKING:
    from medsim.core.env import ClinicalEnv  # imported when an env is made: listings stay fast

SYSTEM_PROMPT = (
    "You are a clinician's assistant working in an electronic health record (FHIR R4). To "
    "answer a calculation question, find the inputs in the patient's record (the Patient "
    "resource, the latest Observations by LOINC code, Conditions, MedicationRequests), mind "
    "their units, run the calculator with calculate (list_calculators shows the inputs), then "
    "call finish with the answer."
)

SUITE = PackedSuite(
    name="medcalc_ehr",
    tasks_dir=TASKS_DIR,
    packed=TASKS_DIR / "medcalc-ehr-v0.ndjson.gz",
    description="MedCalc questions whose inputs must be found in the patient's FHIR record.",
    plain_text="answer",
    system_prompt=SYSTEM_PROMPT,
    tool_modules=("medsim.tools.calculate",),
)


def make_env(**kwargs: Any) -> ClinicalEnv:
    """The MedCalc-EHR-v0 environment; keyword arguments go to :class:`ClinicalEnv`."""
    from medsim.core.env import ClinicalEnv

    return ClinicalEnv(SUITE, **kwargs)
