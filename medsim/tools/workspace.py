"""A per-episode file workspace and the ``write_file`` tool that writes into it.

PhysicianBench asks for deliverables as files (the e-consult reply under ``/workspace/output``).
medsim keeps them in memory: a :class:`Workspace` is a dict of normalised relative paths to text,
one per episode (``ToolContext.services["workspace"]``), so nothing ever touches the host disk.

Paths are checked before anything is written: absolute paths, ``..`` components that climb out,
NUL or other control characters, backslashes, over-long names and oversized content are refused
with a clear error and the workspace is left unchanged. ``/workspace/output/reply.md`` is accepted
as the same file as ``output/reply.md`` (the original benchmark's absolute spelling).

The files are part of the episode record: every successful ``write_file`` call is in
``record.tool_calls``, and :func:`workspace_files` replays them into the final file contents, so
graders (and ``medsim grade`` on a saved record) read exactly what the agent wrote.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any, Literal

from medsim.tools.base import ToolContext, ToolError, tool

#: The tool's name (graders replay its calls).
WRITE_FILE = "write_file"
#: Largest content of one file and of the whole workspace (characters).
MAX_FILE_CHARS = 200_000
MAX_TOTAL_CHARS = 1_000_000
MAX_FILES = 50
MAX_PATH_CHARS = 255
#: Accepted spelling of the workspace root in absolute form (PhysicianBench writes there).
ROOT_ALIASES = ("/workspace/",)

_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
_SEGMENT = re.compile(r"^[A-Za-z0-9._\- ]+$")


class WorkspaceError(ToolError):
    """A refused write: bad path, too much content, too many files."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="invalid_arguments")


def normalise_path(path: str) -> str:
    """The canonical relative path of ``path`` inside the workspace, or :class:`WorkspaceError`.

    ``output/reply.md``, ``./output/reply.md`` and ``/workspace/output/reply.md`` are one file;
    ``/etc/passwd``, ``../x``, ``output/../../x``, ``a\\b``, names with NUL or control characters
    and empty names are refused.
    """
    if not isinstance(path, str) or not path.strip():
        raise WorkspaceError("path is empty; use a relative path such as output/reply.md")
    if len(path) > MAX_PATH_CHARS:
        raise WorkspaceError(f"path is longer than {MAX_PATH_CHARS} characters")
    if _BAD_CHARS.search(path):
        raise WorkspaceError("path contains a control character, NUL or backslash")
    raw = path.strip()
    for alias in ROOT_ALIASES:
        if raw.startswith(alias):
            raw = raw[len(alias) :]
            break
    if raw.startswith("/") or raw.startswith("~"):
        raise WorkspaceError(
            f"absolute path {path!r} is outside the workspace; use a relative path "
            "such as output/reply.md"
        )
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise WorkspaceError(f"path {path!r} leaves the workspace ('..' is not allowed)")
    for part in parts:
        if not _SEGMENT.match(part):
            raise WorkspaceError(
                f"path component {part!r} may only hold letters, digits, '.', '_', '-' and spaces"
            )
    return posixpath.join(*parts)


class Workspace:
    """An in-memory folder: relative path -> text. One per episode."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write(self, path: str, content: str, mode: str = "w") -> dict[str, Any]:
        """Write (``w``) or append (``a``) ``content``; checks everything before changing anything."""
        if mode not in ("w", "a"):
            raise WorkspaceError(f"mode must be 'w' (overwrite) or 'a' (append), not {mode!r}")
        if not isinstance(content, str):
            raise WorkspaceError("content must be a string")
        if "\x00" in content:
            raise WorkspaceError("content contains a NUL character")
        key = normalise_path(path)
        new = (self.files.get(key, "") + content) if mode == "a" else content
        if len(new) > MAX_FILE_CHARS:
            raise WorkspaceError(f"file would exceed {MAX_FILE_CHARS:,} characters")
        total = sum(len(v) for k, v in self.files.items() if k != key) + len(new)
        if total > MAX_TOTAL_CHARS:
            raise WorkspaceError(f"workspace would exceed {MAX_TOTAL_CHARS:,} characters")
        if key not in self.files and len(self.files) >= MAX_FILES:
            raise WorkspaceError(f"the workspace already holds {MAX_FILES} files")
        self.files[key] = new
        return {"path": key, "chars": len(new), "mode": mode, "status": "written"}

    def read(self, path: str) -> str | None:
        """The text of ``path`` (any accepted spelling), None when absent or invalid."""
        try:
            return self.files.get(normalise_path(path))
        except WorkspaceError:
            return None


def episode_workspace(context: ToolContext | None) -> Workspace:
    """The episode's workspace (``context.services["workspace"]``), created on first use."""
    if context is None:
        raise ToolError("no episode context is bound to this tool call")
    ws = context.services.get("workspace")
    if not isinstance(ws, Workspace):
        ws = Workspace()
        context.services["workspace"] = ws
    return ws


def replay(calls: Iterable[Any]) -> Workspace:
    """The workspace rebuilt from recorded tool calls (``ToolCall``-like objects or dicts)."""
    ws = Workspace()
    for call in calls:
        get = call.get if isinstance(call, dict) else lambda k, c=call: getattr(c, k, None)
        if get("name") != WRITE_FILE or get("error") is not None:
            continue
        args = get("arguments") or {}
        try:
            ws.write(
                str(args.get("file_path", "")),
                str(args.get("content", "")),
                str(args.get("mode", "w")),
            )
        except WorkspaceError:
            continue  # the live call was refused too (its error is recorded)
    return ws


def workspace_files(record: Any) -> dict[str, str]:
    """Final files of an episode (an ``EpisodeRecord``): path -> text, replayed from its calls."""
    return dict(replay(record.tool_calls).files)


@tool(
    name=WRITE_FILE,
    examples={"file_path": ["output/econsult_reply.md"], "mode": ["w"]},
)
def write_file(
    file_path: str,
    content: str,
    mode: Literal["w", "a"] = "w",
    context: ToolContext | None = None,
) -> dict[str, Any]:
    """Write a text file (e.g. your e-consult reply) into this task's workspace.

    Args:
        file_path: Relative path inside the workspace, e.g. "output/econsult_reply.md"
            ("/workspace/output/..." is accepted too). Paths outside the workspace are refused.
        content: The full text to write.
        mode: "w" replaces the file, "a" appends to it.
    """
    return episode_workspace(context).write(file_path, content, mode)


__all__ = [
    "MAX_FILE_CHARS",
    "WRITE_FILE",
    "Workspace",
    "WorkspaceError",
    "episode_workspace",
    "normalise_path",
    "replay",
    "workspace_files",
    "write_file",
]
