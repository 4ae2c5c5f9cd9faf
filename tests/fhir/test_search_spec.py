"""Token, string, quantity, reference and result-shaping search against hand-written spec cases.

The oracle is the FHIR R4 specification (search.html), not the engine: every expected set below was
worked out by hand from these rules over the small fixed data set in this file:

- token (§3.1.1.5.5): ``code`` matches a code in any system; ``system|code`` both; ``|code`` a code
  with no system; ``system|`` any code of that system. ``:not`` matches every resource without a
  matching token (resources with no value at all included); ``:text`` searches the display /
  CodeableConcept.text as a string (starts with, case-insensitive);
- string (§3.1.1.5.4): a value matches when a field *starts with* it, case- and accent-insensitive;
  ``:exact`` the whole field, case-sensitive; ``:contains`` anywhere in the field;
- number / quantity (§3.1.1.5.1, §3.1.1.5.7, prefixes §3.1.1.4.2): ``100`` has the implicit
  precision of its written digits, so ``eq100`` is the range [99.5, 100.5) and ``100.0`` is
  [99.95, 100.05); ``ne`` is outside that range; ``gt`` / ``lt`` / ``ge`` / ``le`` compare with the
  exact value 100; ``ap`` is within 10 % of it (the spec's recommended approximation).
  ``number|system|code``: an empty system matches any system, an empty code any unit;
- ``:missing=true`` matches resources with no value for the parameter, ``false`` those with one;
- a comma is OR (``\\,`` is a literal comma), a repeated parameter is AND (§3.1.1.3);
- reference (§3.1.1.5.6): ``Type/id``, ``id`` with ``:Type``, a bare id; chains ``param.name``
  and ``param:Type.name``; ``_has:Type:param:name`` (reverse chain);
- result parameters (§3.1.1.6-7): ``_sort`` (``-`` descending, several keys in order), ``_count``,
  ``_summary=count`` (a total and no entries), ``_elements``, ``_total=none``, ``_include``.

Everything runs on the embedded engine alone (its SQL is what these tests pin down; HAPI is compared
with it by test_differential.py), once with the data loaded as the shared base layer and once with the
same data written by the episode (the engine searches both layers, with different SQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend, FhirError

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LAB = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory",
        }
    ]
}


def _qty(value: float, unit: str, *, system: bool = True) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value, "unit": unit}
    if system:
        q |= {"system": UCUM, "code": unit}
    return q


def _obs(letter: str, code: dict[str, Any], patient: str, when: str, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"obs-{letter}",
        "code": code,
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        **more,
    }


def _loinc(code: str, display: str, text: str | None = None) -> dict[str, Any]:
    cc: dict[str, Any] = {"coding": [{"system": LOINC, "code": code, "display": display}]}
    return cc | ({"text": text} if text else {})


# Observations a..h (no g), by letter. Values: C 1.2 < A 4.0 < D 99.5 < E 100 < H 100.5 < B 140;
# F has no value. Dates: F 2020 < E 2021 < D 2022 < A 15 Mar 2023 < B 16 Mar < H 20 Mar < C 1 Apr.
OBSERVATIONS = [
    _obs("a", _loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "Potassium"), "p1",
         "2023-03-15T10:00:00Z", status="final", category=[LAB], valueQuantity=_qty(4.0, "mmol/L"),
         performer=[{"reference": "Practitioner/dr1"}]),
    # two performers with the same id (a lab's practitioner role and organisation)
    _obs("b", _loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"), "p1", "2023-03-16",
         status="amended", category=[LAB], valueQuantity=_qty(140, "mmol/L"),
         performer=[{"reference": "Practitioner/lab1"}, {"reference": "Organization/lab1"}]),
    _obs("c", {"coding": [{"system": LOINC, "code": "2160-0",
                           "display": "Creatinine [Mass/volume] in Serum or Plasma"},
                          {"system": "urn:local:lab", "code": "CREAT"}]}, "p2", "2023-04-01",
         status="final", category=[LAB], valueQuantity=_qty(1.2, "mg/dL")),
    # a glucose coded without a system (twice: once with a display)
    _obs("d", {"coding": [{"code": "2345-7"}, {"code": "2345-7", "display": "Glucose"}]}, "p2",
         "2022-01-01", status="preliminary",
         valueQuantity=_qty(99.5, "mg/dL")),
    # text only, no coding (an SpO2 of 100 %), with the inhaled oxygen flow as a component
    _obs("e", {"text": "Oxygen saturation"}, "p3", "2021-06-01", status="final",
         valueQuantity=_qty(100, "%"),
         component=[{"code": _loinc("3151-8", "Inhaled oxygen flow rate"),
                     "valueQuantity": _qty(2.952, "L/min")}]),
    _obs("f", _loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), "p1", "2020-01-01",
         status="cancelled", valueString="not done"),
    # a glucose whose quantity has a unit text but no system or code; its code is also given in a
    # local system with the same code text
    _obs("h", {"coding": [{"system": LOINC, "code": "2345-7",
                           "display": "Glucose [Mass/volume] in Serum or Plasma"},
                          {"system": "urn:local:lab", "code": "2345-7"}]}, "p2", "2023-03-20",
         status="final", category=[LAB], valueQuantity=_qty(100.5, "mg/dL", system=False)),
]  # fmt: skip


def _patient(pid: str, gender: str, born: str, **more: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": born, **more}


PATIENTS = [
    _patient("p1", "male", "1980-05-01", name=[{"family": "Smith", "given": ["John"]}],
             identifier=[{"system": "urn:mrn", "value": "MRN-1"},
                         {"system": "urn:mrn", "value": "MRN-1-OLD"},
                         {"system": "urn:ids", "value": "a,b"}],
             generalPractitioner=[{"reference": "Practitioner/dr1"}]),
    _patient("p2", "female", "1990-02-10", name=[{"family": "Smithson", "given": ["Ana", "Zoe"]}],
             identifier=[{"system": "urn:mrn", "value": "MRN-2"}]),
    _patient("p3", "male", "1975-11-30", name=[{"family": "García", "given": ["José"]}]),
    _patient("p4", "female", "1985-07-04", name=[{"family": "100%_sure", "given": ["Li"]}]),
    _patient("p5", "unknown", "2001-01-01"),
]  # fmt: skip
PERFORMERS = [
    {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "House"}]},
    {"resourceType": "Practitioner", "id": "lab1", "name": [{"family": "Lab"}]},
    {"resourceType": "Organization", "id": "lab1", "name": "Central laboratory"},
]
DATA = [*PERFORMERS, *PATIENTS, *OBSERVATIONS]
ALL_OBS = set("abcdefh")


LAYERS = ["base", "episode"]


def _open(layer: str) -> tuple[EmbeddedBackend, Any]:
    """An episode over the data: loaded as the base layer, or written by the episode itself."""
    backend = EmbeddedBackend(validate=True)
    if layer == "base":
        backend.load(DATA)
    episode = backend.episode()
    if layer == "episode":
        for res in DATA:
            episode.update(res["resourceType"], res["id"], res)
    return backend, episode


@pytest.fixture(scope="module", params=LAYERS)
def ep(request: pytest.FixtureRequest) -> Iterator[Any]:
    backend, episode = _open(request.param)
    yield episode
    episode.close()
    backend.close()


def _ids(ep: Any, rtype: str, params: list[tuple[str, str]]) -> list[str]:
    bundle = ep.search(rtype, [*params, ("_count", "100")])
    ids = [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
    assert bundle["total"] == len(ids) == len(set(ids)), ids  # each match once, counted once
    return ids


def _letters(ep: Any, params: list[tuple[str, str]]) -> set[str]:
    return {i.removeprefix("obs-") for i in _ids(ep, "Observation", params)}


def _s(letters: str) -> set[str]:
    return set(letters.replace(" ", ""))


# (query, the Observations it must find), each worked out by hand from the module docstring.
OBS_CASES: list[tuple[list[tuple[str, str]], set[str]]] = [
    # token forms
    ([("code", "2823-3")], _s("a")),
    ([("code", "2345-7")], _s("d h")),  # any system, none included
    ([("code", f"{LOINC}|2345-7")], _s("h")),
    ([("code", "|2345-7")], _s("d")),  # only the coding without a system
    ([("code", f"{LOINC}|")], _s("a b c f h")),  # any code of the system
    ([("code", "urn:local:lab|CREAT")], _s("c")),  # the second coding counts too
    ([("code", f"{LOINC}|CREAT")], set()),  # the code exists, in another system
    ([("code", "2823-3,2951-2")], _s("a b")),
    ([("code", "2345-7,2823-3")], _s("a d h")),
    ([("code:not", "2345-7")], _s("a b c e f")),
    ([("code:not", f"{LOINC}|2345-7")], _s("a b c d e f")),
    ([("code:not", "2823-3,2951-2")], _s("c d e f h")),
    ([("code:text", "potass")], _s("a")),  # CodeableConcept.text / display, starts with
    ([("code:text", "OXYGEN sat")], _s("e")),  # text-only concept, case-insensitive
    ([("code:text", "glucose [mass")], _s("h")),
    ([("code:text", "saturation")], set()),  # not a prefix
    ([("status", "final")], _s("a c e h")),
    ([("status", "final,amended")], _s("a b c e h")),
    ([("status:not", "final")], _s("b d f")),
    ([("category:missing", "true")], _s("d e f")),
    ([("category:missing", "false")], _s("a b c h")),
    ([("category", "laboratory"), ("status", "final")], _s("a c h")),  # repeated: AND
    ([("status", "final"), ("status", "amended")], set()),  # one status cannot be both
    ([("code:not", "2345-7"), ("category", "laboratory")], _s("a b c")),
    ([("status", "preliminary"), ("code:not", "2823-3")], _s("d")),
    # quantity: C 1.2, A 4.0, D 99.5, E 100, H 100.5, B 140 (F has none)
    ([("value-quantity", "100")], _s("d e")),  # [99.5, 100.5): 99.5 in, 100.5 out
    ([("value-quantity", "eq100")], _s("d e")),
    ([("value-quantity", "100.0")], _s("e")),  # [99.95, 100.05)
    ([("value-quantity", "4")], _s("a")),
    ([("value-quantity", "ne100")], _s("a b c h")),
    ([("value-quantity", "gt100")], _s("b h")),
    ([("value-quantity", "ge100")], _s("b e h")),
    ([("value-quantity", "lt100")], _s("a c d")),
    ([("value-quantity", "le100")], _s("a c d e")),
    ([("value-quantity", "ap100")], _s("d e h")),  # [90, 110]
    ([("value-quantity", "ap4")], _s("a")),  # [3.6, 4.4]
    ([("value-quantity", "gt-1")], _s("a b c d e h")),
    ([("value-quantity", f"le100|{UCUM}|mg/dL")], _s("c d")),  # H's quantity has no system
    ([("value-quantity", "gt99||mg/dL")], _s("d h")),  # any system, unit mg/dL
    ([("value-quantity", f"ge100|{UCUM}|")], _s("b e")),  # the system, any unit
    ([("value-quantity", "lt5|urn:other|mmol/L")], set()),
    ([("value-quantity", "ge4"), ("value-quantity", "lt100")], _s("a d")),
    ([("value-quantity", "1.2,140")], _s("b c")),
    ([("value-quantity:missing", "true")], _s("f")),
    # one decimal is a range 0.1 wide: 3.0 is [2.95, 3.05), 2.9 is [2.85, 2.95)
    ([("component-value-quantity", "3.0")], _s("e")),
    ([("component-value-quantity", "2.9")], set()),
    ([("component-value-quantity", "2.952")], _s("e")),  # [2.9515, 2.9525)
    ([("component-value-quantity", "2.95")], _s("e")),  # [2.945, 2.955)
    ([("component-code", "3151-8")], _s("e")),
    ([("value-quantity:missing", "false")], _s("a b c d e h")),
    # combo-*: the resource's own value or any component's (R4 Observation search parameters)
    ([("combo-code", "3151-8")], _s("e")),  # a component's code only
    ([("combo-code", f"{LOINC}|2823-3")], _s("a")),
    ([("combo-code", "2345-7")], _s("d h")),  # D has the code twice: still one match
    ([("combo-code", "2823-3,3151-8")], _s("a e")),
    ([("combo-code:not", "3151-8")], _s("a b c d f h")),
    ([("combo-code:text", "inhaled")], _s("e")),  # a component's display
    ([("combo-code:missing", "false")], ALL_OBS),
    ([("combo-code", "3151-8"), ("code:text", "oxygen")], _s("e")),
    ([("combo-value-quantity", "3.0")], _s("e")),  # the component's 2.952 L/min
    ([("combo-value-quantity", "100")], _s("d e")),  # [99.5, 100.5): D 99.5, E's own 100 %
    ([("combo-value-quantity", "lt3")], _s("c e")),
    ([("combo-value-quantity", f"lt3|{UCUM}|L/min")], _s("e")),
    ([("combo-value-quantity:missing", "true")], _s("f")),
    ([("combo-value-quantity", "gt-1"), ("patient", "p3")], _s("e")),
    ([("combo-value-concept:missing", "true")], ALL_OBS),
    # references
    ([("subject", "Patient/p1")], _s("a b f")),
    ([("subject:Patient", "p3")], _s("e")),
    ([("subject", "p3")], _s("e")),
    ([("patient", "p2")], _s("c d h")),
    ([("patient", "Patient/p2")], _s("c d h")),
    ([("patient", "p1,p3")], _s("a b e f")),
    ([("patient", "p1"), ("status", "final")], _s("a")),
    ([("subject", "Patient/p2"), ("code", "2345-7")], _s("d h")),
    # repeated patient parameters are ANDed like any other (one patient cannot be two)
    ([("patient", "p1"), ("patient", "p2")], set()),
    ([("subject", "Patient/p1"), ("patient", "p2")], set()),
    ([("patient", "p1"), ("patient", "p1,p2")], _s("a b f")),
    ([("patient", "p1"), ("patient.family", "jones")], set()),
    ([("patient", "p1"), ("patient.family", "smith")], _s("a b f")),
    ([("patient", "p1"), ("patient:missing", "true")], set()),
    ([("patient", "Group/p1")], set()),  # the patient parameter only references Patients
    ([("patient:Group", "p1")], set()),
    ([("subject:Patient", "p1"), ("code", "2951-2")], _s("b")),
    ([("performer", "Practitioner/dr1")], _s("a")),
    ([("performer:missing", "false")], _s("a b")),
    # one resource matching through two index rows is still one match (found and counted once)
    ([("performer", "lab1")], _s("b")),  # a bare id: either type
    ([("performer", "Organization/lab1")], _s("b")),
    ([("performer:Practitioner", "lab1")], _s("b")),
    ([("code", "2160-0,CREAT")], _s("c")),
    ([("code", f"{LOINC}|2160-0,urn:local:lab|CREAT")], _s("c")),
    ([("code", "urn:local:lab|2345-7")], _s("h")),
    ([("code:text", "glucose")], _s("d h")),
    ([("performer", "Patient/p1")], set()),  # a Patient may perform; none did here
    ([("code", "2345-7"), ("status", "final")], _s("h")),
    ([("patient.family", "smith")], _s("a b c d f h")),  # Smith and Smithson
    ([("subject:Patient.gender", "male")], _s("a b e f")),
    ([("patient.name", "nobody")], set()),
    # dates (the engine's own date rules are in test_date_spec.py)
    ([("date", "2023-03")], _s("a b h")),
    ([("date", "ge2023-03-16")], _s("b c h")),
    ([("code", "2823-3,2951-2"), ("date", "lt2023-03-16")], _s("a")),
    ([("patient", "p1"), ("date", "2023-03")], _s("a b")),
    ([("patient", "p2"), ("date", "lt2023")], _s("d")),
    ([("status", "final"), ("date", "ge2023-03-16")], _s("c h")),
    ([("code", "2823-3,2951-2"), ("date:missing", "false")], _s("a b")),
    ([("status", "final"), ("date:missing", "true")], set()),  # every one has a date
    # _id: a comma is OR, a repetition AND
    ([("_id", "obs-a,obs-b,obs-x")], _s("a b")),
    ([("_id", "obs-a,obs-b"), ("_id", "obs-b,obs-c")], _s("b")),
    ([("_id", "obs-a"), ("_id", "obs-b")], set()),
    ([("_id:not", "obs-a,obs-b")], _s("c d e f h")),  # _id is a token: :not and :missing apply
    ([("_id:missing", "false")], ALL_OBS),
    ([("_id:missing", "true")], set()),
    # an id has no system: |id matches it, system|id and system| never do (token rules above)
    ([("_id:not", "|obs-a")], _s("b c d e f h")),
    ([("_id:not", "urn:x|obs-a")], ALL_OBS),
    ([("_id:not", "urn:x|")], ALL_OBS),
    ([("_id:text", "obs")], set()),  # an id has no display text
    ([("_id", "obs-a,obs-c"), ("status", "final")], _s("a c")),
    ([("_id", "obs-a,obs-b"), ("patient", "p1"), ("code", "2951-2")], _s("b")),
]


@pytest.mark.parametrize(
    ("params", "expected"),
    OBS_CASES,
    ids=["&".join(f"{k}={v}" for k, v in p) for p, _ in OBS_CASES],
)
def test_observation_search_follows_the_spec(
    ep: Any, params: list[tuple[str, str]], expected: set[str]
) -> None:
    assert _letters(ep, params) == expected


PATIENT_CASES: list[tuple[list[tuple[str, str]], set[str]]] = [
    ([("family", "smith")], {"p1", "p2"}),  # starts with, case-insensitive
    ([("family", "SMITHS")], {"p2"}),
    ([("family", "garcia")], {"p3"}),  # accents folded
    ([("family", "GARCÍA")], {"p3"}),
    ([("family", "arcia")], set()),  # not a prefix
    ([("family:exact", "Smith")], {"p1"}),
    ([("family:exact", "smith")], set()),
    ([("family:exact", "Smit")], set()),
    ([("family:contains", "ITHS")], {"p2"}),
    ([("family:contains", "mith")], {"p1", "p2"}),
    ([("family:contains", "%")], {"p4"}),  # a literal percent, not a wildcard
    ([("family:contains", "_")], {"p4"}),  # a literal underscore
    ([("family:contains", "0%_s")], {"p4"}),
    ([("family", "100%")], {"p4"}),
    ([("name", "jos")], {"p3"}),  # given names are part of name
    ([("given", "ana")], {"p2"}),
    ([("name:missing", "true")], {"p5"}),
    ([("name:missing", "false")], {"p1", "p2", "p3", "p4"}),
    ([("family", "smith,garcia")], {"p1", "p2", "p3"}),
    ([("family", "smi"), ("given", "ana")], {"p2"}),
    ([("gender", "male"), ("family", "smi")], {"p1"}),
    ([("gender:not", "male")], {"p2", "p4", "p5"}),
    ([("identifier", "urn:mrn|MRN-1")], {"p1"}),
    ([("identifier", "MRN-2")], {"p2"}),
    ([("identifier", "urn:mrn|")], {"p1", "p2"}),  # p1 has two: found once
    ([("identifier", "urn:mrn|MRN-1-OLD")], {"p1"}),
    ([("identifier", "urn:ids|a\\,b")], {"p1"}),  # an escaped comma is part of the value
    ([("identifier", "urn:ids|a,urn:mrn|MRN-2")], {"p2"}),  # an unescaped one is OR
    ([("birthdate", "1980")], {"p1"}),
    ([("birthdate", "lt1980")], {"p3"}),
    ([("birthdate", "ge1990"), ("gender", "female")], {"p2"}),
    ([("family", "smi"), ("birthdate", "lt1985")], {"p1"}),
    ([("general-practitioner", "Practitioner/dr1")], {"p1"}),
    ([("general-practitioner:missing", "true")], {"p2", "p3", "p4", "p5"}),
    ([("_id", "p1,p2")], {"p1", "p2"}),
    ([("_id", "p1"), ("_id", "p2")], set()),
    ([("_id", "p1"), ("_id", "p1,p2")], {"p1"}),
    ([("_id", "p3"), ("gender", "male")], {"p3"}),
    ([("_has:Observation:patient:code", "2345-7")], {"p2"}),
    ([("_has:Observation:patient:status", "cancelled")], {"p1"}),
    ([("_has:Observation:patient:status", "final"), ("gender", "female")], {"p2"}),
    ([("_has:Observation:subject:code", "2823-3"), ("_id", "p1,p2")], {"p1"}),
]


@pytest.mark.parametrize(
    ("params", "expected"),
    PATIENT_CASES,
    ids=["&".join(f"{k}={v}" for k, v in p) for p, _ in PATIENT_CASES],
)
def test_patient_search_follows_the_spec(
    ep: Any, params: list[tuple[str, str]], expected: set[str]
) -> None:
    assert set(_ids(ep, "Patient", params)) == expected


# -- result parameters -----------------------------------------------------------------------


def _order(ep: Any, sort: str, *more: tuple[str, str]) -> str:
    return "".join(
        i.removeprefix("obs-") for i in _ids(ep, "Observation", [*more, ("_sort", sort)])
    )


def test_sort_orders_by_each_key_in_turn(ep: Any) -> None:
    with_value = ("value-quantity:missing", "false")
    assert _order(ep, "value-quantity", with_value) == "cadehb"
    assert _order(ep, "-value-quantity", with_value) == "bhedac"
    assert _order(ep, "date") == "fedabhc"
    assert _order(ep, "-date") == "chbadef"
    assert _order(ep, "-date", ("patient", "p2")) == "chd"
    assert _order(ep, "date", ("code", f"{LOINC}|")) == "fabhc"
    assert _order(ep, "_id") == "abcdefh"
    # a union parameter sorts by the least (ascending) or greatest (descending) of all its
    # values: E's component 2.952 L/min and its own 100 %
    assert _order(ep, "combo-value-quantity") == "ceadhbf"
    assert _order(ep, "-combo-value-quantity") == "bhedacf"
    assert _order(ep, "-_id") == "hfedcba"
    # status first (amended < cancelled < final < preliminary), then the latest date first
    assert _order(ep, "status,-date") == "bfchaed"
    assert _order(ep, "-status,date") == "deahcfb"
    family = [i for i in _ids(ep, "Patient", [("_sort", "family"), ("name:missing", "false")])]
    assert family == ["p4", "p3", "p1", "p2"]  # "100%_sure" < "garcia" < "smith" < "smithson"
    assert _ids(ep, "Patient", [("_sort", "-birthdate"), ("gender", "male")]) == ["p1", "p3"]
    # a value sort while a token clause picks the rows (the date rides on those rows, the value not)
    coded = ("code", "2823-3,2951-2,2160-0,2345-7")  # a, b, c, d, h: in date order d a b h c
    assert _order(ep, "value-quantity", coded) == "cadhb"
    assert _order(ep, "-value-quantity", coded) == "bhdac"
    # a repeating element sorts by its lowest value ascending and its highest descending (the rule
    # the HTTP backend's merge follows too): p2's given names are Ana and Zoe, p1's John
    assert _ids(ep, "Patient", [("_sort", "given"), ("_id", "p1,p2")]) == ["p2", "p1"]
    assert _ids(ep, "Patient", [("_sort", "-given"), ("_id", "p1,p2")]) == ["p2", "p1"]


def test_count_offset_and_paging(ep: Any) -> None:
    bundle = ep.search("Observation", [("_sort", "_id"), ("_count", "2")])
    assert bundle["total"] == 7
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["obs-a", "obs-b"]
    assert any(link["relation"] == "next" for link in bundle["link"])
    page = ep.search("Observation", [("_sort", "_id"), ("_count", "2"), ("_offset", "5")])
    assert [e["resource"]["id"] for e in page["entry"]] == ["obs-f", "obs-h"]
    assert not any(link["relation"] == "next" for link in page["link"])
    empty = ep.search("Observation", [("_count", "0")])
    assert empty["total"] == 7 and not empty.get("entry")


def test_summary_elements_total_and_include(ep: Any) -> None:
    counted = ep.search("Observation", [("patient", "p1"), ("_summary", "count")])
    assert counted["total"] == 3 and not counted.get("entry")
    shaped = ep.search("Observation", [("_id", "obs-a"), ("_elements", "status")])
    res = shaped["entry"][0]["resource"]
    assert res["status"] == "final" and "code" not in res and "valueQuantity" not in res
    assert "total" not in ep.search("Observation", [("status", "final"), ("_total", "none")])
    assert ep.search("Observation", [("status", "final"), ("_total", "accurate")])["total"] == 4
    included = ep.search("Observation", [("_id", "obs-a"), ("_include", "Observation:subject")])
    kinds = {(e["resource"]["id"], e["search"]["mode"]) for e in included["entry"]}
    assert kinds == {("obs-a", "match"), ("p1", "include")}
    rev = ep.search("Patient", [("_id", "p3"), ("_revinclude", "Observation:subject")])
    assert {(e["resource"]["id"], e["search"]["mode"]) for e in rev["entry"]} == {
        ("p3", "match"),
        ("obs-e", "include"),
    }
    assert ep.search("Observation", [("_id", "obs-a"), ("_format", "json")])["total"] == 1


def test_include_target_type_pretty_and_paging_offset(ep: Any) -> None:
    """``_include=Type:param:Target`` includes only that target type (R4 search.html#include);
    ``_pretty`` is accepted and ignored; HAPI's paging offset ``_getpagesoffset`` is an offset."""
    both = ep.search("Observation", [("_id", "obs-b"), ("_include", "Observation:performer")])
    included = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in both["entry"][1:]}
    assert included == {("Practitioner", "lab1"), ("Organization", "lab1")}
    one = ep.search(
        "Observation", [("_id", "obs-b"), ("_include", "Observation:performer:Organization")]
    )
    assert [e["resource"]["resourceType"] for e in one["entry"]] == ["Observation", "Organization"]
    assert _ids(ep, "Observation", [("status", "amended"), ("_pretty", "true")]) == ["obs-b"]
    page = ep.search("Observation", [("_sort", "_id"), ("_count", "2"), ("_getpagesoffset", "5")])
    assert [e["resource"]["id"] for e in page["entry"]] == ["obs-f", "obs-h"]


@pytest.mark.parametrize("layer", LAYERS)
def test_a_repeated_search_sees_new_writes(layer: str) -> None:
    """The same chained or ``_has`` search asked again after a write answers for the data as it
    is now (a parsed search may be reused; what it matched may not)."""
    backend, sub = _open(layer)
    try:
        chained = {"patient.family": "jones"}
        has = {"_has:Observation:patient:code": "2823-3"}
        assert {e["resource"]["id"] for e in sub.search("Patient", has)["entry"]} == {"p1"}
        sub.update("Observation", "obs-d", {**OBSERVATIONS[3], "code": _loinc("2823-3", "K")})
        assert {e["resource"]["id"] for e in sub.search("Patient", has)["entry"]} == {"p1", "p2"}
        assert sub.search("Observation", chained).get("total") == 0
        chained_final = {"patient.family": "jones", "status": "final"}
        assert sub.search("Observation", chained_final).get("total") == 0
        sub.update("Patient", "p2", {**PATIENTS[1], "name": [{"family": "Jones"}]})
        assert sub.search("Observation", chained_final)["total"] == 2  # c and h
        assert {e["resource"]["id"] for e in sub.search("Observation", chained)["entry"]} == {
            "obs-c", "obs-d", "obs-h"
        }  # fmt: skip
    finally:
        sub.close()
        backend.close()


def test_parameter_forms(ep: Any) -> None:
    """A query string, a mapping (a list value repeats the parameter: AND) and pairs."""
    found = ep.search("Observation", "?status=final&category=laboratory&_count=50")
    assert {e["resource"]["id"] for e in found["entry"]} == {"obs-a", "obs-c", "obs-h"}
    both = ep.search(
        "Observation",
        {"date": ["ge2023-03-16", "lt2023-04-01"], "category": "laboratory", "_count": 50},
    )
    assert {e["resource"]["id"] for e in both["entry"]} == {"obs-b", "obs-h"}
    lists_only = ep.search("Observation", {"date": ["ge2023-03-16", "lt2023-04-01"], "_count": 9})
    assert lists_only["total"] == 2
    assert ep.search("Observation", None)["total"] == 7
    with pytest.raises(FhirError) as blank:  # a blank value is refused in every form
        ep.search("Observation", "?code=&status=final")
    assert blank.value.status == 400


@pytest.mark.parametrize("layer", LAYERS)
def test_writes_in_the_episode_are_searched_with_the_base(layer: str) -> None:
    """An update hides the older version, a delete hides the resource, a create is found — in
    every clause form (driving token, string, date, sort, the patient's own rows)."""
    backend, sub = _open(layer)
    new = _obs("n", _loinc("2823-3", "Potassium"), "p1", "2023-03-17", status="final",
               category=[LAB], valueQuantity=_qty(5.1, "mmol/L"))  # fmt: skip
    sub.update("Observation", "obs-n", new)
    sub.update("Observation", "obs-b", {**OBSERVATIONS[1], "status": "final"})
    sub.delete("Observation", "obs-c")
    sub.update("Patient", "p2", {**PATIENTS[1], "name": [{"family": "Jones"}]})
    try:
        assert _letters(sub, [("status", "final")]) == _s("a b e h n")
        assert _letters(sub, [("code", "2823-3")]) == _s("a n")
        assert _letters(sub, [("patient", "p1")]) == _s("a b f n")
        assert _letters(sub, [("patient", "p2")]) == _s("d h")
        assert _letters(sub, [("date", "2023-03")]) == _s("a b h n")
        assert _letters(sub, [("value-quantity", "gt5")]) == _s("b d e h n")
        assert _letters(sub, []) == _s("a b d e f h n")
        assert _letters(sub, [("_id", "obs-c,obs-n")]) == _s("n")
        assert _order(sub, "-date", ("patient", "p1")) == "nbaf"
        assert _order(sub, "value-quantity", ("code", "2823-3")) == "an"
        assert _order(sub, "_id", ("status", "final")) == "abehn"
        assert _order(sub, "value-quantity") == "andehbf"  # f has no value: last
        assert _order(sub, "-value-quantity") == "bhednaf"
        assert set(_ids(sub, "Patient", [("family", "smith")])) == {"p1"}
        assert set(_ids(sub, "Patient", [("family", "jones")])) == {"p2"}
        assert sub.search("Observation", [("patient", "p1"), ("_summary", "count")])["total"] == 4
    finally:
        sub.close()
        backend.close()


# -- refusals --------------------------------------------------------------------------------

BAD = [
    [("nonsense", "1")],
    [("date:exact", "2023")],  # :exact is for strings
    [("value-quantity:not", "1")],
    [("subject:text", "x")],
    [("code", "")],  # an empty value
    [("category:missing", "maybe")],
    [("value-quantity", "abc")],
    [("value-quantity", "nan")],
    [("value-quantity", "inf")],
    [("value-quantity", "gt-inf")],
    [("value-quantity", "eq")],
    [("date", "gt2023-13")],
    [("subject", "bad id")],
    [("subject.family", "smith")],  # subject may be several types: the chain must name one
    [("code.family", "smith")],  # not a reference: no chain
    [("subject:Patient.general-practitioner.family", "house")],  # two levels
    [("patient:Patient.nonsense", "x")],
    [("_sort", "nonsense")],
    [("_sort", "subject")],  # a reference cannot be sorted on
    [("_count", "-1")],
    [("_count", "abc")],
    [("_count", "٣")],  # a digit, but not ASCII
    [("_count", "2147483648")],  # above 2^31 - 1
    [("_offset", "x")],
    [("_include", "*")],
    [("_include", "Observation")],
    [("_include", "Observation:code")],  # not a reference parameter
    [("_include", "Observation:subject:Patient:x")],
    [("_revinclude", "Nothing:subject")],
    [("_summary", "maybe")],
    [("_elements", "a b")],
    [("_total", "maybe")],
    [("_totalMethod", "guess")],
    [("_has:Observation:patient", "x")],
    [("_has:Observation::code", "x")],
    [("_has:Observation:code:code", "x")],  # code is not a reference
    [("_has:observation:patient:code", "x")],  # not a type
    [("_has:Observation:patient:_has:Condition:patient:code", "x")],
    [("_has:Observation:patient:_has", "x")],  # _has inside _has
    [("patient._has:Observation:patient:code", "x")],  # _has inside a chain
    [("_has:Observation:patient:patient.family", "x")],  # a chain inside _has
    [("code", "x" * 2001)],
]


@pytest.mark.parametrize("params", BAD, ids=[f"{p[0][0]}={p[0][1][:20]}" for p in BAD])
def test_bad_searches_are_400_and_change_nothing(ep: Any, params: list[tuple[str, str]]) -> None:
    with pytest.raises(FhirError) as err:
        ep.search("Patient" if params[0][0].startswith("_has") else "Observation", params)
    assert err.value.status == 400


def test_limits_that_are_allowed(ep: Any) -> None:
    assert _letters(ep, [("code", "x" * 2000)]) == set()  # the longest value allowed
    big = ep.search("Observation", [("_count", "2147483647"), ("_summary", "count")])
    assert big["total"] == 7
    assert ep.search("Observation", [("_totalMethod", "count")])["total"] == 7
    with pytest.raises(FhirError) as err:
        ep.search("Observation", [("_format", "xml")])
    assert err.value.status == 406


@pytest.mark.parametrize(
    "params",
    [[("status", True)], [(1, "x")], [("status", None)], [("a", "b", "c")], ["status"]],
    ids=["bool", "name-not-text", "none", "triple", "not-a-pair"],
)
def test_bad_parameter_shapes_are_400(ep: Any, params: list[Any]) -> None:
    with pytest.raises(FhirError) as err:
        ep.search("Observation", params)
    assert err.value.status == 400
