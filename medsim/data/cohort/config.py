"""Load and cross-check the cohort generator's data files.

Terminology lives in ``medsim/data/terminology/*.yaml`` and disease modules in
``medsim/data/cohort/modules/*.yaml``. Everything is read once (cached) into :class:`CohortConfig`;
:func:`check_config` verifies that every key a module refers to (condition, medication, panel,
procedure, event setting) exists, so a typo fails loudly at load time instead of producing a
silently incomplete cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from medsim.yamlload import safe_load

Data = dict[str, Any]

TERMINOLOGY_PACKAGE = "medsim.data.terminology"
MODULES_PACKAGE = "medsim.data.cohort.modules"
SPECIAL_MODULES = ("physiology", "acute", "preventive")
EVENT_SETTINGS = ("acute", "telehealth", "emergency", "inpatient")


class ConfigError(ValueError):
    """A cohort data file is missing, malformed or refers to an unknown key."""


def _read_yaml(package: str, name: str) -> Data:
    try:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"missing data file {package}/{name}") from exc
    loaded = safe_load(text)
    if not isinstance(loaded, dict):
        raise ConfigError(f"{package}/{name} must hold a mapping at top level")
    return loaded


@dataclass(frozen=True)
class CohortConfig:
    """All data the generator uses, as plain dicts keyed the way the YAML files key them."""

    conditions: Data
    medications: Data
    routes: Data
    frequencies: Data
    labs: Data
    panels: Data
    vitals: Data
    vital_sets: Data
    social: Data
    surveys: Data
    vaccines: Data
    vaccine_route: list[str]
    vaccine_site: list[str]
    procedures: Data
    screening: Data
    allergies: Data
    no_known_allergy: list[str]
    encounters: Data
    facilities: Data
    people: Data
    notes: Data
    physiology: Data
    modules: list[Data]
    acute_events: list[Data]
    preventive: Data

    def module(self, key: str) -> Data:
        """The disease module called ``key``."""
        for mod in self.modules:
            if mod["key"] == key:
                return mod
        raise ConfigError(f"unknown disease module {key!r}")


def _module_files() -> list[str]:
    root = resources.files(MODULES_PACKAGE)
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=1)
def load_config() -> CohortConfig:
    """Read every data file once and check the cross references."""
    term = {
        name: _read_yaml(TERMINOLOGY_PACKAGE, f"{name}.yaml")
        for name in (
            "conditions",
            "medications",
            "labs",
            "vitals",
            "vaccines",
            "procedures",
            "allergies",
            "encounters",
            "facilities",
            "people",
            "notes",
        )
    }
    modules: list[Data] = []
    special: dict[str, Data] = {}
    for name in _module_files():
        data = _read_yaml(MODULES_PACKAGE, name)
        stem = name[: -len(".yaml")]
        if stem in SPECIAL_MODULES:
            special[stem] = data
        else:
            if data.get("key") != stem:
                raise ConfigError(f"module file {name} must declare key: {stem}")
            modules.append(data)
    for stem in SPECIAL_MODULES:
        if stem not in special:
            raise ConfigError(f"missing module file {MODULES_PACKAGE}/{stem}.yaml")
    modules.sort(key=lambda m: (int(m.get("order", 1000)), m["key"]))
    cfg = CohortConfig(
        conditions=term["conditions"],
        medications=term["medications"]["medications"],
        routes=term["medications"]["routes"],
        frequencies=term["medications"]["frequencies"],
        labs=term["labs"]["labs"],
        panels=term["labs"]["panels"],
        vitals=term["vitals"]["vitals"],
        vital_sets=term["vitals"]["sets"],
        social=term["vitals"]["social"],
        surveys=term["vitals"]["surveys"],
        vaccines=term["vaccines"]["vaccines"],
        vaccine_route=term["vaccines"]["route"],
        vaccine_site=term["vaccines"]["site"],
        procedures=term["procedures"]["procedures"],
        screening=term["procedures"]["screening"],
        allergies=term["allergies"]["allergies"],
        no_known_allergy=term["allergies"]["no_known_allergy"],
        encounters=term["encounters"],
        facilities=term["facilities"],
        people=term["people"],
        notes=term["notes"],
        physiology=special["physiology"],
        modules=modules,
        acute_events=list(special["acute"].get("events", [])),
        preventive=special["preventive"],
    )
    check_config(cfg)
    return cfg


def _need(kind: str, key: str, table: Data, where: str) -> None:
    if key not in table:
        raise ConfigError(f"{where}: unknown {kind} {key!r}")


def _check_event(cfg: CohortConfig, event: Data, where: str) -> None:
    where = f"{where} event {event.get('key')!r}"
    _need("condition", event["condition"], cfg.conditions, where)
    for setting in event.get("setting", {}):
        if setting not in EVENT_SETTINGS:
            raise ConfigError(f"{where}: unknown setting {setting!r}")
    for field in ("labs", "daily_labs", "repeat_labs"):
        for panel in event.get(field, []):
            _need("panel", panel, cfg.panels, where)
    for field in ("procedures", "inpatient_procedures", "clinic_procedures"):
        for proc in event.get(field, []):
            _need("procedure", proc, cfg.procedures, where)
    for field in ("inpatient_meds", "outpatient_meds", "ed_meds"):
        for med in event.get(field, []):
            _need("medication", med, cfg.medications, where)
    for var in event.get("effects", {}):
        _need("variable", var, cfg.physiology["variables"], where)


def check_config(cfg: CohortConfig) -> None:
    """Raise :class:`ConfigError` naming the first dangling reference."""
    variables = cfg.physiology["variables"]
    for key, med in cfg.medications.items():
        where = f"medication {key!r}"
        _need("route", med["route"], cfg.routes, where)
        _need("frequency", med["frequency"], cfg.frequencies, where)
        if "alternative" in med:
            _need("medication", med["alternative"], cfg.medications, where)
        for eff in med.get("effects", {}):
            var = eff.split(".")[0]
            if var != "exacerbation_rate":
                _need("variable", var, variables, where)
    for key, panel in cfg.panels.items():
        for test in panel["tests"]:
            _need("lab", test, cfg.labs, f"panel {key!r}")
    for key, lab in cfg.labs.items():
        if "var" in lab:
            _need("variable", lab["var"], variables, f"lab {key!r}")
    for mod in cfg.modules:
        where = f"module {mod['key']!r}"
        _need("condition", mod["condition"], cfg.conditions, where)
        for step in mod.get("treatment", []):
            _need("medication", step["med"], cfg.medications, where)
            for src in step.get("from", []):
                _need("medication", src, cfg.medications, where)
        for mon in mod.get("monitoring", []):
            _need("panel", mon["panel"], cfg.panels, where)
        for proc in mod.get("procedures", []):
            _need("procedure", proc["key"], cfg.procedures, where)
        for stage in mod.get("staging", {}).get("stages", []):
            _need("condition", stage[1], cfg.conditions, where)
        for var in list(mod.get("effects", {})) + list(mod.get("slopes", {})):
            _need("variable", var, variables, where)
        if "specialist" in mod:
            _need("specialty", mod["specialist"]["specialty"], cfg.facilities["specialties"], where)
        for event in mod.get("events", []):
            _check_event(cfg, event, where)
    for event in cfg.acute_events:
        _check_event(cfg, event, "acute.yaml")
    for rule in cfg.physiology.get("findings", []):
        _need("lab", rule["lab"], cfg.labs, "physiology findings")
        _need("condition", rule["condition"], cfg.conditions, "physiology findings")
    for item in cfg.preventive.get("wellness_panels", []):
        _need("panel", item["panel"], cfg.panels, "preventive.yaml")
    for name, members in cfg.vital_sets.items():
        for vital in members:
            _need("vital", vital, cfg.vitals, f"vital set {name!r}")
    for key, kind in cfg.encounters["kinds"].items():
        _need("document", kind["note"], cfg.notes["documents"], f"encounter kind {key!r}")
