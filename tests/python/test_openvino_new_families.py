"""init_openvino for the families issues 12 and 13 added, in the OpenVINO venv (optimum-intel 2.2,
which caps transformers at 5.5.x): each fixture's skillset (the default one, or the one its family
test generates: tests/cuda_check.py's GENERATED) on its own sample input, against init_cpu.
- CONVERTED: optimum-intel has no class for the task, so the family's torch model runs through
  openvino.convert_model (python/skillgen_runtime/openvino_convert.py): backend "openvino" and every
  leaf equal to CPU torch (cuda_check.compare, relative 1e-4).
- FALLBACK: the converted model fails its sample check (the note says why), so CPU torch runs,
  labelled backend "torch" with a fallback note, and equals init_cpu.
- TOO_NEW: transformers 5.5.4 does not know the model type or its Auto class; the handler's error
  says the installed transformers is too old (the table is 5.24.0's)."""
import json
import os
import sys
import tempfile

import pytest
import torch
import transformers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import cuda_check  # noqa: E402  (tests/cuda_check.py: fixture -> skillset mapping, leaf comparison)

CONVERTED = ["codec-dac", "codec-encodec", "codec-vibevoice_acoustic_tokenizer", "codec-vibevoice_acoustic_tokenizer_decoder",
             "codec-vibevoice_acoustic_tokenizer_encoder", "codec-xcodec", "colmodernvbert", "colpali", "colqwen2", "decision-transformer", "layoutlm-docqa",
             "layoutlmv3-docqa", "sam-wide", "slanext", "superglue", "superpoint", "swin2sr", "timesfm", "vilt-vqa", "vocoder-univnet"]
FALLBACK = ["bark", "codec-mimi", "lightglue", "patchtst-cls", "patchtsmixer-cls", "pe-audio"]
# DAC's extractor pads the waveform; over the padding the encoder's output is exactly 0, every
# codebook entry is equally near, and torch and OpenVINO break that tie differently. Codes are
# compared over the frames that cover the input (ceil(samples / hop_length)), all of them.
PADDED_CODES = {"codec-dac"}
TOO_NEW = ["janus-vqgan", "vitmatte", "vitpose"]
REL = 1e-4


def plan(names):
    """{fixture: (model_type, skillsets folder)} for these fixtures (cuda_check's mapping)."""
    rows = cuda_check.plan(names, tempfile.mkdtemp())
    return {name: (model_type, folder) for name, model_type, folder, why in rows if not why}


@pytest.fixture(scope="module")
def skillsets():
    return plan(CONVERTED + FALLBACK + TOO_NEW)


def handlers(skillsets, name):
    model_type, folder = skillsets[name]
    cls = cuda_check.load_class(model_type, folder)
    res = {"torch": torch, "transformers": transformers}
    cpu_skill, ov_skill = cls(res, {}), cls(res, {})
    path = os.path.join(cuda_check.FIXTURES, name)
    _, _, cpu, _, _ = cpu_skill.init_cpu(path, "cpu", "cpu")
    _, _, ov, _, _ = ov_skill.init_openvino(path, None, "CPU", "openvino:0")
    return cpu_skill, cpu, ov_skill, ov


@pytest.mark.parametrize("name", CONVERTED)
def test_converted_on_openvino_equal_to_cpu(skillsets, name):
    check_converted(skillsets, name)


def check_converted(skillsets, name):
    """init_openvino runs name's skillset converted: backend "openvino", every leaf equal to CPU torch,
    on the family's sample and, for audio and image samples, on seeded noise of the same shape, which
    must give another CPU result (some tiny codecs give the same codes for the sample reversed)."""
    cpu_skill, cpu, ov_skill, ov = handlers(skillsets, name)
    sample = cpu_skill._sample_input(cpu.task)
    answers = []
    for x in (sample, noise_like(sample)):
        if x is None:
            continue
        want, got = cpu(x), ov(x)
        assert want.get("implementation_type") == "REAL", want
        assert got.get("backend") == "openvino", got
        if name in PADDED_CODES:
            trim_padding_codes(name, x, want, got)
        worst, _, problems = cuda_check.compare(want, got)
        assert not problems and worst <= REL, (worst, problems)
        answers.append(want)
    assert ov_skill.endpoints["openvino:0"]["source"] == "openvino.convert_model"
    if len(answers) == 2:
        worst, _, problems = cuda_check.compare(answers[0], answers[1])
        assert problems or worst > REL, "the sample and noise give the same CPU result: the check cannot see the input"


def noise_like(sample):
    """The sample with its audio or image replaced by seeded noise of the same shape; None when it
    has neither."""
    import numpy as np

    rng = np.random.default_rng(0)
    if isinstance(sample, dict) and "audio" in sample:
        return dict(sample, audio=rng.uniform(-0.5, 0.5, len(sample["audio"])).astype("float32"))
    if isinstance(sample, dict) and isinstance(sample.get("image"), np.ndarray):
        return dict(sample, image=rng.integers(0, 256, sample["image"].shape, dtype=np.uint8))
    if isinstance(sample, np.ndarray) and sample.dtype == np.uint8:
        return rng.integers(0, 256, sample.shape, dtype=np.uint8)
    return None


def trim_padding_codes(name, x, want, got):
    with open(os.path.join(cuda_check.FIXTURES, name, "config.json")) as f:
        hop = json.load(f)["hop_length"]
    frames = -(-len(x["audio"]) // hop)
    for result in (want, got):
        assert all(len(row) > frames for codes in result["codes"] for row in codes), "no padding frames: compare them all"
        result["codes"] = [[row[:frames] for row in codes] for codes in result["codes"]]
        result.pop("code_shapes")


@pytest.mark.parametrize("name", FALLBACK)
def test_fallback_is_labelled_and_equal_to_cpu(skillsets, name):
    check_fallback(skillsets, name)


def check_fallback(skillsets, name):
    """init_openvino of name's skillset falls back to CPU torch, labelled, and answers as init_cpu."""
    cpu_skill, cpu, _, ov = handlers(skillsets, name)
    sample = cpu_skill._sample_input(cpu.task)
    want, got = cpu(sample), ov(sample)
    assert want.get("implementation_type") == "REAL", want
    assert got.get("backend") == "torch" and "ran on CPU with torch" in got.get("fallback", ""), got
    worst, _, problems = cuda_check.compare(want, got)
    assert not problems and worst == 0.0, (worst, problems)


@pytest.mark.parametrize("name", TOO_NEW)
def test_model_types_newer_than_the_openvino_venv_say_so(skillsets, name):
    _, _, ov_skill, ov = handlers(skillsets, name)
    result = ov(ov_skill._sample_input(ov.task if hasattr(ov, "task") else ov_skill.DEFAULT_TASK))
    assert result["implementation_type"] == "ERROR" and "too old" in result["error"] and transformers.__version__ in result["error"], result
