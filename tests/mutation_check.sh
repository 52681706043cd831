#!/usr/bin/env bash
# Mutation check: breaks the generated skillsets on purpose (per family: ignore the input, swap batch
# rows, truncate generation, drop a label or box, return silence, skip the processor's normalisation),
# runs that family's tests against each broken copy, and reports each mutant killed or surviving.
# Builds what it needs like tests/run.sh (skillsets, tiny fixture models; never touches python/).
# Last line: "N killed, M survived"; exit 0 only when every mutant is killed. Details: docs/testing.md.
#   bash tests/mutation_check.sh [--family NAME] [--mutant NAME] [--jobs N] [--keep] [--list]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never
work=target/mutation-check
mkdir -p "$work"
cargo run --quiet -- generate --models models.toml --autoconfigs autoconfigs --out "$work/output" >&2
rm -rf "$work/fixtures"
tests/python-env.sh python tests/fixtures/build_fixtures.py "$work/fixtures" 2> "$work/fixtures.log"
tests/python-env.sh python tests/mutation_check.py --skillsets "$work/output/skillsets" --fixtures "$work/fixtures" --work "$work" "$@"
