"""Simulate one patient's planned encounters in time order.

:class:`PatientSimulator` walks the calendar from :mod:`planner`: clinic visits (annual,
follow-up, problem, specialist, telehealth, acute illness; :mod:`clinic`), emergency visits and
hospital stays (:mod:`hospital`). At each it records what a real chart would hold — vitals, due
lab panels with reports, new problems, medication changes, procedures, immunizations, the note —
with every value read from the patient's latent physiology at that moment.
"""

from __future__ import annotations

from typing import Any

from medsim.data.cohort import treatment as tx
from medsim.data.cohort.clinic import ClinicVisits
from medsim.data.cohort.hospital import HospitalCare
from medsim.data.cohort.planner import Visit

Json = dict[str, Any]


class PatientSimulator(ClinicVisits, HospitalCare):
    """Runs one patient's visits against a :class:`PatientRecord`."""

    def run(self, visits: list[Visit]) -> list[Json]:
        """Simulate every visit; returns the patient's resources in chart order."""
        for v in visits:
            rec = self.rec
            if v.start >= rec.as_of or (rec.busy_until is not None and v.start < rec.busy_until):
                continue
            if v.event is not None and v.module is not None:
                factor = tx.exacerbation_factor(rec, v.module["key"])
                if v.module["key"] not in rec.diagnosed or rec.rng.random() >= factor:
                    continue
            if v.kind in ("emergency", "inpatient"):
                ed, los = self.emergency(v, admit=v.kind == "inpatient")
                if v.kind == "inpatient":
                    self.admission(v, ed, los)
            else:
                self.clinic(v)
        return self.rec.out
