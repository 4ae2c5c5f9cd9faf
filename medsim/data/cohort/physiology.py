"""Latent physiology: why a patient's labs and vitals move the way they do.

Each patient carries the variables of ``modules/physiology.yaml`` (blood pressure, HbA1c, true
eGFR, potassium, LDL, ...). A value at time *t* is the personal baseline, plus age drift, plus
every active *effect* — a disease from its onset (add / mul / slope), a drug while it is taken, an
acute event fading over its course — plus measurement noise. Reported tests are read from one
:class:`Draw` per blood draw; tests that are computed in real laboratories (creatinine from the
true filtration rate, the reported eGFR from the measured creatinine, LDL-based total cholesterol,
hematocrit, PT) use the named formulas in :data:`DERIVATIONS`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from medsim.data.cohort.clock import age_years, years_between

Spec = dict[str, Any]


@dataclass(slots=True)
class Effect:
    """One influence on a variable: ``op`` is add, mul (fraction), slope (per year) or target."""

    var: str
    op: str
    value: float
    start: datetime
    end: datetime | None = None
    decay: bool = False  # fades linearly from full strength at start to zero at end

    def weight(self, t: datetime) -> float:
        """How strongly the effect acts at ``t`` (0 when inactive)."""
        if t < self.start or (self.end is not None and t >= self.end):
            return 0.0
        if self.decay and self.end is not None:
            span = (self.end - self.start).total_seconds()
            return max(0.0, 1.0 - (t - self.start).total_seconds() / span) if span > 0 else 0.0
        return 1.0


def _mean(spec: Spec, sex: str) -> float:
    mean = spec["mean"]
    return float(mean[sex] if isinstance(mean, dict) else mean)


class Physiology:
    """The latent state of one patient over time."""

    def __init__(
        self, variables: Spec, target_spread: Spec, rng: random.Random, sex: str, birth_date: date
    ) -> None:
        self.variables = variables
        self.target_spread = target_spread
        self.rng = rng
        self.sex = sex
        self.birth_date = birth_date
        self.baseline = {
            name: rng.gauss(_mean(spec, sex), float(spec["sd"])) for name, spec in variables.items()
        }
        self.effects: dict[str, list[Effect]] = defaultdict(list)

    def add(self, effect: Effect) -> Effect:
        """Register an effect (kept so a drug's effect can be ended when it is stopped)."""
        self.effects[effect.var].append(effect)
        return effect

    def true_value(self, var: str, t: datetime) -> float:
        """The noise-free value of ``var`` at ``t`` (before clipping to the variable's range)."""
        spec = self.variables[var]
        value = self.baseline[var]
        age_from = spec.get("age_from")
        if age_from is not None:
            value += float(spec["age_slope"]) * max(
                0.0, years_between(self._birth_dt(t), t) - age_from
            )
        if "slope" in spec:
            value += float(spec["slope"]) * max(0.0, years_between(self._birth_dt(t), t) - 40.0)
        factor = 1.0
        target: float | None = None
        for eff in self.effects.get(var, ()):
            if eff.op == "slope":
                if t > eff.start:
                    stop = t if eff.end is None or t < eff.end else eff.end
                    value += eff.value * years_between(eff.start, stop)
                continue
            w = eff.weight(t)
            if w == 0.0:
                continue
            if eff.op == "add":
                value += eff.value * w
            elif eff.op == "mul":
                factor *= 1.0 + eff.value * w
            elif eff.op == "target":
                target = eff.value
        if target is not None:
            return target
        return value * max(factor, 0.02)

    def _birth_dt(self, t: datetime) -> datetime:
        return datetime(
            self.birth_date.year, self.birth_date.month, self.birth_date.day, tzinfo=t.tzinfo
        )

    def clip(self, var: str, value: float) -> float:
        """Clip to the variable's physiological range."""
        spec = self.variables[var]
        return min(max(value, float(spec["min"])), float(spec["max"]))

    def draw(self, t: datetime) -> Draw:
        """One measurement occasion (a blood draw or a set of vitals) at ``t``."""
        latent: dict[str, float] = {}
        for var, spec in self.variables.items():
            value = self.true_value(var, t)
            if var in self.target_spread and any(
                e.op == "target" and e.weight(t) for e in self.effects.get(var, ())
            ):
                value += self.rng.gauss(0.0, float(self.target_spread[var]))
            else:
                value += self.rng.gauss(0.0, float(spec["noise"]))
            latent[var] = self.clip(var, value)
        return Draw(latent, age_years(self.birth_date, t), self.sex, self.rng)


class Draw:
    """Values measured on one occasion; reported tests are rounded like a laboratory would."""

    def __init__(self, latent: dict[str, float], age: int, sex: str, rng: random.Random) -> None:
        self.latent = latent
        self.age = age
        self.sex = sex
        self.rng = rng
        self.measured: dict[str, float] = {}

    def measure(self, key: str, spec: Spec, catalog: Spec) -> float:
        """The reported value of test/vital ``key`` (computed once per draw)."""
        if key in self.measured:
            return self.measured[key]
        if "var" in spec:
            raw = self.latent[spec["var"]]
        else:
            raw = DERIVATIONS[spec["derive"]](self, catalog)
        decimals = int(spec.get("decimals", 1))
        value: float = round(raw, decimals) if decimals else int(round(raw))
        self.measured[key] = value
        return value


def egfr_ckd_epi_2021(creatinine: float, age: int, female: bool) -> float:
    """CKD-EPI 2021 (race-free) creatinine equation, mL/min/1.73 m2."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine / kappa
    sex_factor = 1.012 if female else 1.0
    return 142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.2 * 0.9938**age * sex_factor


def creatinine_for_egfr(egfr: float, age: int, female: bool) -> float:
    """Inverse of :func:`egfr_ckd_epi_2021`: the serum creatinine that yields ``egfr``."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    base = 142.0 * 0.9938**age * (1.012 if female else 1.0)
    ratio = egfr / base
    if ratio <= 1.0:
        return kappa * ratio ** (-1.0 / 1.2)
    return kappa * ratio ** (1.0 / alpha)


def _creatinine(d: Draw, catalog: Spec) -> float:
    return creatinine_for_egfr(d.latent["egfr"], d.age, d.sex == "female")


def _egfr(d: Draw, catalog: Spec) -> float:
    scr = d.measure("creatinine", catalog["creatinine"], catalog)
    return min(egfr_ckd_epi_2021(max(scr, 0.1), d.age, d.sex == "female"), 150.0)


def _bun(d: Draw, catalog: Spec) -> float:
    return max(4.0, 13.0 * (95.0 / max(d.latent["egfr"], 5.0)) ** 0.8 * d.rng.gauss(1.0, 0.12))


def _glucose(d: Draw, catalog: Spec) -> float:
    return max(55.0, (28.7 * d.latent["hba1c"] - 46.7) * 0.82 + d.rng.gauss(0.0, 9.0))


def _poc_glucose(d: Draw, catalog: Spec) -> float:
    return max(45.0, (28.7 * d.latent["hba1c"] - 46.7) + d.rng.gauss(0.0, 28.0))


def _hematocrit(d: Draw, catalog: Spec) -> float:
    return d.latent["hgb"] * 2.96 + d.rng.gauss(0.0, 0.7)


def _total_cholesterol(d: Draw, catalog: Spec) -> float:
    ldl = d.measure("ldl", catalog["ldl"], catalog)
    hdl = d.measure("hdl", catalog["hdl"], catalog)
    tg = d.measure("triglycerides", catalog["triglycerides"], catalog)
    return ldl + hdl + tg / 5.0  # Friedewald, the relation the calculated LDL is defined by


def _pt(d: Draw, catalog: Spec) -> float:
    return 12.0 * d.latent["inr"] ** (1.0 / 1.1) + d.rng.gauss(0.0, 0.3)


def _weight(d: Draw, catalog: Spec) -> float:
    return d.latent["bmi"] * (d.latent["height"] / 100.0) ** 2


def _bmi(d: Draw, catalog: Spec) -> float:
    weight = d.measure("weight", catalog["body_weight"], catalog)
    return weight / (d.latent["height"] / 100.0) ** 2


DERIVATIONS: dict[str, Callable[[Draw, Spec], float]] = {
    "creatinine_from_egfr": _creatinine,
    "egfr_from_creatinine": _egfr,
    "bun_from_egfr": _bun,
    "glucose_from_hba1c": _glucose,
    "poc_glucose_from_hba1c": _poc_glucose,
    "hematocrit_from_hgb": _hematocrit,
    "total_cholesterol": _total_cholesterol,
    "pt_from_inr": _pt,
    "weight_from_bmi": _weight,
    "bmi_from_weight": _bmi,
}
