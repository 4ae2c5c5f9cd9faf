"""The per-episode workspace and ``write_file``: no path leaves the workspace, refused writes
change nothing, files are part of the episode record (replayed for graders)."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import medsim
from medsim.grading.record import EpisodeRecord, ToolCall
from medsim.tools.base import ToolContext
from medsim.tools.workspace import (
    MAX_FILE_CHARS,
    Workspace,
    WorkspaceError,
    normalise_path,
    workspace_files,
    write_file,
)


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("output/reply.md", "output/reply.md"),
        ("./output//reply.md", "output/reply.md"),
        ("/workspace/output/reply.md", "output/reply.md"),
        ("output/./notes v2.txt", "output/notes v2.txt"),
    ],
)
def test_accepted_spellings(path: str, canonical: str) -> None:
    assert normalise_path(path) == canonical


@pytest.mark.parametrize(
    "path",
    [
        "",
        "   ",
        "/etc/passwd",
        "../secret",
        "output/../../x",
        "/workspace/../etc/passwd",
        "a\\b",
        "out\x00put/x",
        "out\nput",
        "~/x",
        "x/" * 200,
        "output/$(rm -rf)",
        "..",
    ],
)
def test_refused_paths(path: str) -> None:
    ws = Workspace()
    with pytest.raises(WorkspaceError):
        ws.write(path, "text")
    assert ws.files == {}


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_no_path_escapes(path: str) -> None:
    """Whatever the model sends, an accepted path is relative, normalised and never climbs."""
    try:
        key = normalise_path(path)
    except WorkspaceError:
        return
    assert not key.startswith("/") and "\x00" not in key and "\\" not in key
    assert ".." not in key.split("/")
    assert posixpath.normpath(key) == key


def test_size_limits_change_nothing() -> None:
    ws = Workspace()
    ws.write("a.txt", "first")
    with pytest.raises(WorkspaceError, match="exceed"):
        ws.write("a.txt", "x" * (MAX_FILE_CHARS + 1))
    with pytest.raises(WorkspaceError, match="exceed"):
        ws.write("a.txt", "y" * MAX_FILE_CHARS, mode="a")
    with pytest.raises(WorkspaceError, match="NUL"):
        ws.write("a.txt", "bad\x00content")
    with pytest.raises(WorkspaceError, match="mode"):
        ws.write("a.txt", "z", mode="x")
    assert ws.files == {"a.txt": "first"}


def test_append_and_overwrite() -> None:
    ws = Workspace()
    ws.write("r.md", "one")
    ws.write("/workspace/r.md", " two", mode="a")
    assert ws.read("./r.md") == "one two"
    ws.write("r.md", "three")
    assert ws.files == {"r.md": "three"}


def test_tool_uses_episode_workspace_and_record_replays_it() -> None:
    ctx = ToolContext()
    ok = write_file.invoke({"file_path": "output/reply.md", "content": "hello"}, ctx)
    bad = write_file.invoke({"file_path": "../escape", "content": "x"}, ctx)
    assert ok.error is None and bad.kind == "invalid_arguments"
    assert ctx.services["workspace"].files == {"output/reply.md": "hello"}
    record = EpisodeRecord(
        task_id="t",
        tool_calls=[
            ToolCall(
                step=1,
                name="write_file",
                arguments={"file_path": "output/reply.md", "content": "hello"},
            ),
            ToolCall(
                step=2,
                name="write_file",
                arguments={"file_path": "../escape", "content": "x"},
                error="refused",
            ),
            ToolCall(
                step=3,
                name="write_file",
                arguments={"file_path": "output/reply.md", "content": " again", "mode": "a"},
            ),
        ],
    )
    assert workspace_files(record) == {"output/reply.md": "hello again"}


def test_workspace_is_per_episode() -> None:
    env = medsim.make("PhysicianBench-v0")
    env.reset(seed=0)
    env.step({"name": "write_file", "arguments": {"file_path": "output/a.md", "content": "A"}})
    assert workspace_files(env.unwrapped.record) == {"output/a.md": "A"}
    env.reset(seed=0)
    assert workspace_files(env.unwrapped.record) == {}
    obs, _, _, _, info = env.step(
        {"name": "write_file", "arguments": {"file_path": "/etc/passwd", "content": "x"}}
    )
    assert info["error"]["type"] == "invalid_arguments" and "outside the workspace" in obs
    env.close()
