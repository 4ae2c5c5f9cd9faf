"""``medsim hapi``: build and run the real HAPI FHIR server without Docker.

medsim hapi build [--force]
medsim hapi start [--port 8080] [--host 127.0.0.1] [--timeout 300] [--heap 1536m] [--db PATH]
                  [--no-wait]
medsim hapi stop
medsim hapi status [--json]
"""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("hapi", help="build/start/stop medsim's HAPI FHIR server (Java, no Docker)")
    cmds = p.add_subparsers(dest="hapi_command", required=True)

    b = cmds.add_parser("build", help="package the server jar with Maven (skipped when up to date)")
    b.add_argument("--force", action="store_true", help="rebuild even if the jar is up to date")
    b.add_argument("--verbose", action="store_true", help="show Maven's output")
    b.set_defaults(func=run_build)

    s = cmds.add_parser("start", help="start the server in the background and wait until ready")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 for all interfaces)")
    s.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for /fhir/metadata"
    )
    s.add_argument(
        "--heap", default=None, help="JVM max heap, e.g. 1536m (default $MEDSIM_HAPI_HEAP)"
    )
    s.add_argument(
        "--db", default=None, help="H2 file path or JDBC URL (default: H2 in memory, lost on stop)"
    )
    s.add_argument("--no-wait", action="store_true", help="return as soon as the JVM is launched")
    s.set_defaults(func=run_start)

    t = cmds.add_parser("stop", help="stop the server started by 'medsim hapi start'")
    t.set_defaults(func=run_stop)

    st = cmds.add_parser("status", help="is the server running and ready?")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=run_status)


def run_build(args: argparse.Namespace) -> int:
    from medsim.fhir import hapi_server

    try:
        jar = hapi_server.build(force=args.force, quiet=not args.verbose)
    except hapi_server.HapiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(jar)
    return 0


def run_start(args: argparse.Namespace) -> int:
    from medsim.fhir import hapi_server

    try:
        info = hapi_server.start(
            port=args.port,
            host=args.host,
            wait=not args.no_wait,
            timeout=args.timeout,
            heap=args.heap,
            db=args.db,
        )
    except hapi_server.HapiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(info.url)
    print(f"pid {info.pid}, log {info.log}", file=sys.stderr)
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from medsim.fhir import hapi_server

    print("stopped" if hapi_server.stop() else "not running")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from medsim.fhir import hapi_server

    info = hapi_server.status()
    if args.json:
        print(json.dumps(info, indent=1))
    elif info["running"]:
        print(f"{'ready' if info['ready'] else 'starting'}: {info['url']} (pid {info['pid']})")
    else:
        print("not running")
    return 0 if info["running"] else 1
