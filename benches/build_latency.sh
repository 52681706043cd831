#!/usr/bin/env bash
# Build latency of the dev profile: no-op, after a models.toml edit, after a template edit.
# Edits are mtime touches (content unchanged), so the tree is left as it was.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --quiet
time_it() { local s e; s=$(date +%s.%N); cargo build --quiet; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }
report() { sort -n | awk '{a[NR]=$1} END {printf "median %.2f s (range %.2f .. %.2f, n=%d)", a[int((NR+1)/2)], a[1], a[NR], NR}'; }
echo "build latency (dev profile):"
echo "  no-op cargo build:               $(for _ in 1 2 3 4 5; do time_it; done | report) — goal < 0.5 s"
echo "  after a models.toml edit:        $(for _ in 1 2 3; do touch models.toml; time_it; done | report) — goal < 3 s"
echo "  after a template edit:           $(for _ in 1 2; do touch templates/skillset.py; time_it; done | report)"
