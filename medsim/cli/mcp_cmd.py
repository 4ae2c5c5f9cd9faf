"""``medsim mcp``: serve one episode's tools over the Model Context Protocol (stdio); see
:mod:`medsim.train.mcp_server`. Needs the ``mcp`` extra (``pip install 'medsim[mcp]'``)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "mcp", help="serve an episode's tools over MCP (stdio); graded when finish is called"
    )
    p.add_argument("--env", required=True, help="environment id, e.g. Demo-v0")
    p.add_argument("--task", help="task id (default: chosen by --seed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, help="step budget (default: the task's)")
    p.add_argument("--record", type=Path, help="write the graded episode record (JSON) here")
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    try:
        import mcp  # noqa: F401
    except ImportError as exc:
        raise SystemExit("medsim mcp needs the mcp package: pip install 'medsim[mcp]'") from exc
    from medsim.train.mcp_server import EpisodeSession, serve_stdio

    kwargs: dict[str, Any] = {}
    if args.max_steps:
        kwargs["max_steps"] = args.max_steps
    session = EpisodeSession(
        args.env, task_id=args.task, seed=args.seed, record_path=args.record, env_kwargs=kwargs
    )
    asyncio.run(serve_stdio(session))
    return 0
