#!/usr/bin/env bash
# The whole test suite, from a fresh clone: Rust checks and tests, then the generated Python run
# on real tiny models, then the mutation check (the family tests must fail against broken copies).
# Installs what it needs (the two pinned Python venvs, once, under ~/.cache: tests/requirements.txt
# with the newest transformers for everything, tests/requirements-openvino.txt with the transformers
# optimum-intel allows for the OpenVINO tests, tests/python/test_openvino*.py; and Debian's
# tesseract-ocr when the machine has no tesseract, with apt-get as root or through sudo).
#   bash tests/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "tesseract (Debian's tesseract-ocr: document question answering's OCR path, through pytesseract)"
if ! command -v tesseract >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng >/dev/null \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng >/dev/null; }
fi
tesseract --version | head -1

step "python venvs (tests/requirements.txt; tests/requirements-openvino.txt)"
tests/python-env.sh python -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
tests/python-env.sh --openvino python -c 'import transformers, optimum.intel; print("openvino venv: transformers", transformers.__version__)'

step "ruff check python/ (the skillsets' runtime, python/ruff.toml)"
tests/python-env.sh ruff check --no-cache python

step "ruff check tests/ scripts/ benches/ (tests/ruff.toml: the runtime's rules)"
tests/python-env.sh ruff check --no-cache --config tests/ruff.toml tests scripts benches

step "cargo test --workspace"
# The Python toolchain on PATH lets Rust tests run ruff on generated files.
tests/python-env.sh cargo test --workspace --quiet

out=target/test-output
step "generate the default models.toml into $out"
cargo run --quiet -- generate --models models.toml --autoconfigs autoconfigs --out "$out"

step "generate a skillset for every supported model_type into target/coverage"
cargo run --quiet -- coverage --models-toml > target/coverage.toml
mkdir -p target/no-configs
cargo run --quiet -- generate --models target/coverage.toml --autoconfigs target/no-configs --out target/coverage

step "build tiny fixture models (offline)"
rm -rf target/test-fixtures
tests/python-env.sh python tests/fixtures/build_fixtures.py target/test-fixtures

step "pytest tests/python (newest transformers), all but the OpenVINO tests"
SKILLGEN_SKILLSETS="$PWD/$out/skillsets" SKILLGEN_FIXTURES="$PWD/target/test-fixtures" SKILLGEN_COVERAGE="$PWD/target/coverage" \
  tests/python-env.sh python -m pytest -q -p no:cacheprovider tests/python --ignore-glob='tests/python/test_openvino*.py'

step "build tiny fixture models for the OpenVINO tests (offline, tests/requirements-openvino.txt)"
rm -rf target/test-fixtures-openvino
tests/python-env.sh --openvino python tests/fixtures/build_fixtures.py target/test-fixtures-openvino

step "pytest tests/python/test_openvino*.py (optimum-intel and the transformers it allows)"
SKILLGEN_SKILLSETS="$PWD/$out/skillsets" SKILLGEN_FIXTURES="$PWD/target/test-fixtures-openvino" SKILLGEN_COVERAGE="$PWD/target/coverage" \
  tests/python-env.sh --openvino python -m pytest -q -p no:cacheprovider tests/python/test_openvino*.py

step "mutation check: every family's tests must fail against deliberately broken skillsets (docs/testing.md)"
tests/python-env.sh python tests/mutation_check.py --skillsets "$PWD/$out/skillsets" --fixtures "$PWD/target/test-fixtures" --work target/mutation-check
