"""Episodes of a run as training data: JSONL in OpenAI chat format with rewards and the grade's
breakdown, or a Hugging Face ``datasets.Dataset`` (``pip install 'medsim[hf]'``).

One line / row per graded episode (infrastructure errors are never exported):

    {"messages": [...OpenAI chat messages...], "tools": [...function schemas...],
     "reward": 1.0, "success": true, "breakdown": {...}, "checkpoints": {id: status},
     "task_id": ..., "trial": 0, "seed": 0, "env_id": "Demo-v0", "model": ..., "agent": ...}

Messages are normalised to the keys ``role, content, tool_calls, tool_call_id`` (absent ones
``None``) so every row has one shape — what Arrow needs and what chat-format SFT loaders read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsim.eval.report import RunData, load_run

MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id")


def _message(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m.get(k) for k in MESSAGE_KEYS}


def _schemas(run: RunData) -> dict[str, list[dict[str, Any]]]:
    """Task id -> the OpenAI schemas of its tools (the suite's tools are registered by make)."""
    import medsim
    from medsim.tools.registry import resolve_tools

    env = medsim.make(str(run.config["env_id"]))
    try:
        tasks = env.unwrapped.tasks  # type: ignore[attr-defined]
        return {t.id: [tool.openai_schema() for tool in resolve_tools(t.tools)] for t in tasks}
    finally:
        env.close()


def episodes(
    run: RunData, min_score: float | None = None, only_success: bool = False
) -> Iterator[dict[str, Any]]:
    """The run's graded episodes as export rows (see module docstring)."""
    schemas = _schemas(run)
    for row in run.rows:
        if only_success and not row["success"]:
            continue
        if min_score is not None and (row["score"] or 0.0) < min_score:
            continue
        record = run.records.get((row["task_id"], row["trial"]), {})
        grade = record.get("grade") or {}
        yield {
            "messages": [_message(m) for m in record.get("messages") or []],
            "tools": schemas.get(row["task_id"], []),
            "reward": row["score"],
            "success": bool(row["success"]),
            "breakdown": grade.get("breakdown") or {},
            "checkpoints": {c: v["status"] for c, v in row["checkpoints"].items()},
            "task_id": row["task_id"],
            "trial": row["trial"],
            "seed": row["seed"],
            "env_id": run.config.get("env_id"),
            "model": run.config.get("model"),
            "agent": run.config.get("agent"),
        }


def export_jsonl(target: str | Path, out: str | Path, **filters: Any) -> int:
    """Write the run at ``target`` as JSONL to ``out``; returns the number of lines."""
    run = load_run(target)
    n = 0
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for item in episodes(run, **filters):
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    return n


def to_hf_dataset(target: str | Path, **filters: Any) -> Any:
    """The run as a ``datasets.Dataset`` (nested dicts with free keys are JSON strings:
    ``tools``, ``breakdown``, ``checkpoints``)."""
    try:
        import datasets
    except ImportError as exc:
        raise ImportError(
            "the Hugging Face export needs `pip install 'medsim[hf]'` (datasets)"
        ) from exc
    rows = []
    for item in episodes(load_run(target), **filters):
        for key in ("tools", "breakdown", "checkpoints"):
            item[key] = json.dumps(item[key], ensure_ascii=False)
        for m in item["messages"]:
            if m["tool_calls"] is not None:
                m["tool_calls"] = [
                    {
                        "id": c.get("id"),
                        "type": c.get("type"),
                        "function": {
                            "name": c["function"]["name"],
                            "arguments": c["function"]["arguments"],
                        },
                    }
                    for c in m["tool_calls"]
                ]
        rows.append(item)
    return datasets.Dataset.from_list(rows)
