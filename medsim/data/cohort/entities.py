"""The small records the chart writer keeps: the encounter being written and active drugs,
plus :class:`ChartState`, the attributes the chart-writing mixins share."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort.config import CohortConfig
from medsim.data.cohort.ids import IdAllocator
from medsim.data.cohort.physiology import Effect, Physiology
from medsim.data.cohort.population import Clinician, Directory, Person

Json = dict[str, Any]


@dataclass
class ActiveMed:
    """A medication the patient is currently taking."""

    key: str
    spec: Json
    resource: Json
    module: str | None
    started: datetime
    effects: list[Effect] = field(default_factory=list)
    rate_factor: float = 1.0  # multiplies the module's exacerbation rate


@dataclass
class Encounter:
    """The encounter currently being written."""

    id: str
    kind: str
    start: datetime
    end: datetime
    clinician: Clinician
    location: tuple[str, str, str]
    resource: Json
    measured: dict[str, tuple[float, str]] = field(default_factory=dict)  # name -> (value, flag)
    results: list[str] = field(default_factory=list)  # lines for the note
    changes: dict[str, list[str]] = field(default_factory=dict)  # module key -> sentences
    diagnoses: list[str] = field(default_factory=list)


class ChartState:
    """Attributes every part of :class:`~medsim.data.cohort.record.PatientRecord` relies on."""

    cfg: CohortConfig
    p: Person
    dir: Directory
    rng: random.Random
    ids: IdAllocator
    phys: Physiology
    out: list[Json]
    as_of: datetime
    meds: list[ActiveMed]
    avoid: set[str]
    latest: dict[str, tuple[float, datetime]]
    history: dict[str, list[float]]
    last_panel: dict[str, datetime]
    problems: dict[str, Json]

    def practitioner_ref(self, enc: Encounter) -> Json:
        """Reference to the encounter's clinician."""
        return b.ref("Practitioner", enc.clinician.id, enc.clinician.name)
