"""``medsim grade RUN_DIR_OR_RECORD.json [--out FILE]``: re-grade saved episode records with
today's graders, without calling any agent, and print saved vs new scores.

For each record the EHR is rebuilt as the episode left it: the suite's base data (or ``--data``),
the task's scenario overlay, then the episode's writes replayed in order. Rubric criteria judged by
an LLM reuse the saved verdicts (no judge is called); rule-verified criteria are re-checked.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medsim.grading.record import EpisodeRecord


def register(subparsers: Any) -> None:
    """Add the ``grade`` command to the ``medsim`` parser."""
    p = subparsers.add_parser(
        "grade", help="re-grade saved episode records (a record JSON or a run folder)"
    )
    p.add_argument("paths", nargs="*", help="episode record .json files or folders holding them")
    p.add_argument("--list", action="store_true", help="list the checkpoint graders and exit")
    p.add_argument("--out", help="write every grade as JSON to this file")
    p.add_argument("--fhir", default="embedded", help="'embedded' (default) or a FHIR base URL")
    p.add_argument("--data", help="EHR data to load instead of the suite's default (cohort)")
    p.add_argument(
        "--no-store", action="store_true", help="grade without an EHR (chart checks pend)"
    )
    p.add_argument(
        "--check", action="store_true", help="exit 1 when a new score differs from the saved one"
    )
    p.set_defaults(func=run)


def find_records(paths: list[str]) -> Iterator[tuple[Path, EpisodeRecord]]:
    """Records from files (must be records) and folders (every *.json that is one)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(path.rglob("*.json")):
                try:
                    yield file, EpisodeRecord.load(file)
                except ValueError:
                    continue  # other JSON in a run folder (reports, configs)
        elif path.is_file():
            yield path, EpisodeRecord.load(path)
        else:
            raise ValueError(f"{path}: no such file or folder")


def _task(record: EpisodeRecord, source: Path) -> Any:
    from medsim.tasks.schema import Task

    try:
        return Task.model_validate(record.task)
    except Exception as exc:
        raise ValueError(f"{source}: the saved task no longer validates: {exc}") from None


def _default_data(record: EpisodeRecord) -> Path | None:
    """The suite's base data; without the suite (unknown or not installed) medsim's cohort."""
    try:
        from medsim.registry import get_suite

        data: Path | None = get_suite(record.suite).default_data()
        return data
    except Exception:
        import medsim.data.cohort as cohort

        return Path(cohort.cohort_path())  # type: ignore[attr-defined]


def _import_suite_graders(record: EpisodeRecord) -> None:
    """Register the record's suite's own tools and graders (a suite may define checkpoints)."""
    try:
        from medsim.registry import get_suite

        get_suite(record.suite).import_tools()
    except Exception:  # an unknown suite: its graders, if any, are reported as unknown below
        return


def rebuild_store(record: EpisodeRecord, task: Any, fhir: str, data: str | None) -> Any:
    """An episode holding the base data, the task overlay and the record's writes, replayed."""
    from medsim.fhir import shared_backend

    source = data if data is not None else _default_data(record)
    backend = shared_backend(fhir, source) if fhir == "embedded" else shared_backend(fhir)
    episode: Any = backend.episode()
    clock = task.now.isoformat()
    if hasattr(episode, "clock"):
        episode.clock = lambda: clock
    if task.overlay:
        from medsim.data.overlay import resolve_overlay

        episode.load_overlay(list(resolve_overlay(task.overlay, task.patient, task.now)))
    for w in sorted(record.writes, key=lambda w: int(w.get("seq", 0))):
        rtype, rid = str(w.get("resource_type")), str(w.get("id"))
        if w.get("method") == "delete":
            episode.delete(rtype, rid)
        else:
            body = {k: v for k, v in (w.get("resource") or {}).items() if k != "meta"}
            episode.update(rtype, rid, body)
    return episode


def regrade(path: Path, record: EpisodeRecord, args: argparse.Namespace) -> dict[str, Any]:
    """One record's saved and new grade."""
    from medsim.grading.score import grade

    _import_suite_graders(record)
    task = _task(record, path)
    store = None if args.no_store else rebuild_store(record, task, args.fhir, args.data)
    try:
        saved = record.grade or {}
        new = grade(task, record, store, None, saved_rubric=saved.get("rubric"))
    finally:
        if store is not None:
            store.close()
    return {
        "path": str(path),
        "task_id": record.task_id,
        "saved_score": saved.get("score"),
        "score": new.score,
        "grade": new.model_dump(mode="json"),
    }


def list_graders() -> int:
    """Print every registered grader: name, family, what it checks, its parameters."""
    from medsim.grading import graders

    for name, g in sorted(graders().items()):
        summary = " ".join(g.description.split())
        params = ", ".join(g.params.model_fields) or "(none)"
        print(f"{name}  [{g.family}]\n    {summary}\n    params: {params}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return list_graders()
    if not args.paths:
        print("medsim grade: give episode record files or folders (or --list)", file=sys.stderr)
        return 2
    results: list[dict[str, Any]] = []
    try:
        for path, record in find_records(args.paths):
            results.append(regrade(path, record, args))
    except ValueError as exc:
        print(f"medsim grade: {exc}", file=sys.stderr)
        return 2
    if not results:
        print("medsim grade: no episode records found", file=sys.stderr)
        return 2
    changed = 0
    print(f"{'record':40} {'saved':>7} {'score':>7}  not passed")
    for r in results:
        saved = r["saved_score"]
        differs = saved is not None and abs(float(saved) - r["score"]) > 1e-9
        changed += differs
        fails = [k for k, v in r["grade"]["checkpoints"].items() if v["status"] != "passed"]
        shown = "-" if saved is None else f"{float(saved):.3f}"
        mark = " *" if differs else ""
        name = Path(r["path"]).stem[:40]
        print(f"{name:40} {shown:>7} {r['score']:7.3f}  {', '.join(fails)}{mark}")
    mean = sum(r["score"] for r in results) / len(results)
    print(f"{len(results)} records, mean score {mean:.3f}, {changed} changed from the saved score")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 1 if args.check and changed else 0
