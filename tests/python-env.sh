#!/usr/bin/env bash
# Runs a command inside the test venv, creating it first when needed.
# The venv lives outside the clone (~/.cache/skillgen/venv-<hash of tests/requirements.txt>) so a
# fresh clone, CI and later runs reuse it; it is only used once fully installed (.complete marker).
#   tests/python-env.sh python -c 'import torch'
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$root/tests/requirements.txt"
hash="$(sha256sum "$req" | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/skillgen"
venv="$cache/venv-$hash"
python="${SKILLGEN_PYTHON:-python3}"
if [ ! -f "$venv/.complete" ]; then
  echo "python-env: creating $venv from tests/requirements.txt (a few minutes, once)" >&2
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
