"""ReplayPatient: recorded answers keyed by the transcript, for tests and exact reproduction.

The key of an answer is a hash of every question asked so far (normalised: letter case,
punctuation and spacing do not matter), so the same conversation gets the same answers in the
same order, whatever simulator first produced them. :class:`PatientRecorder` wraps any
simulator and records its (already guarded) answers; ``save``/``load`` write JSON. A question
sequence that was never recorded raises :class:`~medsim.patients.base.SimulatorError`: a replay
miss is an infrastructure error, not something to answer with a guess.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from medsim.patients.base import BasePatient, PatientCase, PatientReply, SimulatorError
from medsim.patients.intents import plain
from medsim.patients.leak import LeakGuard


def transcript_key(questions: list[str]) -> str:
    """The key of the answer to the last of ``questions``."""
    data = json.dumps([plain(q) for q in questions], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:24]


class ReplayPatient(BasePatient):
    """Answers from ``recordings`` (key -> {"text", "fact_ids"}); see module docstring."""

    kind = "replay"

    def __init__(
        self,
        case: PatientCase,
        recordings: dict[str, dict[str, object]],
        guard: LeakGuard | None = None,
    ) -> None:
        super().__init__(case, guard)
        self.recordings = dict(recordings)

    @classmethod
    def load(cls, case: PatientCase, path: str | Path) -> ReplayPatient:
        """A replay patient over the JSON file written by :meth:`PatientRecorder.save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read patient recording {path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
            raise ValueError(f"{path}: a patient recording is {{'case': ..., 'answers': {{...}}}}")
        if data.get("case") != case.case_id:
            raise ValueError(
                f"{path} was recorded for case {data.get('case')!r}, not {case.case_id!r}"
            )
        return cls(case, data["answers"])

    def _respond(self, question: str) -> PatientReply:
        key = transcript_key([q for q, _ in self.history] + [question])
        hit = self.recordings.get(key)
        if hit is None:
            raise SimulatorError(
                f"replay patient: no recorded answer for question {len(self.history) + 1} "
                f"({question!r:.60}) after this transcript (key {key})"
            )
        ids = hit.get("fact_ids")
        fact_ids = [str(i) for i in ids] if isinstance(ids, list) else []
        return PatientReply(str(hit.get("text", "")), fact_ids)


class PatientRecorder(BasePatient):
    """Wraps ``inner`` and records each answer under its transcript key."""

    def __init__(self, inner: BasePatient) -> None:
        super().__init__(inner.case, inner.guard)
        self.inner = inner
        self.kind = f"recording:{inner.kind}"
        self.answers: dict[str, dict[str, object]] = {}

    def _respond(self, question: str) -> PatientReply:
        reply = self.inner.reply(question)  # guarded by the inner patient already
        key = transcript_key([q for q, _ in self.history] + [question])
        self.answers[key] = {"text": reply.text, "fact_ids": list(reply.fact_ids)}
        return reply

    def save(self, path: str | Path) -> None:
        """Write the recording as JSON (read back with :meth:`ReplayPatient.load`)."""
        data = {"case": self.case.case_id, "answers": self.answers}
        Path(path).write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


__all__ = ["PatientRecorder", "ReplayPatient", "transcript_key"]
