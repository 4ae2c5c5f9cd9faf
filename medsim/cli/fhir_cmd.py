"""``medsim serve-fhir``: serve the embedded engine over HTTP."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve-fhir", help="serve the embedded FHIR engine over HTTP at /fhir")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument(
        "--data",
        default=None,
        help="FHIR data to load (Bundle/NDJSON file or folder); default: the shipped cohort",
    )
    p.add_argument("--empty", action="store_true", help="start with no data")
    p.add_argument(
        "--no-validate",
        action="store_true",
        help="load --data without validating it (unsafe: invalid resources are stored as they are)",
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="leave invalid resources of --data out (each is reported) instead of loading nothing",
    )
    p.add_argument(
        "--max-page-size",
        type=int,
        default=None,
        help="largest _count honoured (default 1000, as medsim's HAPI); larger ones are reduced "
        "with a warning in the Bundle",
    )
    p.add_argument(
        "--idle-seconds",
        type=float,
        default=None,
        help="close an X-Medsim-Episode after this long without requests (default 900)",
    )
    p.add_argument(
        "--max-episodes",
        type=int,
        default=None,
        help="open episodes at most; new ones beyond it get 429 (default 256)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from medsim.fhir.embedded import DEFAULT_BASE_URL, EmbeddedBackend
    from medsim.fhir.server import serve

    data = args.data
    if data is None and not args.empty:
        from medsim.data.cohort import cohort_path

        data = cohort_path()
    base_url = f"http://{args.host}:{args.port}/fhir" if args.port else DEFAULT_BASE_URL
    from medsim.fhir.loader import DataError

    try:
        backend = EmbeddedBackend(
            data,
            base_url=base_url,
            validate=False if args.no_validate else None,
            skip_invalid=args.skip_invalid,
        )
    except DataError as exc:
        print(f"medsim serve-fhir: {exc}", file=sys.stderr)
        return 2
    for line in backend.rejected:
        print(f"skipped {line}", file=sys.stderr)
    if args.max_page_size is not None:
        backend.max_page_size = args.max_page_size
    options = {
        name: value
        for name, value in (
            ("idle_seconds", args.idle_seconds),
            ("max_episodes", args.max_episodes),
        )
        if value is not None
    }
    serve(backend, args.host, args.port, **options)
    return 0
