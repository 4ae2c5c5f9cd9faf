"""MedAgentBench's payload checks for the orders and the recorded blood pressure, in the original
and the fixed form (see :mod:`.grading`). Codes and values are MedAgentBench's: IV magnesium NDC
0338-1715-40, oral potassium NDC 40032-917-01, serum potassium LOINC 2823-3, HbA1c LOINC 4548-4,
orthopedic surgery referral SNOMED CT 306181000000106, flowsheet row ``BP``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from medsim.environments.medagentbench.posts import API_BASE, Post
from medsim.grading.checkpoints.registry import GradeContext

Json = dict[str, Any]
NDC = "http://hl7.org/fhir/sid/ndc"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
MG_NDC = "0338-1715-40"
K_NDC = "40032-917-01"
REFERRAL = "306181000000106"
ORIGINAL_CATEGORY = {
    "system": "http://hl7.org/fhir/observation-category",
    "code": "vital-signs",
    "display": "Vital Signs",
}
CATEGORY_SYSTEMS = {
    "http://hl7.org/fhir/observation-category",
    "http://terminology.hl7.org/CodeSystem/observation-category",
}
#: Route words and SNOMED CT route codes (47625008 intravenous, 26643006 oral).
ROUTES = {
    "iv": ({"iv", "intravenous", "intravenous route"}, "47625008"),
    "oral": ({"oral", "po", "by mouth", "oral route"}, "26643006"),
}


class Bad(Exception):
    """A payload check failed; the message says which."""


def need(ok: bool, why: str) -> None:
    if not ok:
        raise Bad(why)


def check(category: str, ref: Json, posts: list[Post], ctx: GradeContext, p: Any) -> str | None:
    """None when the posts are what the task needs, else the first problem found."""
    original = p.rules == "original"
    rules = _Rules(ctx, original)
    try:
        if category == "task9":
            need(len(posts) == 2, f"{len(posts)} POSTs; needs the potassium order and the lab")
            med, lab = posts
            if not original and med.resource_type == "ServiceRequest":
                med, lab = lab, med
            rules.potassium(med, ref["dose"])
            rules.lab(lab, LOINC, "2823-3", next_morning=True)
            return None
        need(len(posts) == 1, f"{len(posts)} POSTs; the task needs exactly one")
        post = posts[0]
        if category == "task3":
            rules.blood_pressure(post, p.bp)
        elif category == "task5":
            rules.magnesium(post, ref["tier"])
        elif category == "task8":
            rules.lab(post, SNOMED, REFERRAL, comment=p.comment)
        elif category == "task10":
            rules.lab(post, LOINC, "4548-4")
        else:
            raise Bad(f"category {category} places no orders")
    except Bad as exc:
        return str(exc)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        return f"malformed payload ({type(exc).__name__}: {exc})"
    return None


class _Rules:
    def __init__(self, ctx: GradeContext, original: bool) -> None:
        self.ctx = ctx
        self.original = original
        self.subject = {"reference": f"Patient/{ctx.patient_id}"}

    # -- shared -------------------------------------------------------------------------------
    def common(self, post: Post, rtype: str) -> Json:
        need(
            post.url == API_BASE + rtype if self.original else post.resource_type == rtype,
            f"POST to {post.url}, expected {rtype}",
        )
        body = post.payload
        need(isinstance(body, dict) and body.get("resourceType") == rtype, f"not a {rtype}")
        if self.original:
            need(body["subject"] == self.subject, f"subject is {body.get('subject')}")
        else:
            need(
                str((body.get("subject") or {}).get("reference", "")).removeprefix(API_BASE)
                == self.subject["reference"],
                f"subject is {body.get('subject')}",
            )
        return body

    def code(self, concept: Json, system: str, code: str) -> None:
        codings = concept["coding"] if self.original else concept.get("coding") or []
        pool = codings[:1] if self.original else codings
        need(
            any(c.get("system") == system and c.get("code") == code for c in pool),
            f"code is not {system}|{code}",
        )

    def at_now(self, value: Any, exact: bool, field: str) -> None:
        now = self.ctx.now
        if self.original:
            ok = value == now.isoformat() if exact else now.isoformat()[:16] in str(value)
        else:
            ok = _instant(value) is not None and abs(_instant(value) - now) < timedelta(minutes=1)  # type: ignore[operator]
        need(ok, f"{field} {value!r} is not the task's now {now.isoformat()}")

    def order_fields(self, body: Json, priority: bool) -> None:
        need(body.get("status") == "active", "status is not active")
        need(body.get("intent") == "order", "intent is not order")
        if priority:
            need(body.get("priority") == "stat", "priority is not stat")

    def quantity(self, q: Any, value: float, unit: str, tol: float, field: str) -> None:
        if self.original and tol == 0:
            need(
                q == {"value": value, "unit": unit},
                f"{field} {q!r} != {{value: {value}, unit: {unit}}}",
            )
            return
        need(isinstance(q, dict) and isinstance(q.get("value"), int | float), f"{field} missing")
        same_unit = (
            q.get("unit") == unit
            if self.original
            else str(q.get("unit", q.get("code", ""))).lower() == unit.lower()
        )
        need(
            abs(float(q["value"]) - value) <= tol + 1e-9 and same_unit,
            f"{field} {q!r}, expected {value} {unit}",
        )

    def rate_ratio(self, ratio: Any, per_hour: float) -> None:
        """An R4 ``rateRatio`` is a rate: any n g / d h with n / d equal to the tier's grams per
        hour (2 g over 2 h: ``2 g / 2 h`` or ``1 g / 1 h``)."""
        den = ratio.get("denominator")
        need(
            isinstance(den, dict)
            and isinstance(den.get("value"), int | float)
            and den["value"] > 0,
            f"rate denominator {den!r} is not a positive number of hours",
        )
        self.quantity(den, den["value"], "h", 0, "rate denominator")
        self.quantity(ratio.get("numerator"), per_hour * den["value"], "g", 0, "rate numerator")

    def route(self, dosage: Json, kind: str) -> None:
        route: Any = dosage["route"] if self.original else dosage.get("route")
        words, snomed = ROUTES[kind]
        if self.original:
            ok = (route == "IV") if kind == "iv" else route.lower().strip() == "oral"
        elif isinstance(route, str):
            ok = route.lower().strip() in words
        elif isinstance(route, dict):
            texts = [route.get("text")] + [c.get("display") for c in route.get("coding") or []]
            ok = any(isinstance(t, str) and t.lower().strip() in words for t in texts) or any(
                c.get("system") == SNOMED and c.get("code") == snomed
                for c in route.get("coding") or []
            )
        else:
            ok = False
        need(ok, f"route {route!r} is not {kind}")

    # -- categories -----------------------------------------------------------------------------
    def blood_pressure(self, post: Post, bp: str | None) -> None:
        body = self.common(post, "Observation")
        cats = body["category"]
        if self.original:
            need(
                len(cats) == 1
                and len(cats[0]["coding"]) == 1
                and cats[0]["coding"][0] == ORIGINAL_CATEGORY,
                "category is not exactly the vital-signs coding",
            )
            need(body["code"] == {"text": "BP"}, f"code {body['code']!r} != {{text: BP}}")
        else:
            need(
                any(
                    c.get("system") in CATEGORY_SYSTEMS and c.get("code") == "vital-signs"
                    for cat in cats
                    for c in cat.get("coding") or []
                ),
                "category is not vital-signs",
            )
            code = body.get("code") or {}
            need(
                code.get("text") == "BP"
                or any(c.get("code") == "BP" for c in code.get("coding") or []),
                "code is not the BP flowsheet row",
            )
        self.at_now(body.get("effectiveDateTime"), True, "effectiveDateTime")
        need(body.get("status") == "final", "status is not final")
        value = body.get("valueString")
        same = (
            value == bp
            if self.original
            else " ".join(str(value).split()) == " ".join(str(bp).split())
        )
        need(same, f"valueString {value!r} != {bp!r}")

    def magnesium(self, post: Post, tier: tuple[float, float]) -> None:
        body = self.common(post, "MedicationRequest")
        self.code(body["medicationCodeableConcept"], NDC, MG_NDC)
        self.at_now(body.get("authoredOn"), False, "authoredOn")
        dosage = body["dosageInstruction"][0]
        self.route(dosage, "iv")
        dose_rate = dosage["doseAndRate"][0]
        grams, hours = tier
        self.quantity(dose_rate.get("doseQuantity"), grams, "g", 0, "dose")
        ratio = dose_rate.get("rateRatio")
        if not self.original and ratio is not None and "rateQuantity" not in dose_rate:
            self.rate_ratio(ratio, grams / hours)
        else:
            self.quantity(dose_rate.get("rateQuantity"), hours, "h", 0, "rate")
        self.order_fields(body, priority=False)

    def potassium(self, post: Post, dose: float) -> None:
        body = self.common(post, "MedicationRequest")
        self.code(body["medicationCodeableConcept"], NDC, K_NDC)
        self.at_now(body.get("authoredOn"), False, "authoredOn")
        dosage = body["dosageInstruction"][0]
        self.route(dosage, "oral")
        self.quantity(dosage["doseAndRate"][0].get("doseQuantity"), dose, "mEq", 0.1, "dose")
        self.order_fields(body, priority=False)

    def lab(
        self,
        post: Post,
        system: str,
        code: str,
        *,
        next_morning: bool = False,
        comment: str | None = None,
    ) -> None:
        body = self.common(post, "ServiceRequest")
        self.code(body["code"], system, code)
        self.at_now(body.get("authoredOn"), True, "authoredOn")
        self.order_fields(body, priority=True)
        if next_morning:
            want = (self.ctx.now + timedelta(days=1)).date().isoformat() + "T08:"
            need(want in str(body.get("occurrenceDateTime")), f"occurrenceDateTime is not {want}..")
        if comment is not None:
            need(self._note_has(body.get("note"), comment), "the note does not carry the SBAR text")

    def _note_has(self, note: Any, comment: str) -> bool:
        if self.original:
            return comment in note["text"]
        notes = note if isinstance(note, list) else [note]
        flat = " ".join(comment.split())
        return any(
            isinstance(n, dict) and flat in " ".join(str(n.get("text", "")).split()) for n in notes
        )


def _instant(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
