"""text_to_audio for forward-only waveform models (VITS / MMS-TTS) on a tiny offline VitsModel
(tests/fixtures/fixtures_tasks.py), and for MusicGen (tests/fixtures/fixtures_input_dependent.py),
against transformers' text-to-audio pipeline under the same seed: waveforms within expect.close's
relative tolerance, lengths equal, and the references of two texts different. Both skillsets are
generated with the built binary (conftest.generated_skillset)."""
import os

import numpy as np
import pytest
import torch
import transformers

import expect

TEXTS = ["the quick brown fox", "paris, france!"]


@pytest.fixture(scope="module")
def vits_handler(cpu_handler):
    skill, handler, _ = cpu_handler("facebook/mms-tts-eng", "vits", "vits")
    return skill, handler


def test_vits_matches_the_text_to_audio_pipeline(fixtures, vits_handler):
    _, handler = vits_handler
    assert handler.task == "text_to_audio"
    pipe = transformers.pipeline("text-to-audio", model=os.path.join(fixtures, "vits"))
    result = handler({"text": TEXTS, "seed": 3})
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 2 and result["sampling_rate"] == 8000
    wanted = []
    for text in TEXTS:
        torch.manual_seed(3)
        expected = pipe(text)
        assert expected["sampling_rate"] == result["sampling_rate"]
        wanted.append(torch.from_numpy(np.asarray(expected["audio"]).reshape(-1).copy()))
    shortest = min(w.shape[0] for w in wanted)
    expect.differ(wanted[0][:shortest], wanted[1][:shortest], "reference waveforms of two texts")
    for row, want in expect.pairs(range(result["count"]), wanted, "waveforms"):
        assert result["lengths"][row] == want.shape[0]
        expect.close(result["audio"][row, : want.shape[0]], want, "waveform")
        assert not result["audio"][row, want.shape[0]:].any()  # zero padding only
    # The seed matters (VITS samples noise) and is honoured.
    again = handler({"text": TEXTS[0], "seed": 3})
    other = handler({"text": TEXTS[0], "seed": 4})
    assert torch.equal(again["audio"][0, : again["lengths"][0]], result["audio"][0, : result["lengths"][0]])
    assert not torch.equal(other["audio"], again["audio"])


@pytest.mark.parametrize("bad", ["", [], [3], {"text": "hi", "seed": -1}, {"text": "hi", "bogus": 1}, {"seed": 1}, None])
def test_vits_bad_input_is_an_error_dict(vits_handler, bad):
    _, handler = vits_handler
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_vits_test_method_runs_the_sample(vits_handler):
    skill, handler = vits_handler
    assert skill.__test__("vits", handler, "cpu")["ok"]


def test_musicgen_matches_the_text_to_audio_pipeline(cpu_handler):
    skill, handler, path = cpu_handler("facebook/musicgen-small", "musicgen", "musicgen-wide")
    assert handler.task == "text_to_audio"
    pipe = transformers.pipeline("text-to-audio", model=path)
    texts = ["a piano", "rain on a roof"]
    result = handler({"text": texts, "seed": 5, "max_new_tokens": 6})
    assert result["implementation_type"] == "REAL", result
    assert result["sampling_rate"] == 8000
    wanted = []
    for text in texts:
        torch.manual_seed(5)
        wanted.append(torch.from_numpy(np.asarray(pipe(text, generate_kwargs={"max_new_tokens": 6})["audio"]).reshape(-1).copy()))
    expect.differ(wanted[0], wanted[1], "reference waveforms of two texts")
    for row, want in expect.pairs(range(result["count"]), wanted, "waveforms"):
        assert result["lengths"][row] == want.shape[0]
        expect.close(result["audio"][row, : want.shape[0]], want, "waveform")
    # The seed matters (sampling) and is honoured; max_new_tokens reaches generate() (length).
    torch.manual_seed(6)
    seed6 = torch.from_numpy(np.asarray(pipe(texts[0], generate_kwargs={"max_new_tokens": 6})["audio"]).reshape(-1).copy())
    expect.differ(wanted[0], seed6, "reference waveforms of two seeds")
    expect.close(handler({"text": texts[0], "seed": 6, "max_new_tokens": 6})["audio"][0], seed6, "waveform, seed 6")
    longer = handler({"text": "a piano", "seed": 5, "max_new_tokens": 8})
    assert longer["lengths"][0] > result["lengths"][0]
    assert handler({"text": "a piano", "max_new_tokens": 0})["implementation_type"] == "ERROR"


def test_bark_matches_its_documented_generate(cpu_handler):
    """Bark (semantic → coarse → fine → EnCodec) against BarkModel.generate as its docs call it:
    `inputs = processor(text)`, `model.generate(**inputs, semantic_max_new_tokens=n)`."""
    from expect import close, differ

    skill, handler, path = cpu_handler("suno/bark-small", "bark", "bark")
    assert handler.task == "text_to_audio"
    texts = ["a cat sat on the mat", "the quick brown fox"]
    result = handler({"text": texts, "max_new_tokens": 6})
    assert result["implementation_type"] == "REAL", result
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.BarkModel.from_pretrained(path).eval()
    assert result["sampling_rate"] == model.generation_config.sample_rate == 24000
    wants = []
    for row, text in enumerate(texts):
        with torch.no_grad():
            want = model.generate(**processor(text), semantic_max_new_tokens=6)[0]
        close(result["audio"][row, : result["lengths"][row]], want, "bark audio")
        wants.append(want)
    differ(wants[0], wants[1], "bark audio")
    # max_new_tokens reaches the semantic model: fewer semantic tokens, shorter audio.
    shorter = handler({"text": texts[0], "max_new_tokens": 3})
    assert shorter["lengths"][0] < result["lengths"][0]
