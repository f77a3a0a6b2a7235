#!/usr/bin/env bash
# Python venv for the provenance model pipeline (tools/model: training corpus -> IsolationForest -> model.onnx).
#
#   model-venv.sh start     build the venv once (cached), print export lines
#   model-venv.sh stop      nothing to stop (no process); idempotent
#   model-venv.sh status    exit 0 when the cached venv is complete
#
# stdout carries ONLY `export ...` lines; everything else goes to stderr.
# Not a server: a cached build "service" so that suites declare it like any peer (service('CHAINWATCH_TEST_MODEL_PYTHON')).
# CHAINWATCH_MODEL_PYTHON (same value) is what tools/model/pipeline.ts reads.
# The venv lives in $CHAINWATCH_CACHE/model-venv/<sha256 of tools/model/requirements.txt, 16 hex>, built with
# pip from PyPI with wheels only (no compiler), pinned. Cold cost: one pip install (~60 MB of wheels); warm: nothing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

REQ="$CHAINWATCH_ROOT/tools/model/requirements.txt"
KEY=$(sha256sum "$REQ" | cut -c1-16)
DEST="$CHAINWATCH_CACHE/model-venv/$KEY"
PY=${CHAINWATCH_MODEL_BASE_PYTHON:-python3}

log() { echo "model-venv.sh: $*" >&2; }

build_venv() {
  local tmp=$1 started; started=$(date +%s)
  log "building the model venv (once; cached in $DEST)"
  "$PY" -m venv "$tmp" >&2
  "$tmp/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --only-binary=:all: \
    --no-cache-dir -r "$REQ" >&2
  log "built in $(( $(date +%s) - started ))s"
}

case "${1:-}" in
  start)
    cached_build "$DEST" build_venv
    # The venv was built in a temporary directory and renamed: call its python by path (scripts in bin/ keep the old path).
    echo "export CHAINWATCH_TEST_MODEL_PYTHON=$DEST/bin/python"
    echo "export CHAINWATCH_MODEL_PYTHON=$DEST/bin/python"
    ;;
  stop) : ;;
  status) [[ -f "$DEST/.complete" ]] ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
