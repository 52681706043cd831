#!/usr/bin/env python3
"""OpenVINO vs CPU torch latency per family: the same generated skillset's init_openvino handler
against its init_cpu handler, on the tiny fixtures, at batch 1 and batch 16 (one handler call with
16 different inputs). Medians (and minimums) over interleaved repetitions after two warm-up calls
(the warm-up also does the OpenVINO conversion of a new batch shape); figures in ms; speed-up is
the ratio of the medians. Prints a markdown table.

    CI=true tests/python-env.sh python benches/openvino_latency.py SKILLSETS_DIR FIXTURES_DIR [REPS [MODEL_TYPE ...]]

Model types the default skillsets do not list (llava_next, musicgen) are loaded from
$SKILLGEN_COVERAGE/skillsets (the coverage run's output). The families issues 12 and 13 added that
run converted are found as tests/cuda_check.py finds them (its GENERATED entries are generated with
$SKILLGEN_BIN). MODEL_TYPE (or fixture) arguments limit the run to those rows.
"""
import importlib.util
import os
import statistics
import sys
import time

import numpy as np
import torch
import transformers

SKILLSETS, FIXTURES = sys.argv[1], sys.argv[2]
REPS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
ONLY = set(sys.argv[4:])

# family, model_type, fixture
FAMILIES = [
    ("text encoder", "bert", "bert"),
    ("text decoder (8 tokens)", "gpt2", "gpt2"),
    ("text encoder-decoder (8 tokens)", "t5", "t5"),
    ("vision encoder (classification)", "vit", "vit-cls"),
    ("vision encoder (embedding)", "dinov2", "dinov2"),
    ("speech CTC", "wav2vec2", "wav2vec2-ctc"),
    ("audio classification", "audio-spectrogram-transformer", "ast"),
    ("vision-text dual encoder", "clip", "clip"),
    ("audio-text dual encoder", "clap", "clap"),
    ("video-text dual encoder", "xclip", "xclip"),
    ("video classification", "videomae", "videomae"),
    ("object detection", "detr", "detr"),
    ("zero-shot detection", "owlvit", "owlvit"),
    ("segmentation", "segformer", "segformer"),
    ("depth estimation", "dpt", "dpt"),
    ("image-text-to-text (8 tokens)", "llava", "llava"),
    ("image-text-to-text, anyres (8 tokens)", "llava_next", "llava_next"),
    ("text decoder, qwen2 (8 tokens)", "qwen2", "qwen2"),
    ("image-to-text, ViT + GPT-2 (8 tokens)", "vision-encoder-decoder", "vit-gpt2"),
    ("image-to-text, BLIP (8 tokens)", "blip", "blip"),
    ("text-to-audio, MusicGen (8 audio tokens)", "musicgen", "musicgen"),
]
# family, fixture: the families of issues 12 and 13 that run on OpenVINO through convert_model
# (tests/python/test_openvino_new_families.py CONVERTED); a fixture the running venv cannot build or
# load is skipped.
NEW_FAMILIES = [
    ("visual question answering", "vilt-vqa"),
    ("image-to-image (super-resolution)", "swin2sr"),
    ("mask generation", "sam-wide"),
    ("document question answering", "layoutlm-docqa"),
    ("document question answering, v3", "layoutlmv3-docqa"),
    ("keypoint detection", "superpoint"),
    ("keypoint matching", "superglue"),
    ("table recognition", "slanext"),
    ("document retrieval", "colpali"),
    ("document retrieval, qwen2-vl", "colqwen2"),
    ("document retrieval, modernvbert", "colmodernvbert"),
    ("trajectory (action prediction)", "decision-transformer"),
    ("time series forecasting", "timesfm"),
    ("audio codec", "codec-dac"),
    ("audio codec", "codec-encodec"),
    ("audio codec", "codec-xcodec"),
    ("vocoder", "vocoder-univnet"),
    # Too new for the OpenVINO venv's transformers: run in the newest venv, which has openvino and
    # no optimum-intel (tests/python/test_convert_newest.py CONVERTED).
    ("image tokenizer", "janus-vqgan"),
    ("image tokenizer", "apertus1p5-vision-tokenizer"),
    ("image matting", "vitmatte"),
    ("pose estimation", "vitpose"),
    ("text recognition", "pp-ocrv6-rec"),
    ("table question answering", "tapas-wtq"),
    ("audio codec", "codec-wavtokenizer"),
    ("audio codec, encoder half", "codec-wavtokenizer_encoder"),
    ("audio codec, decoder half", "codec-mimi_decoder"),
    ("audio codec, decoder half", "codec-pocket_tts_audio_tokenizer_decoder"),
    ("vocoder", "vocoder-speecht5_hifigan"),
    ("vocoder", "vocoder-fastspeech2_conformer_hifigan"),
]


def skill(model_type, folder=None):
    path = os.path.join(folder or SKILLSETS, "hf_" + model_type + ".py")
    if not os.path.isfile(path) and os.environ.get("SKILLGEN_COVERAGE"):
        path = os.path.join(os.environ["SKILLGEN_COVERAGE"], "skillsets", "hf_" + model_type + ".py")
    spec = importlib.util.spec_from_file_location("hf_" + model_type, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "hf_" + model_type)({"torch": torch, "transformers": transformers}, {})


def vary(x, seed):
    rng = np.random.default_rng(seed)
    if isinstance(x, np.ndarray):
        return rng.integers(0, 256, size=x.shape, dtype=np.uint8)
    if isinstance(x, list) and len(x) > 100 and all(isinstance(v, float) for v in x):
        return [float(v) for v in rng.uniform(-0.3, 0.3, size=len(x))]
    if isinstance(x, list):
        return [vary(v, seed * 31 + i) for i, v in enumerate(x)]
    if isinstance(x, str):
        return x + " " + " ".join(["again"] * (seed % 4))
    return x


def batch_of(sample, n):
    """n different inputs in one call, shaped as the family takes a batch."""
    if isinstance(sample, dict):
        for key in ("image", "images", "audio", "video", "prompt", "text", "spectrogram", "latents", "series"):
            if key in sample and not (key == "text" and any(k in sample for k in ("image", "audio", "video"))):
                return dict(sample, **{key: [vary(sample[key], i) for i in range(n)]})
        return dicts_of(sample, n)
    return [vary(sample, i) for i in range(n)]


def dicts_of(sample, n):
    """n different requests as a list of dicts: families that take one request per dict (SAM,
    document QA, trajectories)."""
    return [{k: vary(v, i * 7 + j) for j, (k, v) in enumerate(sample.items())} for i in range(n)]


def planned():
    """(family, model_type, fixture, skillsets folder or None) for every row."""
    rows = [(family, model_type, fixture, None) for family, model_type, fixture in FAMILIES]
    wanted = [fixture for _, fixture in NEW_FAMILIES if not ONLY or fixture in ONLY]
    if wanted:
        import tempfile

        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
        import cuda_check  # the fixture -> skillset mapping the tests use

        # Fixtures this venv built and whose model type its transformers knows.
        types = transformers.models.auto.configuration_auto.CONFIG_MAPPING_NAMES
        known = [f for f in wanted if os.path.isdir(os.path.join(FIXTURES, f)) and cuda_check.fixture_model_type(f) in types]
        for fixture in sorted(set(wanted) - set(known)):
            print("skipped " + fixture + ": not built or not known by transformers " + transformers.__version__, file=sys.stderr)
        found = {name: (model_type, folder) for name, model_type, folder, why in cuda_check.plan(known, tempfile.mkdtemp()) if not why}
        rows += [(family, found[fixture][0], fixture, found[fixture][1]) for family, fixture in NEW_FAMILIES if fixture in found]
    return rows


def median_ms(times):
    return round(1000 * statistics.median(times), 2)


def min_ms(times):
    return round(1000 * min(times), 2)


def main():
    torch.manual_seed(0)
    rows = []
    for family, model_type, fixture, folder in planned():
        if ONLY and model_type not in ONLY and fixture not in ONLY:
            continue
        path = os.path.join(FIXTURES, fixture)
        if not os.path.isdir(path) or not any(
            os.path.isfile(os.path.join(d, "hf_" + model_type + ".py"))
            for d in (folder or SKILLSETS, os.path.join(os.environ.get("SKILLGEN_COVERAGE", ""), "skillsets"))
        ):
            print("skipped " + model_type + ": no fixture or no skillset (SKILLGEN_COVERAGE)", file=sys.stderr)
            continue
        ov_skill = skill(model_type, folder)
        t = time.perf_counter()
        ov = ov_skill.init_openvino(path, None, "CPU", "openvino:0")[2]
        init_s = time.perf_counter() - t
        cpu = skill(model_type, folder).init_cpu(path, "cpu", "cpu")[2]
        source = ov_skill.endpoints.get("openvino:0", {}).get("source", "?")
        sample = ov_skill._sample_input(ov.task)
        row = [family, model_type, source, str(round(init_s, 1))]
        for n in (1, 16):
            x = sample if n == 1 else batch_of(sample, n)
            first = ov(x)
            if n > 1 and "error" in first and isinstance(sample, dict):
                x = dicts_of(sample, n)
                first = ov(x)
            if "error" in first or first.get("backend") != "openvino":
                row += ["n/a (" + str(first.get("error") or "fallback")[:60] + ")", "", ""]
                continue
            cpu(x)
            ov(x)
            cpu(x)
            ov_t, cpu_t = [], []
            for _ in range(REPS):
                a = time.perf_counter()
                ov(x)
                ov_t.append(time.perf_counter() - a)
                a = time.perf_counter()
                cpu(x)
                cpu_t.append(time.perf_counter() - a)
            o, c = median_ms(ov_t), median_ms(cpu_t)
            # median (min): the min is the figure least disturbed by other load on a shared machine
            row += [str(o) + " (" + str(min_ms(ov_t)) + ")", str(c) + " (" + str(min_ms(cpu_t)) + ")", str(round(c / o, 2)) + "x"]
        rows.append(row)
        print(" | ".join(row), file=sys.stderr, flush=True)
    print("| family | model_type | OpenVINO source | init_openvino s | OV b1 ms median (min) | torch b1 ms | speed-up b1 | OV b16 ms | torch b16 ms | speed-up b16 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
