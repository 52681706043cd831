"""audio_tokenization and latents_to_audio for codec halves saved alone (mimi_encoder, wavtokenizer_encoder,
pocket_tts_audio_tokenizer_encoder, vibevoice_acoustic_tokenizer_encoder;
tests/fixtures/fixtures_codec_halves.py), against the use
transformers documents for them: the parent codec's feature extractor (the class transformers'
table names for the parent model_type, at the half's config.sampling_rate; the half's own
model_type has none), then the half itself (WavTokenizer's encoder: its `encode`; Mimi's and
PocketTTS's: their forward, which returns the latents; VibeVoice's: its forward on the waveform
alone, as its tokenizer's encode calls it). The skillset gets no extractor from the
checkpoint, so this checks that the waveform it builds is what the parent's extractor gives.
Decoder halves (mimi_decoder, pocket_tts_audio_tokenizer_decoder) against their documented call,
`decoder(latents).audio_values` on a [batch, hidden_size, frames] tensor (as for vocoders, the
reference is the model's own documented call: there is no pipeline)."""
import os

import numpy as np
import pytest
import torch
import transformers

import expect
from test_audio_codec import RATE, handler_for, waves

PARENTS = {
    "mimi_encoder": "mimi",
    "wavtokenizer_encoder": "wavtokenizer",
    "pocket_tts_audio_tokenizer_encoder": "pocket_tts_audio_tokenizer",
    "vibevoice_acoustic_tokenizer_encoder": "vibevoice_acoustic_tokenizer",
}
FEATURE_EXTRACTORS = transformers.models.auto.feature_extraction_auto.FEATURE_EXTRACTOR_MAPPING_NAMES


@pytest.fixture(scope="module")
def generated(generated_skillset):
    """The skillset class of a model type, generated with the binary over the runtime under test."""
    return lambda model_type: generated_skillset("test/" + model_type, model_type)


def reference(model_type, path, wave):
    model = transformers.AutoModel.from_pretrained(path).eval()
    extractor = getattr(transformers, FEATURE_EXTRACTORS[PARENTS[model_type]])(sampling_rate=model.config.sampling_rate)
    inputs = extractor(wave, sampling_rate=model.config.sampling_rate, return_tensors="pt")
    with torch.no_grad():
        if model_type == "wavtokenizer_encoder":
            return model.encode(inputs["input_values"], inputs["padding_mask"]).audio_codes[0]
        if model_type == "vibevoice_acoustic_tokenizer_encoder":
            # As VibeVoiceAcousticTokenizerModel.encode calls its encoder: the waveform alone
            # (loudness-normalised and padded to a hop multiple by the parent's extractor).
            return model(inputs["input_values"]).latents[0]
        return model(inputs["input_values"], padding_mask=inputs["padding_mask"]).latents[0]


@pytest.mark.parametrize("model_type", sorted(PARENTS))
def test_encoder_half_matches_the_parent_extractor_and_the_half(generated, fixtures, model_type):
    skill, handler = handler_for(generated, fixtures, model_type)
    assert skill.FAMILY == "audio_codec" and handler.task == "audio_tokenization"
    clips = waves()
    path = os.path.join(fixtures, "codec-" + model_type)
    # Clips at the half's own rate (32 kHz in the fixtures, not the 16 kHz default): taken as they are.
    rate = transformers.AutoConfig.from_pretrained(path).sampling_rate
    result = handler({"audio": clips, "sampling_rate": rate})
    assert result["implementation_type"] == "REAL", result
    assert rate != RATE and result["count"] == 3 and result["sampling_rate"] == rate
    want = [reference(model_type, path, clip) for clip in clips]
    key = "codes" if model_type == "wavtokenizer_encoder" else "latents"
    for i, (got, ref) in enumerate(expect.pairs(result[key], want)):
        if key == "codes":
            assert torch.equal(torch.tensor(got), ref), f"codes of input {i}"
        else:
            expect.close(torch.tensor(got), ref, f"latents of input {i}")
        assert result[key[:-1] + "_shapes"][i] == list(ref.shape)
    # Input dependence: the two same-length clips give different codes or latents.
    assert want[0].shape == want[1].shape
    assert not torch.equal(want[0], want[1]), "the reference does not depend on the input"
    assert not torch.equal(torch.tensor(result[key][0]), torch.tensor(result[key][1]))
    # A half has no decoder: reconstruction is a clear error, not a missing key.
    refused = handler({"audio": clips[0], "sampling_rate": rate, "reconstruct": True})
    assert refused["implementation_type"] == "ERROR" and "reconstruction" in refused["error"], refused
    for bad in (np.zeros(0, "float32"), "not audio", {"audio": clips[0], "sampling_rate": -1}):
        result = handler(bad)
        assert result["implementation_type"] == "ERROR" and "error" in result, (bad, result)


def test_encoder_half_resamples_to_its_config_rate(generated, fixtures):
    _, handler = handler_for(generated, fixtures, "mimi_encoder")
    clip = waves()[0]
    # 16 kHz audio is resampled to the half's 32 kHz: twice the samples, more latent frames.
    alone = handler({"audio": clip, "sampling_rate": 32000})
    slow = handler({"audio": clip, "sampling_rate": 16000})
    assert alone["implementation_type"] == slow["implementation_type"] == "REAL"
    assert slow["latent_shapes"][0][-1] > alone["latent_shapes"][0][-1]
    bad = handler({"audio": np.zeros(0, "float32")})
    assert bad["implementation_type"] == "ERROR" and "error" in bad, bad


DECODERS = {
    "mimi_decoder": "MimiDecoderModel",
    "pocket_tts_audio_tokenizer_decoder": "PocketTTSAudioTokenizerDecoderModel",
    "vibevoice_acoustic_tokenizer_decoder": "VibeVoiceAcousticTokenizerDecoderModel",
}


def latents(channels):
    """Two different [channels, 6] latent sequences and a shorter [channels, 3] third."""
    rng = np.random.RandomState(5)
    return [rng.randn(channels, 6).astype("float32"), rng.randn(channels, 6).astype("float32"), rng.randn(channels, 3).astype("float32")]


@pytest.mark.parametrize("model_type", sorted(DECODERS))
def test_decoder_half_matches_the_documented_call(generated_decoders, fixtures, model_type):
    skill, handler = handler_for(generated_decoders, fixtures, model_type)
    assert skill.FAMILY == "audio_codec" and handler.task == "latents_to_audio"
    path = os.path.join(fixtures, "codec-" + model_type)
    decoder = getattr(transformers, DECODERS[model_type]).from_pretrained(path).eval()
    items = latents(decoder.config.hidden_size)
    result = handler({"latents": items})
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 3 and result["sampling_rate"] == decoder.config.sampling_rate
    # The documented call: `decoder(latents)` on a [batch, hidden_size, frames] tensor -> audio_values
    # (VibeVoice's: `audio`, the latents as its tokenizer's decode hands them, channels first).
    field = "audio" if model_type.startswith("vibevoice") else "audio_values"
    with torch.no_grad():
        want = [getattr(decoder(torch.from_numpy(x)[None]), field).reshape(-1) for x in items]
    for i, (length, wave) in enumerate(expect.pairs(result["lengths"], want)):
        assert length == wave.shape[0]
        expect.close(result["audio"][i, :length], wave, f"waveform {i}")
    assert result["audio"][2, want[2].shape[0]:].abs().max() == 0
    expect.differ(want[0], want[1], "waveforms")
    # One sequence alone (nested lists), and a [n, channels, frames] array.
    alone = handler(items[0].tolist())
    assert alone["count"] == 1
    expect.close(alone["audio"][0], want[0], "single waveform")
    stacked = handler(np.stack(items[:2]))
    assert stacked["count"] == 2
    expect.close(stacked["audio"][1], want[1], "stacked waveform")


@pytest.fixture(scope="module")
def generated_decoders(generated_skillset):
    return lambda model_type: generated_skillset("test/" + model_type, model_type)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((15, 4), "float32"), np.zeros((16, 0), "float32"), [[float("nan")] * 4] * 16, {"latents": [[0.0] * 4] * 16, "seed": 1}, "text", {"audio": [0.0]}],
)
def test_decoder_half_bad_input_is_an_error(generated_decoders, fixtures, bad):
    _, handler = handler_for(generated_decoders, fixtures, "mimi_decoder")
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and "error" in result, result


def test_decoder_half_names_the_channels_it_takes(generated_decoders, fixtures):
    # Checked before the model runs: the error says what the decoder takes, not a conv shape error.
    _, handler = handler_for(generated_decoders, fixtures, "mimi_decoder")
    result = handler(np.zeros((15, 4), "float32"))
    assert result["implementation_type"] == "ERROR" and "15 channels; this decoder takes 16" in result["error"], result
