"""The results database: every finished episode is one committed row before it is counted.

SQLite (a file in the run's output folder) by default, any SQLAlchemy URL otherwise (a
``postgresql://`` URL for runs shared by several machines; needs the ``pg`` extra). Tables:

* ``medsim_run`` — one row per run name with its config (JSON) and the config's hash; a run
  resumed with a different config is refused (:class:`ConfigMismatch`).
* ``medsim_episode`` — one row per finished attempt of (task, trial): status ``done`` (graded)
  or ``infra_error`` (the API or harness failed; excluded from scores, listed, retried by a
  rerun). ``(run, task_id, trial, attempt)`` is unique, so two writers can never both record
  the same attempt, and the full :class:`EpisodeRecord` is kept as JSON for re-grading and
  transcripts.

Each insert is its own transaction: a ``kill -9`` loses at most the episodes in flight, never a
committed one, and a rerun redoes exactly the units without a ``done`` row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint, event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, create_engine, select

DONE = "done"
INFRA_ERROR = "infra_error"


class ConfigMismatch(RuntimeError):
    """A run was resumed with a config that differs from the stored one."""


class RunRow(SQLModel, table=True):
    __tablename__ = "medsim_run"

    name: str = Field(primary_key=True)
    config: str = Field(sa_column=Column(Text, nullable=False))
    config_hash: str
    created_at: str


class EpisodeRow(SQLModel, table=True):
    __tablename__ = "medsim_episode"
    __table_args__ = (UniqueConstraint("run", "task_id", "trial", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    run: str = Field(index=True)
    task_id: str
    trial: int
    attempt: int = 0
    status: str
    seed: int
    score: float | None = None
    success: bool | None = None
    steps: int = 0
    terminated: bool = False
    truncated: bool = False
    stop_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    wall_seconds: float = 0.0
    error: str | None = Field(default=None, sa_column=Column(Text))
    task_meta: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    checkpoints: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    record: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: str = ""

    def data(self, with_record: bool = True) -> dict[str, Any]:
        """The row as plain JSON data (JSON columns decoded)."""
        out = self.model_dump()
        for key in ("task_meta", "checkpoints") + (("record",) if with_record else ()):
            out[key] = json.loads(out[key])
        if not with_record:
            out.pop("record")
        return out


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def db_url(target: str | Path) -> str:
    """A SQLAlchemy URL for ``target``: a URL is kept, a folder gets ``results.db`` in it."""
    text = str(target)
    if "://" in text:
        if text.startswith("postgresql://"):  # psycopg 3 is the driver we document
            text = "postgresql+psycopg://" + text[len("postgresql://") :]
        return text
    path = Path(text)
    if path.suffix != ".db":
        path = path / "results.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class ResultsDB:
    """Open (and create) the results database at ``target`` (folder, file or URL)."""

    def __init__(self, target: str | Path) -> None:
        self.url = db_url(target)
        sqlite = self.url.startswith("sqlite")
        self.engine = create_engine(
            self.url, connect_args={"timeout": 30} if sqlite else {}, pool_pre_ping=not sqlite
        )
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        SQLModel.metadata.create_all(self.engine, tables=[RunRow.__table__, EpisodeRow.__table__])  # type: ignore[attr-defined]

    def close(self) -> None:
        self.engine.dispose()

    # ---- runs --------------------------------------------------------------------------------

    def ensure_run(self, name: str, config: dict[str, Any], config_hash: str) -> bool:
        """Create run ``name`` with ``config``, or check a stored one matches (True if new).

        Raises ConfigMismatch naming every differing key."""
        with Session(self.engine, expire_on_commit=False) as s:
            row = s.get(RunRow, name)
            if row is None:
                s.add(
                    RunRow(
                        name=name,
                        config=json.dumps(config, sort_keys=True),
                        config_hash=config_hash,
                        created_at=now_iso(),
                    )
                )
                try:
                    s.commit()
                    return True
                except IntegrityError:  # another process created it first: compare with it
                    s.rollback()
                    row = s.get(RunRow, name)
                    assert row is not None
            if row.config_hash != config_hash:
                stored = json.loads(row.config)
                diff = sorted(
                    k for k in set(stored) | set(config) if stored.get(k) != config.get(k)
                )
                details = "; ".join(
                    f"{k}: stored {stored.get(k)!r}, now {config.get(k)!r}" for k in diff
                )
                raise ConfigMismatch(
                    f"run {name!r} in {self.url} was made with another config ({details}). "
                    "Results of different configs are never mixed: use another --out "
                    "(or --run-name), or rerun with the stored settings."
                )
            return False

    def run_config(self, name: str) -> dict[str, Any]:
        with Session(self.engine, expire_on_commit=False) as s:
            row = s.get(RunRow, name)
            if row is None:
                raise KeyError(f"no run {name!r} in {self.url}")
            return dict(json.loads(row.config))

    def runs(self) -> list[str]:
        with Session(self.engine, expire_on_commit=False) as s:
            return list(s.exec(select(RunRow.name)))

    # ---- episodes ----------------------------------------------------------------------------

    def attempts(self, run: str) -> dict[tuple[str, int], list[str]]:
        """(task_id, trial) -> statuses of its recorded attempts, in attempt order."""
        out: dict[tuple[str, int], list[str]] = {}
        with Session(self.engine, expire_on_commit=False) as s:
            rows = s.exec(
                select(EpisodeRow.task_id, EpisodeRow.trial, EpisodeRow.status)
                .where(EpisodeRow.run == run)
                .order_by(EpisodeRow.attempt)  # type: ignore[arg-type]
            )
            for task_id, trial, status in rows:
                out.setdefault((task_id, trial), []).append(status)
        return out

    def add(self, row: EpisodeRow) -> bool:
        """Commit one episode row; False when that attempt was already recorded (not added)."""
        row.created_at = row.created_at or now_iso()
        with Session(self.engine, expire_on_commit=False) as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return False
        return True

    def episodes(self, run: str, status: str | None = None) -> list[EpisodeRow]:
        with Session(self.engine, expire_on_commit=False) as s:
            query = select(EpisodeRow).where(EpisodeRow.run == run)
            if status is not None:
                query = query.where(EpisodeRow.status == status)
            rows = s.exec(query.order_by(EpisodeRow.id))  # type: ignore[arg-type]
            return list(rows)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL + full sync: a committed row survives kill -9 and power loss; readers never block."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()
