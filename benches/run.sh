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
# Every supported model_type's skillset: the worker-import benchmark, and the OpenVINO rows for model
# types the default set lacks (llava_next, musicgen).
cov=target/bench/coverage
mkdir -p target/bench/no-configs
cargo run --quiet --release -- coverage --models-toml > target/bench/coverage.toml
cargo run --quiet --release -- generate --models target/bench/coverage.toml --autoconfigs target/bench/no-configs --out "$cov" >/dev/null
# OpenVINO (optimum-intel or openvino.convert_model) vs CPU torch per family, batch 1 and 16, in the
# OpenVINO venv on fixtures built by it (the newest transformers' fixtures may not load there).
[ -d target/test-fixtures-openvino ] || tests/python-env.sh --openvino python tests/fixtures/build_fixtures.py target/test-fixtures-openvino >/dev/null 2>&1
SKILLGEN_COVERAGE="$PWD/$cov" SKILLGEN_SKILLSETS="$PWD/$out/skillsets" SKILLGEN_FIXTURES="$PWD/target/test-fixtures-openvino" SKILLGEN_BIN="$PWD/target/release/skillgen" \
  tests/python-env.sh --openvino python benches/openvino_latency.py "$out/skillsets" target/test-fixtures-openvino 10
# The model types too new for that venv, in the newest venv (openvino, no optimum-intel: convert_model).
SKILLGEN_COVERAGE="$PWD/$cov" SKILLGEN_SKILLSETS="$PWD/$out/skillsets" SKILLGEN_FIXTURES="$PWD/target/test-fixtures" SKILLGEN_BIN="$PWD/target/release/skillgen" \
  tests/python-env.sh python benches/openvino_latency.py "$out/skillsets" target/test-fixtures 10 janus-vqgan apertus1p5-vision-tokenizer \
  vitmatte vitpose pp-ocrv6-rec tapas-wtq codec-wavtokenizer codec-wavtokenizer_encoder codec-mimi_decoder \
  codec-pocket_tts_audio_tokenizer_decoder vocoder-speecht5_hifigan vocoder-fastspeech2_conformer_hifigan
# The host worker's import with one skillset per supported model_type (exec'd twice, as worker.py does).
python3 benches/worker_import.py "$cov/skillsets" 5
