"""audio_text_embedding for Perception Encoder audio (pe_audio: PeAudioModel) on a tiny offline
model (tests/fixtures/fixtures_pe_audio.py), against the model called as its docs do: the
processor on texts and audio (padding=True), `model(**inputs)` for `audio_embeds`,
`text_audio_embeds` and `logits_audio_text`; get_audio_embeds for audio alone and the forward's
text_audio_embeds for texts alone. No pipeline serves PE audio. The skillset is generated with the built binary
(conftest.generated_skillset)."""

import numpy as np
import pytest
import torch
import transformers

TEXTS = ["the cat sat on the mat", "a dog barking", "paris is the capital of france"]


def clip(seed, samples):
    return (np.random.RandomState(seed).randn(samples) * 0.3).astype("float32")


@pytest.fixture(scope="module")
def pe_audio(cpu_handler):
    skill, handler, path = cpu_handler("facebook/pe-a-frame-large", "pe_audio", "pe-audio")
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.PeAudioModel.from_pretrained(path).eval()
    return skill, handler, processor, model


def test_embeddings_and_logits_match_the_model(pe_audio):
    skill, handler, processor, model = pe_audio
    assert skill.FAMILY == "audio_text_dual_encoder" and handler.task == "audio_text_embedding"
    waves = [clip(0, 4000), clip(1, 6500)]
    result = handler({"audio": waves, "text": TEXTS, "sampling_rate": 48000, "normalize": False})
    assert "error" not in result, result
    inputs = processor(text=TEXTS, audio=waves, sampling_rate=48000, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs)
    torch.testing.assert_close(result["audio_embeds"], out.audio_embeds, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(result["text_embeds"], out.text_audio_embeds, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(result["logits_per_audio"], out.logits_audio_text, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(result["probabilities"], out.logits_audio_text.sigmoid(), rtol=1e-4, atol=1e-5)
    assert result["probability"] == "sigmoid"
    # Different clips and texts give different embeddings and logits.
    assert not torch.allclose(result["audio_embeds"][0], result["audio_embeds"][1])
    assert not torch.allclose(result["logits_per_audio"][:, 0], result["logits_per_audio"][:, 1])
    assert not torch.allclose(result["logits_per_audio"][0], result["logits_per_audio"][1])


def test_one_tower_alone(pe_audio):
    _, handler, processor, model = pe_audio
    waves = [clip(2, 5000), clip(3, 2500)]  # different lengths: the padding mask matters
    audio = handler({"audio": waves, "sampling_rate": 48000, "normalize": False})
    assert "error" not in audio, audio
    features = processor.feature_extractor(waves, sampling_rate=48000, padding=True, return_tensors="pt")
    with torch.no_grad():
        want = model.get_audio_embeds(features["input_values"], features["padding_mask"])
    torch.testing.assert_close(audio["audio_embeds"], want, rtol=1e-4, atol=1e-5)
    texts = handler(TEXTS)
    assert "error" not in texts, texts
    # The text embeddings of the documented forward (they do not depend on the audio beside them).
    inputs = processor(text=TEXTS, audio=[clip(4, 3000)] * len(TEXTS), sampling_rate=48000, padding=True, return_tensors="pt")
    with torch.no_grad():
        want = torch.nn.functional.normalize(model(**inputs).text_audio_embeds, dim=-1)
    torch.testing.assert_close(texts["text_embeds"], want, rtol=1e-4, atol=1e-5)
    assert "error" in handler({"audio": waves, "colour": 1})
