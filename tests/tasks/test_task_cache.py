"""The on-disk cache of generated tasks (medsim.tasks.cache): a hit returns the same tasks without
building them, any change to what generates them misses, a damaged entry is rebuilt, and
PhysicianBench-v0's cached curated tasks equal a fresh render of its templates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from medsim.tasks.cache import cache_dir, cached_rows, cached_tasks, task_key
from medsim.tasks.listing import TaskRow
from medsim.tasks.loader import parse_task
from medsim.tasks.schema import Task
from tests.tasks.test_packed import TASK  # one hand-written task, shared


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))


class _Builder:
    """Builds two tasks and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> list[Task]:
        self.calls += 1
        return [
            parse_task({**TASK, "id": "c-01"}, "templates/a.yaml (instance c-01)"),
            parse_task({**TASK, "id": "c-02"}, "templates/a.yaml (instance c-02)"),
        ]


def test_a_hit_returns_the_same_tasks_without_building(tmp_path: Path) -> None:
    build = _Builder()
    first = cached_tasks("t", "k1", build)
    second = cached_tasks("t", "k1", build)
    assert build.calls == 1
    assert [t.model_dump() for t in second] == [t.model_dump() for t in first]
    assert [t.source for t in second] == [
        "templates/a.yaml (instance c-01)",
        "templates/a.yaml (instance c-02)",
    ]
    (entry,) = cache_dir().glob("t-k1*.ndjson.gz")
    assert entry.stat().st_mode & 0o777 == 0o644
    assert str(entry).startswith(str(tmp_path / "cache"))


def test_another_key_builds_again() -> None:
    build = _Builder()
    cached_tasks("t", "k1", build)
    cached_tasks("t", "k2", build)
    assert build.calls == 2


@pytest.mark.parametrize("damage", [b"", b"not gzip", b"\x1f\x8b\x08\x00broken"])
def test_a_damaged_entry_is_rebuilt(damage: bytes) -> None:
    build = _Builder()
    cached_tasks("t", "k1", build)
    (entry,) = cache_dir().glob("t-k1*.ndjson.gz")
    entry.write_bytes(damage)
    again = cached_tasks("t", "k1", build)
    assert build.calls == 2 and [t.id for t in again] == ["c-01", "c-02"]
    assert cached_tasks("t", "k1", build) and build.calls == 2  # the rebuilt entry is good


def test_the_key_follows_template_content_context_and_data(tmp_path: Path) -> None:
    tpl, data = tmp_path / "a.yaml", tmp_path / "cohort.ndjson.gz"
    tpl.write_text("template: a\n")
    data.write_bytes(b"x" * 10)
    base = task_key([tpl], "{}", [data])
    assert task_key([tpl], "{}", [data]) == base  # stable
    assert task_key([tpl], '{"workbench": 1}', [data]) != base  # the suite's context
    tpl.write_text("template: b\n")
    changed_template = task_key([tpl], "{}", [data])
    assert changed_template != base
    data.write_bytes(b"x" * 11)  # a regenerated cohort (size)
    assert task_key([tpl], "{}", [data]) != changed_template
    st = data.stat()
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same size, rewritten later
    assert task_key([tpl], "{}", [data]) != changed_template


def test_physicianbench_cached_tasks_equal_a_fresh_render() -> None:
    from medsim.core import template_suite
    from medsim.registry import get_suite

    suite = get_suite("PhysicianBench-v0")
    assert isinstance(suite, template_suite.TemplateSuite)
    dirs, context = suite._dirs(), suite._context()
    template_suite._test_tasks.cache_clear()
    cached = template_suite._test_tasks(dirs, context)  # builds the entry (empty cache)
    template_suite._test_tasks.cache_clear()
    loaded = template_suite._test_tasks(dirs, context)  # reads it back
    fresh = template_suite._render_test_tasks(dirs, context)
    assert len(fresh) == 100
    assert [t.model_dump() for t in loaded] == [t.model_dump() for t in fresh]
    assert [t.source for t in loaded] == [t.source for t in fresh]
    assert [t.model_dump() for t in cached] == [t.model_dump() for t in fresh]
    assert list(cache_dir().glob("curated-*"))


def test_listing_rows_are_kept_beside_the_tasks_and_read_without_building() -> None:
    build = _Builder()
    tasks = cached_tasks("t", "k1", build)
    rows = cached_rows("t", "k1", build)
    assert build.calls == 1
    assert rows == [TaskRow.of(t) for t in tasks]
    assert [r.id for r in rows] == ["c-01", "c-02"]
    (entry,) = cache_dir().glob("t-k1*.ndjson.gz")
    entry.unlink()  # the rows alone answer a listing: no task is parsed or built
    assert cached_rows("t", "k1", build) == rows and build.calls == 1


@pytest.mark.parametrize("damage", [b"", b"[{", b'[{"id": "c-01"}]', b"{}"])
def test_damaged_listing_rows_are_rebuilt_from_the_tasks(damage: bytes) -> None:
    build = _Builder()
    tasks = cached_tasks("t", "k1", build)
    (rows_file,) = cache_dir().glob("t-k1*.rows.json")
    rows_file.write_bytes(damage)
    assert cached_rows("t", "k1", build) == [TaskRow.of(t) for t in tasks]
    assert build.calls == 1  # read from the cached tasks, not rebuilt
    assert cached_rows("t", "k1", build) == [TaskRow.of(t) for t in tasks]


def test_physicianbench_listing_rows_equal_its_tasks() -> None:
    from medsim.registry import get_suite

    suite = get_suite("PhysicianBench-v0")
    rows = suite.task_rows()  # empty cache: renders, stores tasks and rows
    assert rows == [TaskRow.of(t) for t in suite.tasks(validate=False)]
    assert len(rows) == 100 and {r.split for r in rows} == {"test"}
    assert list(cache_dir().glob("curated-*.rows.json"))
    assert suite.task_rows("train") == [TaskRow.of(t) for t in suite.train_tasks(validate=False)]


def _aged(name: str, key: str, seconds_ago: float) -> Path:
    """An entry (with its rows file) written ``seconds_ago``."""
    cached_tasks(name, key, _Builder())
    path = cache_dir() / f"{name}-{key}.ndjson.gz"
    when = path.stat().st_mtime - seconds_ago
    os.utime(path, (when, when))
    return path


def test_only_the_most_recently_used_entries_of_a_name_are_kept() -> None:
    for n in range(8):  # k0 oldest ... k7 newest (each write prunes down to KEEP = 6)
        _aged("t", f"k{n}", 1000 - n * 100)
    cached_tasks("t", "k3", _Builder())  # a hit: k3 is the most recently used now
    cached_tasks("t", "new", _Builder())  # a write prunes
    other = _aged("u", "x", 5000)  # another name is never pruned by "t"
    cached_tasks("t", "newer", _Builder())
    left = sorted(p.name for p in cache_dir().glob("t-*"))
    kept = ["k3", "k5", "k6", "k7", "new", "newer"]
    assert left == sorted([f"t-{k}.ndjson.gz" for k in kept] + [f"t-{k}.rows.json" for k in kept])
    assert other.exists()


def test_a_rows_hit_marks_its_entry_used() -> None:
    old = _aged("t", "old", 10_000)
    before = old.stat().st_mtime
    cached_rows("t", "old", _Builder())
    assert old.stat().st_mtime > before


def test_the_key_covers_the_suites_code_wherever_it_lives() -> None:
    import medsim.environments.dialogue.tasks as dialogue_tasks
    from medsim.tasks import cache

    where = Path(dialogue_tasks.__file__).resolve()
    assert any(where.is_relative_to(root) for _, root in cache._source_roots())


def test_an_edit_under_a_suites_folder_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medsim.tasks import cache

    package, suites = tmp_path / "medsim", tmp_path / "environments"
    for folder in (package, suites):
        folder.mkdir()
        (folder / "x.py").write_text("A = 1\n")
    roots = [("medsim", package), ("medsim.environments", suites)]
    monkeypatch.setattr(cache, "_source_roots", lambda: roots)
    cache._source_digest.cache_clear()
    before = cache._source_digest()
    (suites / "x.py").write_text("A = 2\n")
    cache._source_digest.cache_clear()
    after = cache._source_digest()
    cache._source_digest.cache_clear()
    assert before != after


def test_a_cached_value_is_built_once_and_a_damaged_one_rebuilt() -> None:
    from medsim.tasks.cache import cached_value

    calls = []

    def build() -> object:
        calls.append(1)
        return [{"id": "p1", "latest": [["2823-3", 4.1]]}]

    assert cached_value("v", "k1", build) == [{"id": "p1", "latest": [["2823-3", 4.1]]}]
    assert cached_value("v", "k1", build) == build() and len(calls) == 2  # (one build + ours)
    (cache_dir() / "v-k1.json").write_text('[{"id": "p1", "lat')  # cut short
    assert cached_value("v", "k1", build) == [{"id": "p1", "latest": [["2823-3", 4.1]]}]
    assert len(calls) == 3  # rebuilt
    assert cached_value("v", "k2", build) and len(calls) == 4  # another key: built


def test_cached_profiles_equal_a_fresh_read_of_the_cohort() -> None:
    """Patient profiles kept in the task cache read back as the cohort gives them (frozensets,
    ordered tuples, float values), first built and then read from the file."""
    from medsim.tasks import profiles as profiles_module

    fresh = profiles_module.read_profiles()
    for _ in range(2):  # built and stored, then read from the file
        profiles_module.profiles.cache_clear()
        assert profiles_module.profiles() == fresh
    assert len(list(cache_dir().glob("profiles-*.json"))) == 1
    profiles_module.profiles.cache_clear()
