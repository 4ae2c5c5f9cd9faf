"""``medsim grade RUN_DIR_OR_RECORD.json [--out FILE]``: re-grade saved episode records with
today's graders, without calling any agent, and print saved vs new scores.

For each record the EHR is rebuilt as the episode left it: the suite's base data (or ``--data``),
the task's scenario overlay, then the episode's writes replayed in order. Rubric criteria judged by
an LLM reuse the saved verdicts (no judge is called); rule-verified criteria are re-checked.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medsim.fhir.interface import FhirEpisode
    from medsim.grading.record import EpisodeRecord
    from medsim.tasks.schema import Task


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


class NotARecord(ValueError):
    """A JSON file in a run folder that is not an episode record (a report, a config)."""


def read_record(path: Path) -> EpisodeRecord:
    """One record; ``ValueError`` names the file and the problem, :class:`NotARecord` when the
    file is JSON but plainly not an episode record."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError(f"{path}: the JSON is nested too deeply to read") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON file: {exc}") from None
    if not isinstance(data, dict) or "task_id" not in data:
        raise NotARecord(f"{path}: not an episode record (a JSON object with a task_id)")
    from medsim.grading.record import EpisodeRecord

    return EpisodeRecord.from_dict(data, source=str(path))


def find_records(paths: list[str]) -> Iterator[tuple[Path, EpisodeRecord | ValueError]]:
    """(file, record or the reason it cannot be read) for files and every *.json in folders."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(path.rglob("*.json"))
        elif path.is_file():
            files = [path]
        else:
            yield path, ValueError(f"{path}: no such file or folder")
            continue
        for file in files:
            try:
                yield file, read_record(file)
            except ValueError as exc:
                yield file, exc


def _task(record: EpisodeRecord, source: Path) -> Task:
    from pydantic import ValidationError

    from medsim.tasks.schema import Task

    try:
        return Task.model_validate(record.task)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(task)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ValueError(
            f"{source}: the saved task no longer validates: {where}: {first['msg']}{more}"
        ) from None


def _default_data(record: EpisodeRecord) -> Path | None:
    """The suite's base data; without the suite (unknown or not installed) medsim's cohort."""
    from medsim.registry import UnknownEnvError, get_suite

    try:
        data: Path | None = get_suite(record.suite).default_data()
        return data
    except UnknownEnvError:
        from medsim.data.cohort import cohort_path

        return Path(cohort_path())


def _suite_grader_modules(record: EpisodeRecord) -> tuple[str, ...]:
    """The record's suite's own grader modules (none when the suite is unknown: its graders,
    if any, are then reported as unknown by the grader)."""
    from medsim.registry import UnknownEnvError, get_suite

    try:
        return get_suite(record.suite).grader_modules
    except UnknownEnvError:
        return ()


def rebuild_store(record: EpisodeRecord, task: Task, fhir: str, data: str | None) -> FhirEpisode:
    """An episode holding the base data, the task overlay and the record's writes, replayed
    (started exactly as the env starts one: :func:`medsim.core.ehr.start_episode`)."""
    from medsim.core.ehr import start_episode
    from medsim.fhir import shared_backend
    from medsim.fhir.interface import FhirError

    source = data if data is not None else _default_data(record)
    backend = shared_backend(fhir, source) if fhir == "embedded" else shared_backend(fhir)
    episode = backend.episode()
    try:
        start_episode(episode, task)
        for w in record.ordered_writes():
            try:
                if w.method == "delete":
                    episode.delete(w.resource_type, w.id)
                else:
                    body = {k: v for k, v in (w.resource or {}).items() if k != "meta"}
                    episode.update(w.resource_type, w.id, body)
            except FhirError as exc:
                raise ValueError(
                    f"write seq {w.seq} ({w.method} {w.resource_type}/{w.id}) cannot be "
                    f"replayed: {exc}"
                ) from None
    except BaseException:
        episode.close()
        raise
    return episode


def _saved_score(record: EpisodeRecord, path: Path) -> float | None:
    score = (record.grade or {}).get("score")
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise ValueError(f"{path}: grade.score is not a number: {score!r:.60}")
    return float(score)


def regrade(path: Path, record: EpisodeRecord, args: argparse.Namespace) -> dict[str, Any]:
    """One record's saved and new grade; ``ValueError`` names the file and what is wrong."""
    from medsim.core.suite import load_grader_modules
    from medsim.grading.score import grade

    task = _task(record, path)
    saved_score = _saved_score(record, path)
    load_grader_modules(_suite_grader_modules(record))
    try:
        store = None if args.no_store else rebuild_store(record, task, args.fhir, args.data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        saved = record.grade or {}
        rubric = saved.get("rubric")
        new = grade(
            task, record, store, None, saved_rubric=rubric if isinstance(rubric, dict) else None
        )
    finally:
        if store is not None:
            store.close()
    return {
        "path": str(path),
        "task_id": record.task_id,
        "saved_score": saved_score,
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
    """Grade every record; a record that cannot be graded is one line naming the file and the
    problem (the others are still graded), and non-record JSON in folders is listed as skipped."""
    if args.list:
        return list_graders()
    if not args.paths:
        print("medsim grade: give episode record files or folders (or --list)", file=sys.stderr)
        return 2
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    skipped: list[str] = []
    explicit = {Path(p) for p in args.paths}
    for path, loaded in find_records(args.paths):
        if isinstance(loaded, NotARecord) and path not in explicit:
            skipped.append(str(loaded))
            continue
        try:
            if isinstance(loaded, ValueError):
                raise loaded
            results.append(regrade(path, loaded, args))
        except Exception as exc:  # one bad record must not stop the others
            reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, RecursionError):
                reason = "the record is nested too deeply to grade"
            errors.append(reason if reason.startswith(str(path)) else f"{path}: {reason}")
    if results:
        _print_table(results)
    for line in errors:
        print(f"medsim grade: error: {line}", file=sys.stderr)
    for line in skipped:
        print(f"medsim grade: skipped {line}", file=sys.stderr)
    if errors or skipped:
        print(
            f"medsim grade: {len(results)} graded, {len(errors)} could not be graded, "
            f"{len(skipped)} skipped",
            file=sys.stderr,
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")
    if not results:
        if not errors:
            print("medsim grade: no episode records found", file=sys.stderr)
        return 2
    changed = sum(_changed(r) for r in results)
    return 1 if errors or (args.check and changed) else 0


def _changed(r: dict[str, Any]) -> bool:
    saved = r["saved_score"]
    return saved is not None and abs(float(saved) - r["score"]) > 1e-9


def _print_table(results: list[dict[str, Any]]) -> None:
    print(f"{'record':40} {'saved':>7} {'score':>7}  not passed")
    for r in results:
        saved = r["saved_score"]
        fails = [k for k, v in r["grade"]["checkpoints"].items() if v["status"] != "passed"]
        shown = "-" if saved is None else f"{float(saved):.3f}"
        mark = " *" if _changed(r) else ""
        name = Path(r["path"]).stem[:40]
        print(f"{name:40} {shown:>7} {r['score']:7.3f}  {', '.join(fails)}{mark}")
    mean = sum(r["score"] for r in results) / len(results)
    changed = sum(_changed(r) for r in results)
    print(f"{len(results)} records, mean score {mean:.3f}, {changed} changed from the saved score")
