#!/usr/bin/env bash
# The CUDA check as one command on a GPU machine: generates the default skillsets, builds the tiny
# fixture models (offline) and runs tests/cuda_check.py (every fixture's init_cuda endpoint against
# its init_cpu endpoint, every output leaf compared; the families the default models.toml does not
# name get the skillset their family test generates, with the skillgen binary built here). Exit 0 only when every fixture matches; 2 when
# torch sees no CUDA device (nothing checked).
#   bash tests/cuda_check.sh [fixture ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=target/test-output
cargo run --quiet -- generate --models models.toml --autoconfigs autoconfigs --out "$out"
rm -rf target/test-fixtures
tests/python-env.sh python tests/fixtures/build_fixtures.py target/test-fixtures 2> target/test-fixtures.log
SKILLGEN_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/skillgen" \
SKILLGEN_SKILLSETS="$PWD/$out/skillsets" SKILLGEN_FIXTURES="$PWD/target/test-fixtures" \
  tests/python-env.sh python tests/cuda_check.py "$@"
