"""MedCalc-EHR-v0 tasks: the MedCalc questions where the inputs must be found in a cohort
patient's FHIR record (MedMCP-Calc style).

For each case: a cohort patient eligible for the calculator, a clinical "now" after the cohort's
history, sampled lab/vital values written as overlay Observations (the latest of their codes),
yes/no criteria read from the patient's own Conditions and MedicationRequests plus a few the
overlay adds, age and sex from the Patient resource. The truth is computed from exactly those
chart facts; checkpoints check the calculator chosen, the inputs passed, each input retrieved
and the final value.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from medsim.calculators import CalculatorError, compute, get
from medsim.calculators.units import convert

from ..grading import AnswerRule, rule_for
from . import plausible
from . import resources as fhir
from .chart import PatientChart, cohort_charts
from .data import load
from .ehr_steps import Plan, controls, reference_actions, retrieval_checkpoints
from .methods import WrongAnswer, wrong_answers
from .sampling import Redraw, draw_value, evaluate
from .v0 import FORMAT_HINT, schema_units

SUITE = "medcalc_ehr"
TOOLS = ["fhir_search", "fhir_read", "list_calculators", "calculate", "finish"]
MAX_ATTEMPTS = 300
PATIENT_ATTEMPTS = 25  # draws per patient before another one is chosen
INSTRUCTION = (
    "Patient {patient}. {question} Use the most recent results in the patient's electronic "
    "health record (FHIR) as of now. {hint}"
)


class EhrBuilder:
    """Builds the MedCalc-EHR-v0 tasks of one calculator."""

    def __init__(self, calc_id: str, seed: int) -> None:
        self.calc = get(calc_id)
        self.seed = seed
        self.cfg = load("ehr.yaml")
        self.spec = self.cfg["calculators"][calc_id]
        self.units, _, self.required = schema_units(self.calc)
        v0 = load("cases.yaml")["calculators"][calc_id]
        self.question = " ".join(str(self.spec.get("question", v0["question"])).split())

    # ---- patients ----------------------------------------------------------------------------

    def eligible(self, now: datetime) -> list[PatientChart]:
        """Cohort patients in the age range with nothing ambiguous for this calculator."""
        lo, hi = self.spec.get("age", [18, 95])
        bad_conditions = {self.cfg["ambiguous"][k] for k in self.spec.get("exclude_conditions", [])}
        bad_meds = set(self.spec.get("exclude_medications", []))
        out = []
        for chart in sorted(cohort_charts().values(), key=lambda c: c.id):
            if not lo <= chart.age(now) <= hi or chart.gender not in ("male", "female"):
                continue
            if chart.condition_statuses(bad_conditions) or chart.has_medication(bad_meds):
                continue
            if any(self._ambiguous(chart, name) for name in self._criteria()):
                continue
            out.append(chart)
        return out

    def _criteria(self) -> list[str]:
        specs = [*self.spec["inputs"].values()]
        for variant in self.spec.get("variants", []):
            specs.extend(variant.values())
        return [s["criterion"] for s in specs if isinstance(s, dict) and "criterion" in s]

    def _codes(self, criterion: str) -> set[str]:
        crit = self.cfg["criteria"][criterion]
        return {self.cfg["conditions"][c]["snomed"] for c in crit.get("conditions", [])}

    def _ambiguous(self, chart: PatientChart, criterion: str) -> bool:
        """An active-only criterion the patient has in another status (e.g. resolved)."""
        crit = self.cfg["criteria"][criterion]
        if crit.get("history") or "conditions" not in crit:
            return False
        return bool(chart.condition_statuses(self._codes(criterion)) - {"active"})

    # ---- one case ----------------------------------------------------------------------------

    def task(self, n: int) -> dict[str, Any]:
        rng = random.Random(f"medcalc-ehr-v0:{self.seed}:{self.calc.id}:{n}")
        start = datetime(2025, 2, 3, tzinfo=UTC)
        now = start + timedelta(days=rng.randint(0, 120), hours=rng.randint(8, 16))
        patients = self.eligible(now)
        if not patients:
            raise RuntimeError(f"{self.calc.id}: no eligible cohort patient")
        chart = rng.choice(patients)
        error = ""
        for attempt in range(MAX_ATTEMPTS):
            if attempt and attempt % PATIENT_ATTEMPTS == 0:  # this patient's chart will not do
                chart = rng.choice(patients)
            try:
                plan = self.plan(chart, now, rng)
                plan.truth = compute(self.calc.id, plan.inputs).value
            except (Redraw, CalculatorError) as exc:
                error = str(exc)
                continue
            alternatives = self.spec.get("alternatives", [])
            answers = wrong_answers(self.calc.id, plan.inputs, self.units, alternatives)
            rule = rule_for(self.calc, plan.truth).narrowed(a.value for a in answers)
            if rule is None:
                error = "a wrong method's answer is too close to the truth"
                continue
            return self.build_task(n, plan, rule, answers, rng)
        raise RuntimeError(f"{self.calc.id}: no valid case in {MAX_ATTEMPTS} draws ({error})")

    def plan(self, chart: PatientChart, now: datetime, rng: random.Random) -> Plan:
        """Sample the case: values, overlay resources, the inputs as the chart states them."""
        plan = Plan(calc_id=self.calc.id, patient=chart, now=now)
        inputs_spec = dict(self.spec["inputs"])
        variants = self.spec.get("variants")
        if variants:
            inputs_spec.update(rng.choice(variants))
        values: dict[str, Any] = {}
        shown_units: dict[str, str] = {}
        for name, spec in inputs_spec.items():
            if spec == "patient":
                values[name] = chart.age(now) if name == "age" else chart.gender
                plan.uses_patient = True
            elif "criterion" in spec:
                plan.criteria[name] = spec["criterion"]
                values[name] = self.criterion(spec["criterion"], chart, now, rng, plan)
            elif "derive" in spec:
                plan.derives[name] = str(spec["derive"])
                values[name] = bool(evaluate(str(spec["derive"]), values))
            else:
                if "obs" in spec and spec["obs"] in self.cfg["observations"]:
                    loinc = str(self.cfg["observations"][spec["obs"]]["loinc"])
                    spec = plausible.narrowed_spec(spec, loinc, chart.id, now)
                value = draw_value(spec, rng, values, now.date())
                if "min" in spec and value < spec["min"] or "max" in spec and value > spec["max"]:
                    raise Redraw(f"{name} = {value} out of range")
                values[name] = value
                for unit, prob in (spec.get("alt") or {}).items():
                    if rng.random() < float(prob):
                        shown_units[name] = str(unit)
                        break
        for expr in self.spec.get("require", []):
            if not evaluate(expr, values):
                raise Redraw(f"requirement {expr!r} failed")
        times = self.chart_observations(plan, inputs_spec, values, shown_units, rng)
        charted = {
            name: spec["obs"]
            for name, spec in inputs_spec.items()
            if isinstance(spec, dict) and "obs" in spec
        }
        plan.overlay += plausible.derived_observations(
            self.cfg, chart.id, values, charted, times, chart.age(now), chart.gender
        )
        for name in self.spec.get("context", []):
            self.add_context(plan, name, chart, now)
        plausible.check(plan.overlay, chart.id, now)
        plan.values = values
        plan.inputs = {k: plan.shown.get(k, v) for k, v in values.items() if not k.startswith("_")}
        return plan

    def criterion(
        self, name: str, chart: PatientChart, now: datetime, rng: random.Random, plan: Plan
    ) -> bool:
        """Whether the chart shows ``name``; the overlay may add it (with probability ``add``)."""
        crit = self.cfg["criteria"][name]
        if "medications" in crit:
            codes = {self.cfg["medications"][m]["rxnorm"] for m in crit["medications"]}
            present = chart.has_medication(codes)
        else:
            present = chart.has_condition(self._codes(name), now, bool(crit.get("history")))
        if not present and rng.random() < float(crit.get("add", 0)):
            self.add_criterion(plan, name)
            present = True
        if present:
            plan.present.append(name)
        return present

    def add_criterion(self, plan: Plan, name: str) -> None:
        crit = self.cfg["criteria"][name]
        systems = {"snomed": self.cfg["snomed"], "icd10": self.cfg["icd10"]}
        for med in crit.get("medications", []):
            concept = self.cfg["medications"][med]
            plan.overlay.append(
                fhir.medication_request(concept, self.cfg["rxnorm"], crit["authored"])
            )
        for cond in crit.get("conditions", [])[:1]:
            plan.overlay.append(
                fhir.condition(
                    self.cfg["conditions"][cond],
                    systems,
                    crit["onset"],
                    crit.get("status", "active"),
                    crit.get("category", "problem-list-item"),
                )
            )

    def add_context(self, plan: Plan, name: str, chart: PatientChart, now: datetime) -> None:
        """A condition that frames the question (AF for CHA2DS2-VASc), unless charted."""
        concept = self.cfg["conditions"][name]
        if chart.has_condition({concept["snomed"]}, now, history=False):
            return
        systems = {"snomed": self.cfg["snomed"], "icd10": self.cfg["icd10"]}
        acute = name == "pneumonia"
        plan.overlay.append(
            fhir.condition(
                concept,
                systems,
                "@now-P1D" if acute else "@today-P60D",
                category="encounter-diagnosis" if acute else "problem-list-item",
            )
        )

    def chart_observations(
        self,
        plan: Plan,
        inputs_spec: dict[str, Any],
        values: dict[str, Any],
        shown_units: dict[str, str],
        rng: random.Random,
    ) -> dict[str, str]:
        """Overlay Observations for every charted input (one panel for the blood pressure);
        returns the overlay time of each category (laboratory, vital-signs)."""
        obs_cfg = self.cfg["observations"]
        lab_time = f"@now-PT{rng.randint(2, 11)}H"
        vital_time = f"@now-PT{rng.randint(1, 5)}H"
        panels: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        for name, spec in inputs_spec.items():
            if not isinstance(spec, dict) or "obs" not in spec:
                continue
            concept = obs_cfg[spec["obs"]]
            when = lab_time if concept["category"] == "laboratory" else vital_time
            value = values[name]
            unit, ucum, calc_unit = concept["unit"], concept["ucum"], concept.get("calc_unit")
            if name in shown_units:
                alt = concept["alt"][shown_units[name]]
                raw = convert(float(value), str(calc_unit), shown_units[name])
                value = round(raw, int(alt.get("dp", 1)))
                unit, ucum, calc_unit = alt["unit"], alt["ucum"], shown_units[name]
            canonical = self.units.get(name.lstrip("_"))
            if calc_unit and canonical and calc_unit != canonical:
                plan.shown[name] = {"value": value, "unit": calc_unit}
            else:
                plan.shown[name] = value
            plan.concepts.setdefault(concept.get("panel", spec["obs"]), []).append(name)
            if "panel" in concept:
                panels.setdefault(concept["panel"], []).append((concept, value))
                continue
            plan.overlay.append(
                fhir.observation(concept, self.cfg["loinc"], value, unit, ucum, when)
            )
        for panel_name, components in panels.items():
            pcfg = self.cfg["panels"][panel_name]
            plan.overlay.append(fhir.panel(pcfg, self.cfg["loinc"], components, vital_time))
        return {"laboratory": lab_time, "vital-signs": vital_time}

    # ---- the task ----------------------------------------------------------------------------

    def build_task(
        self,
        n: int,
        plan: Plan,
        rule: AnswerRule,
        answers: list[WrongAnswer],
        rng: random.Random,
    ) -> dict[str, Any]:
        calc = self.calc
        pid = plan.patient.id
        expected = compute(calc.id, plan.inputs).inputs
        checkpoints: list[dict[str, Any]] = [
            {
                "id": "calculator",
                "grader": "calculator_used",
                "params": {"calculator": calc.id},
                "description": f"The agent chose the right calculator ({calc.name}).",
            },
            {
                "id": "inputs",
                "grader": "calculator_used",
                "params": {
                    "calculator": calc.id,
                    "inputs": {k: _tidy(expected[k]) for k in plan.inputs},
                },
                "description": "It passed the chart's values (in any unit the tool converts).",
            },
            *retrieval_checkpoints(self.cfg, plan),
        ]
        answer = rule.checkpoint()
        answer["weight"] = dyadic_weights(checkpoints)
        checkpoints.append(answer)
        reference = reference_actions(plan, self.cfg)
        question = self.question.format(**plan.inputs)
        return {
            "id": f"medcalc-ehr-{calc.id}-{n:02d}",
            "suite": SUITE,
            "version": 0,
            "split": "test",
            "specialty": "internal_medicine",
            "workflow": "calculation",
            "patient": pid,
            "now": plan.now.isoformat(),
            "instruction": INSTRUCTION.format(
                patient=pid, question=question, hint=FORMAT_HINT[rule.kind]
            ),
            "context": f"It is now {plan.now.isoformat()}.",
            "tools": list(TOOLS),
            "max_steps": 20,
            "overlay": plan.overlay,
            "checkpoints": checkpoints,
            "reference_solution": reference,
            "negative_controls": controls(
                plan, rule, self.cfg, self.units, self.required, rng, answers
            ),
            "metadata": {
                "difficulty": "hard" if plan.present or len(plan.concepts) >= 4 else "medium",
                "tags": [calc.category, calc.id, f"medcalc-{calc.medcalc_id}", "ehr"],
                "source": (
                    f"medsim MedCalc-EHR-v0 generator (seed {self.seed}); {calc.name} on cohort "
                    f"patient {pid}; truth from medsim.calculators over the chart"
                ),
            },
        }


def dyadic_weights(process: list[dict[str, Any]]) -> float:
    """Give the process checkpoints integer weights and return the answer's weight (half the
    total), with a total that is a power of two: every checkpoint's share of the score is then
    exact in binary floating point, so a perfect run sums to exactly 1.0. The first checkpoints
    (calculator, inputs) get the remainder."""
    n = len(process)
    total = 2
    while total < 2 * n:
        total *= 2
    half = total // 2
    base, extra = divmod(half, n)
    for i, spec in enumerate(process):
        spec["weight"] = float(base + (1 if i < extra else 0))
    return float(half)


def _tidy(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def calculator_ids() -> list[str]:
    """The calculators MedCalc-EHR-v0 covers (in MedCalc-Bench id order)."""
    chosen = set(load("ehr.yaml")["calculators"])
    return [c for c in sorted(chosen, key=lambda i: (get(i).medcalc_id or 999, i))]


def build(
    seed: int = 0, per_calculator: int = 4, ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every MedCalc-EHR-v0 task."""
    tasks: list[dict[str, Any]] = []
    for calc_id in ids or calculator_ids():
        builder = EhrBuilder(calc_id, seed)
        tasks.extend(builder.task(n) for n in range(1, per_calculator + 1))
    return tasks
