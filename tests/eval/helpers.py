"""Shared by the eval tests: run ``medsim eval`` in-process on Demo-v0."""

from __future__ import annotations

from pathlib import Path

from medsim.cli.main import main


def eval_demo(agent: str, out: Path, *extra: str) -> int:
    """``medsim eval --env Demo-v0 --agent AGENT --out OUT --quiet EXTRA...``; the exit code."""
    return main(
        ["eval", "--env", "Demo-v0", "--agent", agent, "--out", str(out), "--quiet", *extra]
    )
