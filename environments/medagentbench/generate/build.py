"""Task dicts of MedAgentBench-v0: instruction, overlay, checkpoints, reference solution (text
protocol) and negative controls for one (category, patient, scenario)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from medsim.environments.medagentbench.answers import age_on, k_dose, latest, mg_tier
from medsim.environments.medagentbench.chart import suite_now
from medsim.environments.medagentbench.generate.payloads import Payloads
from medsim.environments.medagentbench.generate.scenarios import Scenario
from medsim.environments.medagentbench.prompts import PROTOCOL_PATH
from medsim.yamlload import safe_load

Json = dict[str, Any]
BASE = "http://localhost:8080/fhir/"
TOOLS = ["fhir_search", "fhir_read", "fhir_create", "finish"]
SOURCE = (
    "MedAgentBench (Jiang et al., NEJM AI 2025, doi 10.1056/AIdbp2500144), test_data_v2 "
    "template {n}; thresholds and doses as in the original"
)
CATEGORIES_PATH = PROTOCOL_PATH.parent / "categories.yaml"
BREAKDOWN_PATH = PROTOCOL_PATH.parent / "breakdown.yaml"


def breakdown_specs(category: str, orders: bool, values: Json) -> list[Json]:
    """The medsim checkpoints reported beside the pass/fail (``data/breakdown.yaml``)."""
    table: Json = safe_load(BREAKDOWN_PATH.read_text(encoding="utf-8"))
    key = category if category in table else f"{category}.{'order' if orders else 'no_order'}"
    return [_fill(spec, values) for spec in table[key]]


def _fill(obj: Any, values: Json) -> Any:
    if isinstance(obj, dict):
        return {k: _fill(v, values) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, values) for v in obj]
    if isinstance(obj, str) and obj.startswith("{") and obj.endswith("}") and obj[1:-1] in values:
        return values[obj[1:-1]]
    return obj


def templates() -> Json:
    data: Json = safe_load(CATEGORIES_PATH.read_text(encoding="utf-8"))
    return data


def get(path: str) -> str:
    return f"GET {BASE}{path}"


def post(rtype: str, body: Json) -> str:
    return f"POST {BASE}{rtype}\n{json.dumps(body)}"


def finish(*values: Any) -> str:
    return f"FINISH({json.dumps(list(values))})"


def _since(hours: int) -> str:
    return (suite_now() - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Builder(Payloads):
    """Builds the task dicts of one patient."""

    def __init__(self, patient: Json, other_mrn: str) -> None:
        self.p = patient
        self.mrn = patient["id"]
        self.other = other_mrn
        self.now = suite_now().isoformat()

    def task(self, category: str, task_id: str, split: str, sc: Scenario, facts: Json) -> Json:
        tpl = templates()[category]
        fill = {
            "mrn": self.mrn,
            "now": self.now,
            "given": facts.get("given", ""),
            "family": facts.get("family", ""),
            "birthdate": facts.get("birthdate", ""),
            "bp": facts.get("bp", ""),
            "comment": templates()["sbar"],
        }
        params: Json = {"category": category, "rules": "fixed"}
        if category == "task1":
            params.update(given=fill["given"], family=fill["family"], birthdate=fill["birthdate"])
        if category == "task3":
            params["bp"] = fill["bp"]
        if category == "task8":
            params["comment"] = fill["comment"]
        reference, controls, values = getattr(self, f"_{category}")(sc, facts, fill)
        orders = any(isinstance(a, str) and a.startswith("POST") for a in reference)
        breakdown = breakdown_specs(category, orders, values)
        checkpoints = [
            {
                "id": "medagentbench_pass",
                "grader": "medagentbench_pass",
                "params": params,
                "description": "MedAgentBench's pass/fail for this task (the score).",
            },
            *[{**c, "weight": 0.0} for c in breakdown],
        ]
        return {
            "id": task_id,
            "suite": "medagentbench",
            "version": 0,
            "split": split,
            "specialty": "internal_medicine",
            "workflow": tpl["workflow"],
            "patient": self.mrn,
            "now": self.now,
            "instruction": tpl["instruction"].format(**fill),
            "context": tpl["context"].format(**fill),
            "tools": TOOLS,
            "max_steps": 8,
            "overlay": sc.overlay,
            "checkpoints": checkpoints,
            "reference_solution": reference,
            "negative_controls": [
                {"name": name, "actions": actions, "max_score": 0.0, "why": why}
                for name, actions, why in controls
            ],
            "metadata": {
                "difficulty": "easy" if tpl["workflow"] == "query" else "medium",
                "tags": [f"category:{tpl['name']}", f"mab:{category}", f"branch:{sc.branch}"],
                "source": SOURCE.format(n=category),
            },
        }

    def _obs_get(self, code: str, since_hours: int | None = None) -> str:
        date = f"&date=ge{_since(since_hours)}" if since_hours else ""
        return get(f"Observation?patient={self.mrn}&code={code}{date}&_count=5000")

    def _task1(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        lookup = get(
            f"Patient?given={fill['given']}&family={fill['family']}&birthdate={fill['birthdate']}"
        )
        found = sc.branch == "found"
        answer = self.mrn if found else "Patient not found"
        wrong = "Patient not found" if found else self.other
        controls = [
            ("wrong_answer", [lookup, finish(wrong)], "reports the other outcome of the lookup"),
            ("other_patient", [lookup, finish(self.other)], "answers another patient's MRN"),
        ]
        return [lookup, finish(answer)], controls, {}

    def _task2(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        lookup = get(f"Patient?identifier={self.mrn}")
        age = age_on(date.fromisoformat(facts["birthdate_true"]), suite_now().date())
        controls = [
            ("age_plus_one", [lookup, finish(age + 1)], "rounds the age up instead of down"),
            (
                "posts",
                [lookup, post("Observation", self.bp_obs("120/80 mmHg")), finish(age)],
                "right age, but writes to the chart in a query task",
            ),
        ]
        return [lookup, finish(age)], controls, {}

    def _task3(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        bp = fill["bp"]
        wrong_bp = "120/80 mmHg" if bp != "120/80 mmHg" else "118/77 mmHg"
        controls = [
            (
                "wrong_value",
                [post("Observation", self.bp_obs(wrong_bp)), finish()],
                "records another value",
            ),
            (
                "wrong_patient",
                [post("Observation", self.bp_obs(bp, self.other)), finish()],
                "records the value in another patient's chart",
            ),
            ("nothing_recorded", [finish()], "finishes without recording"),
        ]
        return [post("Observation", self.bp_obs(bp)), finish()], controls, {"bp": bp}

    def _mg(self, sc: Scenario) -> Any:
        return latest(sc.readings.get("MG", []), suite_now() - timedelta(hours=24))

    def _task4(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        query = self._obs_get("MG", 24)
        last = self._mg(sc)
        value = last.value if last else -1
        older = latest(sc.readings.get("MG", []))
        wrong = -1 if last else (older.value if older else 2.0)
        controls = [
            (
                "wrong_value",
                [query, finish(wrong)],
                "reports a value outside the 24 h window / -1 when one exists",
            ),
            (
                "posts",
                [query, post("Observation", self.bp_obs("120/80 mmHg")), finish(value)],
                "right value, but writes to the chart in a query task",
            ),
        ]
        return (
            [query, finish(value)],
            controls,
            {},
        )

    def _task5(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        query = self._obs_get("MG", 24)
        last = self._mg(sc)
        tier = mg_tier(last.value) if last else None
        answer = [last.value] if last else [-1]
        if tier:
            grams, hours = tier
            other = (2.0, 2.0) if tier != (2.0, 2.0) else (1.0, 1.0)
            ref = [query, post("MedicationRequest", self.mg_order(grams, hours)), finish(*answer)]
            controls = [
                (
                    "wrong_tier",
                    [query, post("MedicationRequest", self.mg_order(*other)), finish(*answer)],
                    "orders the dose of another severity tier",
                ),
                ("no_order", [query, finish(*answer)], "sees the low magnesium but orders nothing"),
                (
                    "double_order",
                    [
                        query,
                        post("MedicationRequest", self.mg_order(grams, hours)),
                        post("MedicationRequest", self.mg_order(grams, hours)),
                        finish(*answer),
                    ],
                    "orders the replacement twice",
                ),
            ]
        else:
            ref = [query, finish(*answer)]
            controls = [
                (
                    "order_not_needed",
                    [query, post("MedicationRequest", self.mg_order(1, 1)), finish(*answer)],
                    "orders magnesium although none is indicated (normal or no value in 24 h)",
                ),
                (
                    "order_severe",
                    [query, post("MedicationRequest", self.mg_order(4, 4)), finish()],
                    "orders the severe-deficiency dose without a low value",
                ),
            ]
        return ref, controls, {"grams": tier[0]} if tier else {}

    def _task6(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        query = self._obs_get("GLU", 24)
        since = suite_now() - timedelta(hours=24)
        pool = [r.value for r in sc.readings.get("GLU", []) if r.when >= since]
        mean = round(sum(pool) / len(pool), 2) if pool else -1
        every = [r.value for r in sc.readings.get("GLU", [])]
        wrong = (
            round(sum(every) / len(every), 2)
            if every and len(every) != len(pool)
            else (round(mean + 15, 2) if pool else 110.0)
        )
        controls = [
            (
                "wrong_mean",
                [query, finish(wrong)],
                "averages outside the 24 h window (or invents a value)",
            ),
            (
                "posts",
                [query, post("Observation", self.bp_obs("120/80 mmHg")), finish(mean)],
                "right mean, but writes to the chart in a query task",
            ),
        ]
        return (
            [query, finish(mean)],
            controls,
            {},
        )

    def _task7(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        query = self._obs_get("GLU")
        items = sc.readings.get("GLU", [])
        value = items[-1].value
        wrong = items[0].value if items[0].value != value else value + 10
        controls = [
            (
                "oldest_value",
                [query, finish(wrong)],
                "reports the earliest reading, not the latest",
            ),
            (
                "posts",
                [query, post("Observation", self.bp_obs("120/80 mmHg")), finish(value)],
                "right value, but writes to the chart in a query task",
            ),
        ]
        return [query, finish(value)], controls, {}

    def _task8(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        note = [{"text": fill["comment"]}]
        good = self.service(
            "http://snomed.info/sct",
            "306181000000106",
            "Referral to orthopedic surgery service",
            note=note,
        )
        no_note = {k: v for k, v in good.items() if k != "note"}
        wrong_code = {
            **good,
            "code": {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "3457005",
                        "display": "Patient referral",
                    }
                ]
            },
        }
        controls = [
            (
                "no_sbar",
                [post("ServiceRequest", no_note), finish()],
                "referral without the SBAR text",
            ),
            (
                "wrong_code",
                [post("ServiceRequest", wrong_code), finish()],
                "referral under another SNOMED code",
            ),
        ]
        return [post("ServiceRequest", good), finish()], controls, {}

    def _task9(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        query = self._obs_get("K")
        last = latest(sc.readings.get("K", []))
        assert last is not None
        if last.value < 3.5:
            dose = round(k_dose(last.value), 1)
            ref = [
                query,
                post("MedicationRequest", self.k_order(dose)),
                post("ServiceRequest", self.k_lab()),
                finish(last.value),
            ]
            controls = [
                (
                    "no_next_morning_lab",
                    [query, post("MedicationRequest", self.k_order(dose)), finish(last.value)],
                    "replaces potassium but forgets the next-morning potassium",
                ),
                (
                    "wrong_dose",
                    [
                        query,
                        post("MedicationRequest", self.k_order(dose + 20)),
                        post("ServiceRequest", self.k_lab()),
                        finish(last.value),
                    ],
                    "orders 20 mEq more than the rule gives",
                ),
            ]
        else:
            ref = [query, finish(last.value)]
            controls = [
                (
                    "order_not_needed",
                    [
                        query,
                        post("MedicationRequest", self.k_order(10)),
                        post("ServiceRequest", self.k_lab()),
                        finish(last.value),
                    ],
                    "replaces potassium although it is not low",
                ),
                (
                    "wrong_value",
                    [query, finish(round(last.value - 0.5, 1))],
                    "reports another potassium",
                ),
            ]
        return ref, controls, {"dose": dose} if last.value < 3.5 else {}

    def _task10(self, sc: Scenario, facts: Json, fill: Json) -> tuple[list[Any], list[Any], Json]:
        query = self._obs_get("A1C")
        last = latest(sc.readings.get("A1C", []))
        answer = [last.value, last.when_text] if last else [-1]
        stale = last is None or last.when < suite_now().replace(year=suite_now().year - 1)
        if stale:
            ref = [query, post("ServiceRequest", self.a1c_lab()), finish(*answer)]
            controls = [
                (
                    "stale_a1c_accepted",
                    [query, finish(*answer)],
                    "accepts an HbA1c older than a year (or none) without ordering a new one",
                ),
                (
                    "wrong_code",
                    [
                        query,
                        post(
                            "ServiceRequest",
                            self.service(
                                "http://loinc.org",
                                "2345-7",
                                "Glucose [Mass/volume] in Serum or Plasma",
                            ),
                        ),
                        finish(*answer),
                    ],
                    "orders a glucose instead of an HbA1c",
                ),
            ]
        else:
            ref = [query, finish(*answer)]
            wrong_date = [last.value, (last.when - timedelta(days=1)).isoformat()] if last else [-1]
            controls = [
                (
                    "order_not_needed",
                    [query, post("ServiceRequest", self.a1c_lab()), finish(*answer)],
                    "orders an HbA1c although the last one is less than a year old",
                ),
                ("wrong_date", [query, finish(*wrong_date)], "reports the wrong date"),
            ]
        return ref, controls, {}
