"""``medsim report``: read runs from their results databases, compute the metrics, and write
``report.json`` plus the self-contained ``report.html`` (:mod:`medsim.eval.html`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medsim.eval.db import DONE, INFRA_ERROR, ResultsDB
from medsim.eval.metrics import summarize


@dataclass
class RunData:
    """One run: its stored config, graded rows (one per unit) and unresolved infra errors."""

    name: str
    config: dict[str, Any]
    rows: list[dict[str, Any]]
    infra: list[dict[str, Any]]
    records: dict[tuple[str, int], dict[str, Any]]

    @property
    def label(self) -> str:
        return str(self.config.get("model") or self.config.get("agent") or self.name)


def load_run(target: str | Path, run: str | None = None, with_records: bool = True) -> RunData:
    """Load run ``run`` (default: the only run, or the folder's name) from ``target``."""
    db = ResultsDB(target)
    try:
        names = db.runs()
        if not names:
            raise ValueError(f"no run in {db.url} (run `medsim eval ... --out {target}` first)")
        if run is None:
            guess = Path(str(target)).resolve().name
            run = names[0] if len(names) == 1 else guess
        if run not in names:
            raise ValueError(f"no run {run!r} in {db.url}; runs there: {', '.join(names)}")
        config = db.run_config(run)
        graded: dict[tuple[str, int], dict[str, Any]] = {}
        infra: dict[tuple[str, int], dict[str, Any]] = {}
        records: dict[tuple[str, int], dict[str, Any]] = {}
        for row in db.episodes(run):
            key = (row.task_id, row.trial)
            data = row.data(with_record=with_records)
            record = data.pop("record", None)
            if row.status == DONE and key not in graded:
                graded[key] = data
                if record is not None:
                    records[key] = record
            elif row.status == INFRA_ERROR:
                infra[key] = data
        unresolved = [v for k, v in infra.items() if k not in graded]
        rows = sorted(graded.values(), key=lambda r: (r["task_id"], r["trial"]))
        return RunData(run, config, rows, unresolved, records)
    finally:
        db.close()


def build_report(runs: list[RunData]) -> dict[str, Any]:
    """report.json: every run's config and metrics, and one line per graded episode."""
    out: dict[str, Any] = {"format": 1, "runs": []}
    for run in runs:
        out["runs"].append(
            {
                "name": run.name,
                "label": run.label,
                "config": run.config,
                "metrics": summarize(run.rows, run.infra),
                "episodes": [
                    {
                        k: r[k]
                        for k in (
                            "task_id",
                            "trial",
                            "attempt",
                            "seed",
                            "score",
                            "success",
                            "steps",
                            "terminated",
                            "truncated",
                            "stop_reason",
                            "prompt_tokens",
                            "completion_tokens",
                            "cost_usd",
                            "wall_seconds",
                        )
                    }
                    | {"checkpoints": {c: v["status"] for c, v in r["checkpoints"].items()}}
                    for r in run.rows
                ],
            }
        )
    return out


def write_report(
    targets: list[str | Path], out_dir: str | Path | None = None, run: str | None = None
) -> tuple[Path, Path]:
    """Write report.json and report.html for the runs in ``targets`` (first one is the main run,
    named ``run`` in its database when it holds several, whose transcripts the page shows) into
    ``out_dir`` (default: the first target folder)."""
    from medsim.eval.html import render_page

    runs = [
        load_run(t, run if i == 0 else None, with_records=i == 0) for i, t in enumerate(targets)
    ]
    report = build_report(runs)
    folder = Path(out_dir or (targets[0] if "://" not in str(targets[0]) else "."))
    if folder.suffix == ".db":
        folder = folder.parent
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "report.json"
    json_path.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    html_path = folder / "report.html"
    html_path.write_text(render_page(report, runs[0]), encoding="utf-8")
    return json_path, html_path
