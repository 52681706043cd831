#!/usr/bin/env bash
# Runs a command inside a test venv, creating it first when needed.
#   tests/python-env.sh python -c 'import torch'             # tests/requirements.txt: the newest transformers
#   tests/python-env.sh --openvino python -m pytest ...       # tests/requirements-openvino.txt: optimum-intel's pinned set
# Each venv lives outside the clone (~/.cache/skillgen/venv-<hash of its requirements file>) so a
# fresh clone, CI and later runs reuse it; it is only used once fully installed (.complete marker).
# Two venvs because optimum-intel (OpenVINO export) allows only an older transformers than the
# newest, which the detection table (data/transformers_auto.json) and every other test use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$root/tests/requirements.txt"
if [ "${1:-}" = "--openvino" ]; then
  req="$root/tests/requirements-openvino.txt"
  shift
fi
hash="$(sha256sum "$req" | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/skillgen"
venv="$cache/venv-$hash"
python="${SKILLGEN_PYTHON:-python3}"
if [ ! -f "$venv/.complete" ]; then
  echo "python-env: creating $venv from tests/$(basename "$req") (a few minutes, once)" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.complete"
fi
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
# Nothing may reach the network at test time; OpenVINO/nncf telemetry is off too.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 DO_NOT_TRACK=1 CI="${CI:-true}"
exec "$@"
