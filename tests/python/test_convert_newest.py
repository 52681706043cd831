"""init_openvino under the newest transformers, with openvino installed and no optimum-intel (a host
that has both is not rare: optimum-intel 2.2 caps transformers at 5.5.x). Every task then goes
through openvino.convert_model of the family's own model (python/skillgen_runtime/openvino_convert.py).
These are the fixtures the OpenVINO venv cannot build or load (model types newer than its
transformers 5.5.4); tests/python/test_openvino_new_families.py covers the rest there, with the same
checks: CONVERTED runs on OpenVINO with every leaf equal to CPU torch (relative 1e-4), FALLBACK runs
CPU torch labelled and equal to init_cpu, the cause in the README's matrix."""
import importlib.util

import pytest

from test_openvino_new_families import check_converted, check_fallback, plan

CONVERTED = ["apertus1p5-vision-tokenizer", "codec-mimi_decoder", "codec-pocket_tts_audio_tokenizer_decoder", "codec-wavtokenizer",
             "codec-wavtokenizer_encoder", "janus-vqgan", "pp-ocrv6-rec", "tapas-wtq", "vitmatte", "vitpose",
             "vocoder-fastspeech2_conformer_hifigan", "vocoder-speecht5_hifigan"]
# Mimi's encoder and pocket_tts's (Mimi-style) encoders: as Mimi in the OpenVINO venv (torch.export
# cannot guard cdist over sizes read from tensor buffers; no aten::diff for the traced graph).
# Transducers: generate() runs a per-step loop this path does not convert. Qwen2.5-Omni's BigVGAN:
# its forward ends in a squeeze() of every unit axis, which the exported graph keeps as a Squeeze
# the OpenVINO 2026.4 CPU plugin rejects at run time ("Can not clone with new dims").
FALLBACK = ["codec-mimi_encoder", "codec-pocket_tts_audio_tokenizer", "codec-pocket_tts_audio_tokenizer_encoder",
            "transducer-nemotron3_5_asr", "transducer-nemotron_asr_streaming", "transducer-parakeet_rnnt", "transducer-parakeet_tdt",
            "vocoder-qwen2_5_omni_bigvgan"]


@pytest.fixture(scope="module")
def skillsets():
    assert importlib.util.find_spec("openvino") is not None, "tests/requirements.txt pins openvino"
    assert importlib.util.find_spec("optimum") is None, "this checks the path without optimum-intel"
    return plan(CONVERTED + FALLBACK)


@pytest.mark.parametrize("name", CONVERTED)
def test_converted_under_the_newest_transformers(skillsets, name):
    check_converted(skillsets, name)


@pytest.mark.parametrize("name", FALLBACK)
def test_fallback_under_the_newest_transformers(skillsets, name):
    check_fallback(skillsets, name)
