#!/usr/bin/env bash
# Run medsim's HAPI FHIR server (Java, no Docker) for the `hapi` test marker.
#
#   eval "$(scripts/hapi-ci.sh start)"   # build if needed, start on a free port,
#                                         # prints: export MEDSIM_HAPI_URL=http://127.0.0.1:PORT/fhir
#   python -m pytest -m hapi tests/hapi
#   scripts/hapi-ci.sh stop
#
# Env: MEDSIM_HAPI_PORT (default: a free port), MEDSIM_HAPI_TIMEOUT (s, default 300),
# MEDSIM_HAPI_STATE (PID file + log, default $TMPDIR/medsim-hapi-ci), PYTHON (default python).
# Only the export line goes to stdout; progress and errors go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
export MEDSIM_HAPI_STATE="${MEDSIM_HAPI_STATE:-${TMPDIR:-/tmp}/medsim-hapi-ci}"
PY="${PYTHON:-python}"
medsim() { "$PY" -m medsim.cli.main "$@"; }

case "${1:-}" in
  start)
    port="${MEDSIM_HAPI_PORT:-$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
    t0=$(date +%s)
    echo "hapi-ci: building (if needed) and starting HAPI on port $port ..." >&2
    if ! url="$(medsim hapi start --port "$port" --timeout "${MEDSIM_HAPI_TIMEOUT:-300}")"; then
      echo "hapi-ci: HAPI failed to start (log: $MEDSIM_HAPI_STATE/hapi.log)" >&2
      exit 1
    fi
    echo "hapi-ci: ready at $url after $(( $(date +%s) - t0 ))s" >&2
    echo "export MEDSIM_HAPI_URL=$url"
    ;;
  stop)
    medsim hapi stop >&2
    ;;
  status)
    medsim hapi status
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
