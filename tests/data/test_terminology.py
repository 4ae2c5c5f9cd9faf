"""The terminology data files are well formed: check digits, code formats, cross references.

LOINC codes carry a mod-10 check digit and SNOMED CT identifiers a Verhoeff check digit, so a
mistyped code is caught here even without the code systems at hand.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import pytest

from medsim.data.cohort.config import ConfigError, check_config, load_config

ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
LOINC = re.compile(r"^\d{1,7}-\d$")

_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff_ok(number: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


def loinc_ok(code: str) -> bool:
    body, check = code.split("-")
    digits = [int(d) for d in reversed(body)]
    odd = "".join(str(d) for d in digits[0::2])
    even = "".join(str(d) for d in digits[1::2])
    total = sum(int(ch) for ch in even + str(int(odd) * 2))
    return (10 - total % 10) % 10 == int(check)


def snomed_ok(code: str) -> bool:
    return (
        code.isdigit()
        and 6 <= len(code) <= 18
        and code[-3:-1] in ("00", "10")
        and verhoeff_ok(code)
    )


def test_check_digit_helpers() -> None:
    assert loinc_ok("2823-3") and loinc_ok("4548-4") and not loinc_ok("2823-4")
    assert snomed_ok("44054006") and snomed_ok("38341003") and not snomed_ok("44054007")


def _walk(obj: Any) -> list[Any]:
    out = [obj]
    if isinstance(obj, dict):
        for v in obj.values():
            out += _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            out += _walk(v)
    return out


def all_loinc() -> list[str]:
    cfg = load_config()
    found: list[str] = []
    for node in _walk(
        [cfg.labs, cfg.panels, cfg.vitals, cfg.social, cfg.surveys, cfg.notes["documents"]]
    ):
        if isinstance(node, dict) and isinstance(node.get("loinc"), str):
            found.append(node["loinc"])
        if isinstance(node, dict):
            for pair in node.get("extra_codings", []):
                found.append(pair[0])
    return found


def all_snomed() -> list[str]:
    cfg = load_config()
    found = [c["snomed"][0] for c in cfg.conditions.values()]
    found += [p["snomed"][0] for p in cfg.procedures.values()]
    found += [r[0] for r in cfg.routes.values()]
    found += [k["type"][0] for k in cfg.encounters["kinds"].values()]
    for a in cfg.allergies.values():
        found += [r[0] for r in a["reactions"]]
        if a["code"][0] == "http://snomed.info/sct":
            found.append(a["code"][1])
    found += [v[0] for v in cfg.social["smoking_status"]["values"].values()]
    found.append(cfg.no_known_allergy[1])
    return found


@pytest.mark.parametrize("code", sorted(set(all_loinc())))
def test_loinc_codes(code: str) -> None:
    assert LOINC.match(code) and loinc_ok(code), code


@pytest.mark.parametrize("code", sorted(set(all_snomed())))
def test_snomed_codes(code: str) -> None:
    assert snomed_ok(code), code


def test_icd10_rxnorm_cvx_nucc_formats() -> None:
    cfg = load_config()
    for key, cond in cfg.conditions.items():
        assert ICD10CM.match(cond["icd10"][0]), key
    for key, med in cfg.medications.items():
        assert med["rxnorm"].isdigit(), key
    for key, vac in cfg.vaccines.items():
        assert vac["cvx"][0].isdigit(), key
    for key, spec in cfg.facilities["specialties"].items():
        assert re.match(r"^[0-9]{3}[0-9A-Z]{6}X$", spec["taxonomy"][0]), key


def test_dangling_reference_is_a_clear_error() -> None:
    cfg = load_config()
    modules = copy.deepcopy(cfg.modules)
    modules[0]["treatment"] = [{"med": "no_such_drug", "at_diagnosis": True, "probability": 1}]
    broken = dataclasses.replace(cfg, modules=modules)
    with pytest.raises(ConfigError, match="no_such_drug"):
        check_config(broken)


def test_every_module_condition_and_drug_is_used() -> None:
    cfg = load_config()
    assert len(cfg.modules) >= 14
    keys = {m["key"] for m in cfg.modules}
    for needed in (
        "hypertension",
        "type2_diabetes",
        "ckd",
        "atrial_fibrillation",
        "heart_failure",
        "copd",
        "asthma",
        "hyperlipidemia",
        "hypothyroidism",
        "depression",
        "coronary_artery_disease",
        "obesity",
        "osteoarthritis",
        "gerd",
    ):
        assert needed in keys
