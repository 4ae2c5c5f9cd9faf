"""What counts as retrieved when the episode also writes: created resources never; a chart
resource the episode changed only when it was read before the first change."""

from __future__ import annotations

from typing import Any

from medsim.grading.checkpoints.retrieval import retrieved
from medsim.grading.record import EpisodeRecord, ToolCall

ORDER = {
    "resourceType": "MedicationRequest",
    "id": "spiro-1",
    "status": "active",
    "subject": {"reference": "Patient/pat-1"},
}


def write(step: int, method: str, resource: dict[str, Any], seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "step": step,
        "method": method,
        "resource_type": resource["resourceType"],
        "id": resource["id"],
        "resource": resource,
    }


def read(step: int, resource: dict[str, Any]) -> ToolCall:
    return ToolCall(step=step, name="fhir_read", result=resource)


def ids(record: EpisodeRecord) -> list[tuple[int, str]]:
    return [(r.step, str(r.resource["id"])) for r in retrieved(record, "pat-1")]


def test_read_before_update_counts_read_after_does_not() -> None:
    stopped = {**ORDER, "status": "stopped"}
    record = EpisodeRecord(
        task_id="t",
        tool_calls=[
            read(1, ORDER),
            ToolCall(step=2, name="fhir_update", write_seqs=[0]),
            read(3, stopped),
        ],
        writes=[write(2, "update", stopped, 0)],
    )
    assert ids(record) == [(1, "spiro-1")]


def test_update_without_prior_read_is_not_retrieval() -> None:
    stopped = {**ORDER, "status": "stopped"}
    record = EpisodeRecord(
        task_id="t",
        tool_calls=[ToolCall(step=1, name="fhir_update", write_seqs=[0]), read(2, stopped)],
        writes=[write(1, "update", stopped, 0)],
    )
    assert ids(record) == []


def test_created_resource_never_counts() -> None:
    record = EpisodeRecord(
        task_id="t",
        tool_calls=[
            read(1, ORDER),
            ToolCall(step=2, name="fhir_create", write_seqs=[0]),
            read(3, ORDER),
        ],
        writes=[write(2, "create", ORDER, 0)],
    )
    assert ids(record) == []
