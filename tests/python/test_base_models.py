"""Base models with no head serve feature extraction (data/detection.toml [[base_model]]): the
generated coverage files of a vision tower loaded by its exported class (clip_vision_model), a tower
only its module has (kosmos_2_vision_model, loaded by its path under transformers) and an audio
tower (qwen2_audio_encoder, task audio_embedding), run on tiny random-weight models built here and
compared with a direct transformers call."""
import importlib.util
import os

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")
COVERAGE = os.environ.get("SKILLGEN_COVERAGE")
pytestmark = pytest.mark.skipif(not COVERAGE, reason="SKILLGEN_COVERAGE not set (tests/run.sh sets it)")


def skill(model_type):
    path = os.path.join(COVERAGE, "skillsets", "hf_" + model_type + ".py")
    spec = importlib.util.spec_from_file_location("base_" + model_type, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "hf_" + model_type)({}, {})


def image():
    from PIL import Image

    return Image.fromarray((np.arange(32 * 32 * 3) % 251).astype(np.uint8).reshape(32, 32, 3))


def vision_config(cls):
    return cls(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, image_size=32, patch_size=8)


@pytest.mark.parametrize("model_type", ["clip_vision_model", "kosmos_2_vision_model"])
def test_a_vision_tower_gives_image_embeddings(tmp_path, model_type):
    from transformers.models.kosmos2 import modeling_kosmos2

    torch.manual_seed(0)
    if model_type == "clip_vision_model":
        model = transformers.CLIPVisionModel(vision_config(transformers.CLIPVisionConfig))
    else:
        model = modeling_kosmos2.Kosmos2VisionModel(vision_config(transformers.Kosmos2VisionConfig))
    model.eval().save_pretrained(tmp_path)
    processor = transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(tmp_path)
    s = skill(model_type)
    assert s.DEFAULT_TASK == "image_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    result = handler(image())
    assert result["implementation_type"] == "REAL", result
    with torch.no_grad():
        expected = model(**processor(images=[image()], return_tensors="pt")).pooler_output
    assert torch.allclose(result["embeddings"], expected, atol=1e-5)


def test_an_audio_tower_gives_mean_pooled_audio_embeddings(tmp_path):
    torch.manual_seed(0)
    config = transformers.Qwen2AudioEncoderConfig(d_model=16, encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=32, num_mel_bins=80)
    model = transformers.Qwen2AudioEncoder(config).eval()
    model.save_pretrained(tmp_path)
    extractor = transformers.WhisperFeatureExtractor(feature_size=80)
    extractor.save_pretrained(tmp_path)
    wave = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440).astype(np.float32)
    s = skill("qwen2_audio_encoder")
    assert s.DEFAULT_TASK == "audio_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    result = handler({"audio": wave, "normalize": False})
    assert result["implementation_type"] == "REAL", result
    with torch.no_grad():
        expected = model(**extractor(wave, sampling_rate=16000, return_tensors="pt")).last_hidden_state.mean(dim=1)
    assert result["embeddings"].shape == (1, 16)
    assert torch.allclose(result["embeddings"], expected, atol=1e-5)
    bad = handler({"audio": wave, "top_k": 3})
    assert bad["implementation_type"] == "ERROR" and "unknown option" in bad["error"]
