"""Who is in the cohort: the shared health system (organizations, locations, practitioners) and
each patient's demographics.

The directory is drawn from its own seeded stream, so adding patients never changes who the
practitioners are; each patient's demographics come from that patient's own stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from medsim.data.cohort.config import CohortConfig
from medsim.data.cohort.ids import patient_id, shared_id

Json = dict[str, Any]
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
NUCC_SYSTEM = "http://nucc.org/provider-taxonomy"
MRN_SYSTEM = "urn:oid:2.16.840.1.113883.19.5.99999.1"
MR_TYPE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
            "code": "MR",
            "display": "Medical record number",
        }
    ],
    "text": "Medical record number",
}


def npi_check_digit(first_nine: str) -> str:
    """Luhn check digit of an NPI (computed with the 80840 prefix, as CMS specifies)."""
    digits = [int(c) for c in "80840" + first_nine]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def make_npi(rng: random.Random) -> str:
    """A 10-digit NPI-style identifier with a valid check digit (prefix 99: not a real NPI)."""
    body = "99" + "".join(str(rng.randrange(10)) for _ in range(7))
    return body + npi_check_digit(body)


def _address(line: str, city: str, state: str, zip_code: str) -> Json:
    return {
        "use": "work",
        "line": [line],
        "city": city,
        "state": state,
        "postalCode": zip_code,
        "country": "US",
    }


@dataclass
class Clinician:
    """A practitioner and the ids that reference them."""

    id: str
    role_id: str
    name: str
    credentials: str
    specialty: str
    organization: str


@dataclass
class Directory:
    """The shared health system: FHIR resources plus look-ups by specialty and role."""

    resources: list[Json] = field(default_factory=list)
    organizations: dict[str, str] = field(default_factory=dict)  # key -> id
    org_names: dict[str, str] = field(default_factory=dict)  # id -> name
    locations: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=dict
    )  # role -> [(id, name, org)]
    location_keys: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    clinicians: dict[str, list[Clinician]] = field(default_factory=dict)  # specialty -> list
    by_id: dict[str, Clinician] = field(default_factory=dict)

    def role_members(self, role: str, cfg: CohortConfig) -> list[Clinician]:
        """Every clinician whose specialty has ``role`` (pcp, specialist, hospitalist, ...)."""
        out: list[Clinician] = []
        for key, spec in cfg.facilities["specialties"].items():
            if spec["role"] == role:
                out.extend(self.clinicians[key])
        return out


def build_directory(cfg: CohortConfig, seed: int) -> Directory:
    """Organizations, locations, practitioners and practitioner roles of the health system."""
    rng = random.Random(f"medsim-cohort:{seed}:directory")
    fac = cfg.facilities
    people = cfg.people
    d = Directory()
    for n, (key, org) in enumerate(fac["organizations"].items(), start=1):
        oid = shared_id("org", n)
        d.organizations[key] = oid
        d.org_names[oid] = org["name"]
        d.resources.append(
            {
                "resourceType": "Organization",
                "id": oid,
                "active": True,
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                                "code": org["type"][0],
                                "display": org["type"][1],
                            }
                        ]
                    }
                ],
                "name": org["name"],
                "telecom": [{"system": "phone", "value": org["phone"], "use": "work"}],
                "address": [_address(org["line"], org["city"], org["state"], org["zip"])],
            }
        )
    for n, (loc_key, loc) in enumerate(fac["locations"].items(), start=1):
        lid = shared_id("loc", n)
        org_id = d.organizations[loc["organization"]]
        d.locations.setdefault(loc["role"], []).append((lid, loc["name"], org_id))
        d.location_keys[loc_key] = (lid, loc["name"], org_id)
        d.resources.append(
            {
                "resourceType": "Location",
                "id": lid,
                "status": "active",
                "name": loc["name"],
                "mode": "instance",
                "physicalType": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                            "code": loc["physical"][0],
                            "display": loc["physical"][1],
                        }
                    ]
                },
                "managingOrganization": {
                    "reference": f"Organization/{org_id}",
                    "display": d.org_names[org_id],
                },
            }
        )
    number = 0
    for spec_key, spec in fac["specialties"].items():
        d.clinicians[spec_key] = []
        for i in range(int(spec["count"])):
            number += 1
            sex = rng.choice(["male", "female"])
            given = rng.choice(people["given"][sex])
            family = rng.choice(people["family"])
            creds = rng.choice(cfg.notes["credentials"])
            pid, rid = shared_id("prac", number), shared_id("role", number)
            org_key = spec["organization"][i % len(spec["organization"])]
            org_id = d.organizations[org_key]
            clin = Clinician(pid, rid, f"{given} {family}", creds, spec_key, org_id)
            d.clinicians[spec_key].append(clin)
            d.by_id[pid] = clin
            d.resources.append(
                {
                    "resourceType": "Practitioner",
                    "id": pid,
                    "active": True,
                    "identifier": [{"system": NPI_SYSTEM, "value": make_npi(rng)}],
                    "name": [
                        {
                            "use": "official",
                            "family": family,
                            "given": [given],
                            "prefix": ["Dr."],
                            "suffix": [creds],
                            "text": f"{given} {family}, {creds}",
                        }
                    ],
                    "gender": sex,
                    "qualification": [
                        {
                            "code": {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/v2-0360",
                                        "code": creds,
                                        "display": "Doctor of Medicine"
                                        if creds == "MD"
                                        else "Doctor of Osteopathy",
                                    }
                                ],
                                "text": creds,
                            }
                        }
                    ],
                }
            )
            d.resources.append(
                {
                    "resourceType": "PractitionerRole",
                    "id": rid,
                    "active": True,
                    "practitioner": {"reference": f"Practitioner/{pid}", "display": clin.name},
                    "organization": {"reference": f"Organization/{org_id}"},
                    "specialty": [
                        {
                            "coding": [
                                {
                                    "system": NUCC_SYSTEM,
                                    "code": spec["taxonomy"][0],
                                    "display": spec["taxonomy"][1],
                                }
                            ]
                        }
                    ],
                }
            )
    return d


def _weighted(rng: random.Random, rows: list[list[Any]]) -> list[Any]:
    return rng.choices(rows, weights=[float(r[-1]) for r in rows])[0]


@dataclass
class Person:
    """Demographics and care-team assignments of one patient."""

    number: int
    id: str
    mrn: str
    given: str
    middle: str
    family: str
    sex: str
    birth_date: date
    city: list[str]
    line: str
    phone: str
    race: list[Any]
    ethnicity: list[Any]
    marital: list[Any]
    smoking: str
    pcp: Clinician
    clinic: tuple[str, str, str]
    specialists: dict[str, Clinician] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


def make_person(
    cfg: CohortConfig, directory: Directory, rng: random.Random, number: int, as_of: datetime
) -> Person:
    """Draw one adult (25-90 years old on the reference date)."""
    people = cfg.people
    sex = rng.choice(["male", "female"])
    age_days = rng.randint(25 * 365 + 7, 90 * 365)
    birth = (as_of - timedelta(days=age_days)).date()
    ethnicity = _weighted(rng, people["ethnicity"])
    given_pool = list(people["given"][sex])
    if ethnicity[0] == "2135-2":
        given_pool = [g for g in people["hispanic_given_names"] if g in given_pool] or given_pool
    age = (as_of.date() - birth).days // 365
    smoking_row = [r for r in people["smoking"] if age >= r["age_min"]][-1]
    smoking = rng.choices(["never", "former", "current"], weights=smoking_row["weights"])[0]
    city = rng.choice(people["cities"])
    pcp = rng.choice(directory.role_members("pcp", cfg))
    clinics = directory.locations["clinic"]
    clinic = next((c for c in clinics if c[2] == pcp.organization), clinics[0])
    return Person(
        number=number,
        id=patient_id(number),
        mrn=f"MRN{7300000 + number * 37 + rng.randrange(37):08d}",
        given=rng.choice(given_pool),
        middle=rng.choice(people["middle_initials"]),
        family=rng.choice(people["family"]),
        sex=sex,
        birth_date=birth,
        city=city,
        line=f"{rng.randint(10, 9899)} {rng.choice(people['streets'])}",
        phone=f"{city[3]}-555-01{rng.randrange(100):02d}",
        race=_weighted(rng, people["race"]),
        ethnicity=ethnicity,
        marital=_weighted(rng, people["marital_status"]),
        smoking=smoking,
        pcp=pcp,
        clinic=clinic,
    )


def _race_extension(url: str, row: list[Any]) -> Json:
    return {
        "url": url,
        "extension": [
            {
                "url": "ombCategory",
                "valueCoding": {
                    "system": "urn:oid:2.16.840.1.113883.6.238",
                    "code": row[0],
                    "display": row[1],
                },
            },
            {"url": "text", "valueString": row[1]},
        ],
    }


def patient_resource(p: Person, deceased: bool = False) -> Json:
    """The FHIR Patient of ``p`` (US Core race/ethnicity extensions, MRN identifier)."""
    return {
        "resourceType": "Patient",
        "id": p.id,
        "extension": [
            _race_extension("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", p.race),
            _race_extension(
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity", p.ethnicity
            ),
        ],
        "identifier": [{"use": "usual", "type": MR_TYPE, "system": MRN_SYSTEM, "value": p.mrn}],
        "active": True,
        "name": [
            {
                "use": "official",
                "family": p.family,
                "given": [p.given, p.middle],
                "text": f"{p.given} {p.middle}. {p.family}",
            }
        ],
        "telecom": [{"system": "phone", "value": p.phone, "use": "home"}],
        "gender": p.sex,
        "birthDate": p.birth_date.isoformat(),
        "address": [
            {
                "use": "home",
                "line": [p.line],
                "city": p.city[0],
                "state": p.city[1],
                "postalCode": p.city[2],
                "country": "US",
            }
        ],
        "maritalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                    "code": p.marital[0],
                    "display": p.marital[1],
                }
            ],
            "text": p.marital[1],
        },
        "communication": [
            {
                "language": {
                    "coding": [
                        {
                            "system": "urn:ietf:bcp:47",
                            "code": "en-US",
                            "display": "English (United States)",
                        }
                    ]
                },
                "preferred": True,
            }
        ],
        "generalPractitioner": [{"reference": f"Practitioner/{p.pcp.id}", "display": p.pcp.name}],
        "managingOrganization": {"reference": f"Organization/{p.pcp.organization}"},
    }
