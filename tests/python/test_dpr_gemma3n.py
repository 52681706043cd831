"""DPR encoders and the Gemma3n audio tower saved alone (tests/fixtures/fixtures_dpr_gemma3n.py), run through
skillsets generated with the binary (conftest.generated_skillset: the runtime under test), against
transformers called the way the parent model calls the tower.

- gemma3n_audio (Gemma3nAudioEncoder): Gemma3nModel feeds its feature extractor's
  `input_features` as `audio_mel` and the inverted `input_features_mask` as `audio_mel_mask`;
  audio_embedding is the mean of `last_hidden_state` over the valid frames (the tower's returned
  `audio_mel_mask` is True on padding). There is no pipeline for the tower alone.
- dpr (DPRQuestionEncoder and DPRContextEncoder share model_type dpr; MODEL_MAPPING names only the
  question encoder): text_embedding is `pooler_output` of the class the checkpoint's
  `architectures` names, as DPR's docs embed questions and passages; a DPRReader checkpoint is
  refused with an error.
"""
import os

import numpy as np
import pytest
import torch

from expect import close, differ

transformers = pytest.importorskip("transformers")


def waves():
    t = np.arange(16000) / 16000
    return [np.sin(t * 2 * np.pi * 440).astype(np.float32), (np.random.RandomState(0).randn(8000) * 0.3).astype(np.float32)]


def test_gemma3n_audio_tower_matches_the_parents_call(generated_skillset, fixtures):
    path = os.path.join(fixtures, "gemma3n-audio")
    s = generated_skillset("test/gemma3n_audio", "gemma3n_audio")({}, {})
    assert s.DEFAULT_TASK == "audio_embedding"
    _, _, handler, _, _ = s.init_cpu(path, "cpu", "cpu")
    batch = waves()
    result = handler({"audio": batch})
    assert result["implementation_type"] == "REAL", result
    model = transformers.Gemma3nAudioEncoder.from_pretrained(path).eval()
    extractor = transformers.AutoFeatureExtractor.from_pretrained(path)
    # The batch padded to its longest input, as Gemma3n's processor gives it to Gemma3nModel.forward,
    # which calls get_audio_features(input_features, ~input_features_mask).
    features = extractor(batch, sampling_rate=16000, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(features["input_features"], ~features["input_features_mask"])
    valid = (~out.audio_mel_mask).unsqueeze(-1).float()
    expected = (out.last_hidden_state * valid).sum(dim=1) / valid.sum(dim=1)
    assert result["embeddings"].shape == expected.shape == (2, 32)
    close(result["embeddings"], expected, "gemma3n_audio embeddings")
    differ(result["embeddings"][0], result["embeddings"][1], "two waveforms' embeddings")
    bad = handler({"audio": batch[0], "top_k": 3})
    assert bad["implementation_type"] == "ERROR" and "unknown option" in bad["error"]
    empty = handler({"audio": "not audio"})
    assert empty["implementation_type"] == "ERROR", empty


SENTENCES = ["the quick brown fox", "a lazy dog sleeps in the sun"]


@pytest.mark.parametrize("name,cls", [("dpr-question", "DPRQuestionEncoder"), ("dpr-context", "DPRContextEncoder")])
def test_dpr_encoders_embed_with_their_own_class(generated_skillset, fixtures, name, cls):
    path = os.path.join(fixtures, name)
    s = generated_skillset("test/dpr", "dpr")({}, {})
    assert s.DEFAULT_TASK == "text_embedding"
    _, _, handler, _, _ = s.init_cpu(path, "cpu", "cpu")
    result = handler(SENTENCES)
    assert result["implementation_type"] == "REAL", result
    model = getattr(transformers, cls).from_pretrained(path).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    with torch.no_grad():
        expected = model(**tokenizer(SENTENCES, padding=True, return_tensors="pt")).pooler_output
    close(result["embeddings"], expected, name + " embeddings")
    differ(result["embeddings"][0], result["embeddings"][1], "two sentences' embeddings")
    normalized = handler({"text": SENTENCES, "normalize": True})
    close(normalized["embeddings"], torch.nn.functional.normalize(expected, dim=-1), name + " normalized embeddings")
    bad = handler({"text": 3})
    assert bad["implementation_type"] == "ERROR", bad


def test_dpr_reader_is_refused(generated_skillset, fixtures):
    s = generated_skillset("test/dpr", "dpr")({}, {})
    _, _, handler, _, _ = s.init_cpu(os.path.join(fixtures, "dpr-reader"), "cpu", "cpu")
    result = handler(SENTENCES)
    assert result["implementation_type"] == "ERROR", result
    assert "DPRReader" in result["error"] and "DPRQuestionEncoder or DPRContextEncoder" in result["error"], result
