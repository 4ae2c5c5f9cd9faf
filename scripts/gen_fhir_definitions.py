"""Derive medsim/fhir/data/r4_definitions.json from the FHIR R4 (4.0.1) specification's own
definitions: ``profiles-resources.xml``, ``profiles-types.xml`` and ``valuesets.xml`` (the files
HL7 publishes in the spec's ``definitions.xml.zip``; HAPI ships the same files in
``ca.uhn.hapi.fhir:hapi-fhir-validation-resources-r4``, ``org/hl7/fhir/r4/model/...``).

    python scripts/gen_fhir_definitions.py DIR   # DIR holds the three files (any sub-folders)

Output: for every resource and complex datatype, each element's JSON name -> [type codes,
repeats, required-binding value set]; and the codes of every value set a required binding names
(when all its codes are defined in the spec; bindings to external systems such as MIME types are
left out). Run once when the FHIR version changes; the repository never needs DIR at run time.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

NS = {"f": "http://hl7.org/fhir"}
OUT = Path(__file__).resolve().parents[1] / "medsim" / "fhir" / "data" / "r4_definitions.json"


def _v(node: ET.Element | None, tag: str) -> str | None:
    child = node.find(f"f:{tag}", NS) if node is not None else None
    return child.get("value") if child is not None else None


def _find(root: Path, name: str) -> Path:
    hits = sorted(root.rglob(name))
    if not hits:
        raise SystemExit(f"{name} not found under {root}")
    return hits[0]


def structure_definitions(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    return root.findall("f:entry/f:resource/f:StructureDefinition", NS)


def elements(sds: list[ET.Element]) -> tuple[dict[str, dict[str, list[Any]]], set[str], list[str]]:
    """type path -> element JSON name -> [types, repeats, value set]; required value sets; the
    resource type names."""
    out: dict[str, dict[str, list[Any]]] = {}
    required: set[str] = set()
    resources: list[str] = []
    for sd in sds:
        kind, derivation = _v(sd, "kind"), _v(sd, "derivation")
        name = _v(sd, "id") or ""
        if derivation != "specialization" or kind not in ("resource", "complex-type"):
            continue
        if kind == "resource" and _v(sd, "abstract") != "true":
            resources.append(name)
        for el in sd.findall("f:snapshot/f:element", NS):
            path = _v(el, "path") or ""
            if "." not in path:
                continue
            parent, _, leaf = path.rpartition(".")
            types = [_v(t, "code") or "" for t in el.findall("f:type", NS)]
            types = [("string" if t.startswith("http://hl7.org/fhirpath/") else t) for t in types]
            ref = _v(el, "contentReference")
            if ref:
                types = ["#" + ref.lstrip("#")]
            repeats = _v(el, "max") != "1"
            binding = el.find("f:binding", NS)
            vs = None
            if binding is not None and _v(binding, "strength") == "required":
                vs = (_v(binding, "valueSet") or "").split("|")[0] or None
                if vs and types and types[0] == "code":
                    required.add(vs)
                else:
                    vs = None
            entry = out.setdefault(parent, {})
            if leaf.endswith("[x]"):
                stem = leaf[:-3]
                for t in types:
                    entry[stem + t[:1].upper() + t[1:]] = [[t], repeats, vs]
            else:
                entry[leaf] = [types, repeats, vs]
    return out, required, sorted(resources)


def _codes(concepts: list[ET.Element]) -> list[str]:
    out: list[str] = []
    for c in concepts:
        code = _v(c, "code")
        if code:
            out.append(code)
        out += _codes(c.findall("f:concept", NS))
    return out


def value_sets(path: Path, wanted: set[str]) -> dict[str, list[str]]:
    root = ET.parse(path).getroot()
    systems: dict[str, list[str]] = {}
    sets: dict[str, ET.Element] = {}
    for res in root.findall("f:entry/f:resource/*", NS):
        url = _v(res, "url") or ""
        if res.tag.endswith("CodeSystem") and _v(res, "content") == "complete":
            systems[url] = _codes(res.findall("f:concept", NS))
        elif res.tag.endswith("ValueSet"):
            sets[url] = res

    def expand(url: str, depth: int = 0) -> list[str] | None:
        vs = sets.get(url)
        if vs is None or depth > 5:
            return None
        codes: list[str] = []
        for inc in vs.findall("f:compose/f:include", NS):
            if inc.find("f:filter", NS) is not None:
                return None
            listed = [_v(c, "code") or "" for c in inc.findall("f:concept", NS)]
            system = _v(inc, "system")
            if listed:
                codes += listed
            elif system:
                if system not in systems:
                    return None
                codes += systems[system]
            for sub in inc.findall("f:valueSet", NS):
                more = expand((sub.get("value") or "").split("|")[0], depth + 1)
                if more is None:
                    return None
                codes += more
        if vs.find("f:compose/f:exclude", NS) is not None:
            return None
        return sorted(set(codes)) if codes else None

    out: dict[str, list[str]] = {}
    for url in sorted(wanted):
        codes = expand(url)
        if codes:
            out[url] = codes
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    root = Path(argv[0])
    sds = structure_definitions(_find(root, "profiles-types.xml")) + structure_definitions(
        _find(root, "profiles-resources.xml")
    )
    elems, required, resources = elements(sds)
    sets = value_sets(_find(root, "valuesets.xml"), required)
    for entry in elems.values():  # drop bindings whose codes are not all in the spec
        for spec in entry.values():
            if spec[2] and spec[2] not in sets:
                spec[2] = None
    data = {
        "source": "HL7 FHIR R4 4.0.1 definitions (profiles-resources.xml, profiles-types.xml, "
        "valuesets.xml), via scripts/gen_fhir_definitions.py",
        "resources": resources,
        "elements": elems,
        "valueSets": sets,
    }
    OUT.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{OUT}: {len(resources)} resources, {len(elems)} element groups, {len(sets)} value sets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
