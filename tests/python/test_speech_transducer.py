"""speech_recognition by transducers (RNN-T / TDT: parakeet_rnnt, parakeet_tdt, nemotron ASR) on
tiny offline models (tests/fixtures/fixtures_transducer.py), against transformers'
automatic-speech-recognition pipeline, which serves these models. Skillsets are generated with the
binary (conftest.generated_skillset), over the runtime under test."""
import os

import numpy as np
import pytest
import torch
import transformers

import expect

RATE = 16000
MODEL_TYPES = ["nemotron3_5_asr", "nemotron_asr_streaming", "parakeet_rnnt", "parakeet_tdt"]


def waves():
    """A chirp and noise of one second, and shorter noise. (transformers' TDT generate() fails with
    an IndexError on some inputs of the random fixture, pipeline included, e.g. the chirp's first
    9000 samples; these clips decode.)"""
    t = np.arange(RATE) / RATE
    chirp = (0.5 * np.sin(2 * np.pi * (200 + 900 * t) * t)).astype("float32")
    noise = (np.random.RandomState(3).randn(RATE) * 0.3).astype("float32")
    return [chirp, noise, noise[:12000]]


@pytest.fixture(scope="module")
def generated(generated_skillset):
    """The skillset class of a model type, generated with the binary over the runtime under test."""
    return lambda model_type: generated_skillset("test/" + model_type, model_type)


def handler_for(generated, fixtures, model_type):
    skill = generated(model_type)({"torch": torch, "transformers": transformers}, {})
    _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, "transducer-" + model_type), "cpu", "cpu")
    return skill, handler


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_transcriptions_match_the_pipeline(generated, fixtures, model_type):
    skill, handler = handler_for(generated, fixtures, model_type)
    assert skill.FAMILY == "speech_transducer" and handler.task == "speech_recognition"
    clips = waves()
    result = handler({"audio": clips, "sampling_rate": RATE})
    assert result["implementation_type"] == "REAL", result
    pipe = transformers.pipeline("automatic-speech-recognition", model=os.path.join(fixtures, "transducer-" + model_type))
    want = [pipe(clip)["text"] for clip in clips]
    for got, text in expect.pairs(result["text"], want):
        assert got == text
    expect.distinct(want[:2], "transcriptions of a chirp and noise")
    assert all(text.strip() for text in want), want
    alone = handler(clips[1])
    assert alone["text"] == [want[1]]


@pytest.mark.parametrize("bad", [{"audio": [0.1] * 100, "max_new_tokens": 3}, {"audio": []}, "no-such-file.wav", 7])
def test_bad_input_is_an_error(generated, fixtures, bad):
    _, handler = handler_for(generated, fixtures, "parakeet_tdt")
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and "error" in result, result
