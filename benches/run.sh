#!/usr/bin/env bash
# All benchmark figures (see docs/benchmarks.md):  bash benches/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
cargo bench --quiet --bench generator
bash benches/build_latency.sh
out=target/bench/default
cargo run --quiet --release -- generate --out "$out" >/dev/null 2>&1
[ -d target/test-fixtures ] || tests/python-env.sh python tests/fixtures/build_fixtures.py target/test-fixtures >/dev/null 2>&1
tests/python-env.sh python benches/handler_overhead.py "$out/skillsets" target/test-fixtures
# OpenVINO (optimum-intel or openvino.convert_model) vs CPU torch per family, batch 1 and 16.
# Rows for model types the default set lacks (llava_next, musicgen) need SKILLGEN_COVERAGE=<coverage out>.
CI=true tests/python-env.sh python benches/openvino_latency.py "$out/skillsets" target/test-fixtures 10
# The host worker's import with one skillset per supported model_type (exec'd twice, as worker.py does).
cov=target/bench/coverage
mkdir -p target/bench/no-configs
cargo run --quiet --release -- coverage --models-toml > target/bench/coverage.toml
cargo run --quiet --release -- generate --models target/bench/coverage.toml --autoconfigs target/bench/no-configs --out "$cov" >/dev/null
python3 benches/worker_import.py "$cov/skillsets" 5
