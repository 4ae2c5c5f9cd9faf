"""One patient's chart as it is being written: the state the visit handlers share.

:class:`PatientRecord` owns the output list and every piece of running state — active problems,
active orders and their physiological effects, the latest measured values, what is due — and the
primitive writes (open an encounter, record vitals or a panel, diagnose, prescribe, stop). The
visit handlers (:mod:`visits`), treatment rules (:mod:`treatment`), preventive care
(:mod:`preventive`) and notes (:mod:`notes`) are written against it.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort.clock import iso, iso_date
from medsim.data.cohort.config import CohortConfig
from medsim.data.cohort.entities import ActiveMed, Encounter
from medsim.data.cohort.ids import IdAllocator
from medsim.data.cohort.observations import ObservationWriter
from medsim.data.cohort.orders import MedicationOrders
from medsim.data.cohort.physiology import Physiology
from medsim.data.cohort.population import Clinician, Directory, Person

Json = dict[str, Any]
__all__ = ["ActiveMed", "Encounter", "PatientRecord"]


class PatientRecord(ObservationWriter, MedicationOrders):
    """State and primitive writes of one patient's synthetic chart."""

    def __init__(
        self,
        cfg: CohortConfig,
        person: Person,
        directory: Directory,
        rng: random.Random,
        as_of: datetime,
        intensity: float,
        phys_rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.p = person
        self.dir = directory
        self.rng = rng
        self.as_of = as_of
        self.intensity = intensity
        self.ids = IdAllocator(person.number)
        self.phys = Physiology(
            cfg.physiology["variables"],
            cfg.physiology.get("target_spread", {}),
            phys_rng or rng,
            person.sex,
            person.birth_date,
        )
        self.out: list[Json] = []
        self.problems: dict[str, Json] = {}  # module key -> active Condition
        self.diagnosed: set[str] = set()
        self.meds: list[ActiveMed] = []
        self.latest: dict[str, tuple[float, datetime]] = {}
        self.history: dict[str, list[float]] = {}
        self.last_panel: dict[str, datetime] = {}
        self.last_proc: dict[str, datetime] = {}
        self.last_change: dict[str, datetime] = {}
        self.event_counts: dict[str, int] = {}
        self.avoid: set[str] = set()
        self.allergy_text: list[str] = []
        self.started = False
        self.busy_until: datetime | None = None

    # ---------------------------------------------------------------- encounters
    def open_encounter(
        self,
        kind: str,
        start: datetime,
        end: datetime,
        clinician: Clinician,
        location: tuple[str, str, str],
        reason: Json | None,
        extra: Json | None = None,
    ) -> Encounter:
        """Write an Encounter and make it current."""
        spec = self.cfg.encounters["kinds"][kind]
        rid = self.ids.next("Encounter")
        ptype = self.cfg.encounters["participant_types"][
            "attending" if kind == "inpatient" else "primary"
        ]
        res = b.encounter(
            rid,
            self.p.id,
            spec["class"],
            spec["type"],
            iso(start),
            iso(end),
            b.ref("Practitioner", clinician.id, clinician.name),
            ptype,
            b.ref("Location", location[0], location[1]),
            b.ref("Organization", location[2]),
            reason,
            extra,
        )
        self.out.append(res)
        return Encounter(rid, kind, start, end, clinician, location, res)

    # ---------------------------------------------------------------- conditions
    def diagnose(
        self,
        enc: Encounter,
        key: str,
        category: str,
        onset: datetime | str,
        abatement: datetime | None = None,
    ) -> Json:
        """Write a Condition (``abatement`` makes it resolved)."""
        onset_text = onset if isinstance(onset, str) else iso(onset)
        status = "active" if abatement is None or abatement > self.as_of else "resolved"
        res = b.condition(
            self.ids.next("Condition"),
            self.p.id,
            enc.id,
            self.cfg.conditions[key],
            category,
            onset_text,
            iso(enc.start),
            self.practitioner_ref(enc),
            status,
            iso(abatement) if abatement and status == "resolved" else None,
        )
        self.out.append(res)
        enc.diagnoses.append(self.cfg.conditions[key]["text"])
        return res

    def end_problem(self, module_key: str, when: datetime, status: str = "inactive") -> None:
        """Mark a problem-list Condition inactive/resolved from ``when``."""
        res = self.problems.pop(module_key, None)
        if res is not None:
            res["clinicalStatus"] = {
                "coding": [b.coding(b.COND_CLINICAL, status, status.capitalize())]
            }
            res["abatementDateTime"] = iso(when)

    def problem_ref(self, module: str | None) -> Json | None:
        if module is None or module not in self.problems:
            return None
        cond = self.problems[module]
        return b.ref("Condition", cond["id"], cond["code"]["text"])

    def today(self, when: datetime) -> str:
        return iso_date(when)
