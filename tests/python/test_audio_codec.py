"""audio_tokenization (neural audio codecs) and spectrogram_to_audio (HiFi-GAN vocoders) on tiny
offline models (tests/fixtures/fixtures_codec.py),
against each model's documented use: its feature extractor, then `model.encode(...)` for the codes
and `model.decode(...)` of those codes for the reconstruction, as each model's transformers docs show
(transformers has no pipeline for codecs). The skillset runs the model's forward, so the reference
takes another path through the model. Vocoders against their documented call, `vocoder(spectrogram)`
on a [frames, mel bins] tensor (SpeechT5's and FastSpeech2Conformer's docs; UnivNet's
`model(input_features, generator=...).waveforms`, its noise drawn from the seeded generator;
Qwen2.5-Omni's BigVGAN as its token2wav model calls it, on the mel [1, bins, frames]). Skillsets are generated
here from a models.toml naming only their model_type."""
import os

import numpy as np
import pytest
import torch
import transformers

import expect

RATE = 16000


def _encodec(model, inputs):
    # EnCodec's docs: encode with the padding mask, decode with the codes, scales and mask.
    encoded = model.encode(inputs["input_values"], inputs["padding_mask"])
    audio = model.decode(encoded.audio_codes, encoded.audio_scales, inputs["padding_mask"])[0]
    return encoded.audio_codes[:, 0], audio


def _dac(model, inputs):
    # DAC's docs: encode the input values; decode the quantized representation.
    encoded = model.encode(inputs["input_values"])
    return encoded.audio_codes[0], model.decode(encoded.quantized_representation)[0]


def _codes_then_decode(model, inputs):
    # Mimi's, X-Codec's and WavTokenizer's docs: encode the input values, decode the audio codes.
    codes = model.encode(inputs["input_values"]).audio_codes
    return codes[0], model.decode(codes)[0]


def _pocket(model, inputs):
    # PocketTTS's audio tokenizer: encode to latents (with the padding mask), decode the latents.
    latents = model.encode(inputs["input_values"], inputs["padding_mask"]).latents
    return latents[0], model.decode(latents).audio_values[0]


def _vibevoice(model, inputs):
    # VibeVoice's acoustic tokenizer: encode without the sigma-VAE noise (sample=False), decode the latents.
    latents = model.encode(inputs["input_values"], sample=False).latents
    return latents[0], model.decode(latents).audio[0]


REFERENCES = {"vibevoice_acoustic_tokenizer": _vibevoice, "pocket_tts_audio_tokenizer": _pocket, "encodec": _encodec, "dac": _dac, "mimi": _codes_then_decode, "xcodec": _codes_then_decode, "wavtokenizer": _codes_then_decode}
VOCODERS = {
    "speecht5_hifigan": "SpeechT5HifiGan",
    "fastspeech2_conformer_hifigan": "FastSpeech2ConformerHifiGan",
    "univnet": "UnivNetModel",
    "qwen2_5_omni_bigvgan": "Qwen2_5OmniToken2WavBigVGANModel",
}
# Vocoders whose config names no sampling rate (UnivNet's feature extractor does; Qwen2.5-Omni's
# BigVGAN is a part of its token2wav model).
NO_RATE = {"univnet", "qwen2_5_omni_bigvgan"}


def waves():
    """Two different clips of the same length (a chirp and noise), and a shorter third."""
    t = np.arange(8000) / RATE
    chirp = (0.5 * np.sin(2 * np.pi * (200 + 900 * t) * t)).astype("float32")
    noise = (np.random.RandomState(3).randn(8000) * 0.3).astype("float32")
    return [chirp, noise, chirp[:5000] * 0.8]


def reference(model_type, path, wave):
    model = transformers.AutoModel.from_pretrained(path).eval()
    extractor = transformers.AutoFeatureExtractor.from_pretrained(path)
    inputs = extractor(wave, sampling_rate=RATE, return_tensors="pt")
    with torch.no_grad():
        codes, audio = REFERENCES[model_type](model, inputs)
    return codes, audio.reshape(-1)[: len(wave)]


@pytest.fixture(scope="module")
def generated(generated_skillset):
    """The skillset class of a model type, generated with the binary over the runtime under test."""
    return lambda model_type: generated_skillset("test/" + model_type, model_type)


def handler_for(generated, fixtures, model_type, folder="codec-"):
    skill = generated(model_type)({"torch": torch, "transformers": transformers}, {})
    _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, folder + model_type), "cpu", "cpu")
    return skill, handler


@pytest.mark.parametrize("model_type", sorted(REFERENCES))
def test_codes_and_reconstruction_match_the_documented_encode_decode(generated, fixtures, model_type):
    skill, handler = handler_for(generated, fixtures, model_type)
    assert skill.FAMILY == "audio_codec" and handler.task == "audio_tokenization"
    clips = waves()
    result = handler({"audio": clips, "sampling_rate": RATE, "reconstruct": True})
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 3 and result["sampling_rate"] == RATE
    want = [reference(model_type, os.path.join(fixtures, "codec-" + model_type), clip) for clip in clips]
    key = "latents" if model_type in ("pocket_tts_audio_tokenizer", "vibevoice_acoustic_tokenizer") else "codes"
    for i, ((got_codes, shape), (codes, audio)) in enumerate(expect.pairs(list(zip(result[key], result[key[:-1] + "_shapes"])), want)):
        if key == "latents":
            expect.close(torch.tensor(got_codes), codes, f"latents of input {i}")
        else:
            assert torch.equal(torch.tensor(got_codes), codes), f"codes of input {i}"
        assert shape == list(codes.shape)
        assert result["lengths"][i] == len(clips[i])
        expect.close(result["audio"][i, : len(clips[i])], audio, f"reconstruction of input {i}")
    # Input dependence: the two same-length clips get different codes and reconstructions.
    assert want[0][0].shape == want[1][0].shape
    assert not torch.equal(want[0][0], want[1][0]), "the reference's codes do not depend on the input"
    assert not torch.equal(torch.tensor(result[key][0]), torch.tensor(result[key][1]))
    if key == "latents":
        expect.differ(want[0][0], want[1][0], "latents")
    expect.differ(want[0][1], want[1][1], "reconstructions")


def test_codes_alone_and_resampling(generated, fixtures):
    _, handler = handler_for(generated, fixtures, "encodec")
    clip = waves()[0]
    alone = handler(clip)
    assert alone["implementation_type"] == "REAL", alone
    assert "audio" not in alone and alone["count"] == 1
    want, _ = reference("encodec", os.path.join(fixtures, "codec-encodec"), clip)
    assert torch.equal(torch.tensor(alone["codes"][0]), want)
    # 8 kHz audio is resampled to the extractor's 16 kHz (twice as many samples, so more frames).
    slow = handler({"audio": clip, "sampling_rate": 8000})
    assert slow["code_shapes"][0][-1] > alone["code_shapes"][0][-1]


@pytest.mark.parametrize(
    "bad",
    [{"audio": [0.1] * 100, "reconstruct": "yes"}, {"audio": [0.1] * 100, "bandwidth": 3}, {"audio": []}, {"sampling_rate": 16000}, "not audio", 12],
)
def test_bad_input_is_an_error(generated, fixtures, bad):
    _, handler = handler_for(generated, fixtures, "dac")
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and "error" in result, result


def spectrograms():
    """Two different [frames, 16] spectrograms of the same length, and a shorter third."""
    rng = np.random.RandomState(4)
    return [rng.randn(20, 16).astype("float32"), rng.randn(20, 16).astype("float32"), rng.randn(9, 16).astype("float32")]


@pytest.mark.parametrize("model_type", sorted(VOCODERS))
def test_vocoder_matches_the_documented_call(generated, fixtures, model_type):
    skill, handler = handler_for(generated, fixtures, model_type, "vocoder-")
    assert skill.FAMILY == "audio_codec" and handler.task == "spectrogram_to_audio"
    specs = spectrograms()
    result = handler({"spectrogram": specs, "seed": 3})
    assert result["implementation_type"] == "REAL", result
    assert result["sampling_rate"] == (None if model_type in NO_RATE else RATE) and result["count"] == 3
    vocoder = getattr(transformers, VOCODERS[model_type]).from_pretrained(os.path.join(fixtures, "vocoder-" + model_type)).eval()

    def reference(spectrogram, seed=3):
        if model_type == "univnet":
            return vocoder(torch.from_numpy(spectrogram), generator=torch.Generator().manual_seed(seed)).waveforms[0]
        if model_type == "qwen2_5_omni_bigvgan":
            # As Qwen2_5OmniToken2WavModel calls it: the DiT's mel [batch, bins, frames] -> a
            # squeezed waveform.
            return vocoder(torch.from_numpy(spectrogram).T[None])
        return vocoder(torch.from_numpy(spectrogram))

    with torch.no_grad():
        want = [reference(s) for s in specs]
    for i, (length, wave) in enumerate(expect.pairs(result["lengths"], want)):
        assert length == wave.shape[0]
        expect.close(result["audio"][i, :length], wave, f"waveform {i}")
    assert result["audio"][2, want[2].shape[0]:].abs().max() == 0
    expect.differ(want[0], want[1], "waveforms")
    # One spectrogram alone (nested lists), and a [n, frames, bins] array.
    alone = handler({"spectrogram": specs[0].tolist(), "seed": 3})
    assert alone["count"] == 1
    expect.close(alone["audio"][0], want[0], "single waveform")
    if model_type == "univnet":
        # Another seed, other noise: the seed reaches the generator.
        with torch.no_grad():
            expect.differ(reference(specs[0], 0), want[0], "waveforms of two seeds")
        expect.close(handler(specs[0])["audio"][0], reference(specs[0], 0), "waveform at the default seed 0")
    stacked = handler({"spectrogram": np.stack(specs[:2]), "seed": 3})
    assert stacked["count"] == 2
    expect.close(stacked["audio"][1], want[1], "stacked waveform")


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 15), "float32"), np.zeros((0, 16), "float32"), [[float("nan")] * 16] * 4, {"spectrogram": [[0.0] * 16], "seed": -1}, {"spectrogram": [[0.0] * 16], "speed": 1}, "text", {"audio": [0.0]}],
)
@pytest.mark.parametrize("model_type", ["speecht5_hifigan", "qwen2_5_omni_bigvgan"])
def test_vocoder_bad_input_is_an_error(generated, fixtures, bad, model_type):
    _, handler = handler_for(generated, fixtures, model_type, "vocoder-")
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and "error" in result, result
