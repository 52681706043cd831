#!/usr/bin/env bash
# The whole test suite, from a fresh clone: Rust checks and tests, then the generated Python run
# on real tiny models, then the mutation check (the family tests must fail against broken copies).
# Installs what it needs (the pinned Python venv, once, under ~/.cache).
#   bash tests/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "python venv (tests/requirements.txt)"
tests/python-env.sh python -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

step "ruff check python/ (the skillsets' runtime, python/ruff.toml)"
tests/python-env.sh ruff check --no-cache python

step "cargo test"
# The Python toolchain on PATH lets Rust tests run ruff on generated files.
tests/python-env.sh cargo test --quiet

out=target/test-output
step "generate the default models.toml into $out"
cargo run --quiet -- generate --models models.toml --autoconfigs autoconfigs --out "$out"

step "generate a skillset for every supported model_type into target/coverage"
cargo run --quiet -- coverage --manifest > target/coverage.toml
mkdir -p target/no-configs
cargo run --quiet -- generate --models target/coverage.toml --autoconfigs target/no-configs --out target/coverage

step "build tiny fixture models (offline)"
rm -rf target/test-fixtures
tests/python-env.sh python tests/fixtures/build_fixtures.py target/test-fixtures

step "pytest tests/python"
SKILLGEN_SKILLSETS="$PWD/$out/skillsets" SKILLGEN_FIXTURES="$PWD/target/test-fixtures" SKILLGEN_COVERAGE="$PWD/target/coverage" \
  tests/python-env.sh python -m pytest -q -p no:cacheprovider tests/python

step "mutation check: every family's tests must fail against deliberately broken skillsets (docs/testing.md)"
tests/python-env.sh python tests/mutation_check.py --skillsets "$PWD/$out/skillsets" --fixtures "$PWD/target/test-fixtures" --work target/mutation-check
