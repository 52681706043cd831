"""Zero-shot image and audio classification as an option of the dual encoders
({"image"/"audio": ..., "candidate_labels": [...]}), equal to transformers'
zero-shot-image-classification / zero-shot-audio-classification pipelines on the same tiny
models (clip, siglip, clap from tests/fixtures/fixtures_multimodal.py)."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from conftest import load_bare

LABELS = ["cat", "dog", "car"]


def skill_for(model_type):
    return getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)({"torch": torch, "transformers": transformers}, {})


def images():
    rng = np.random.RandomState(3)
    return [Image.fromarray((rng.rand(30, 30, 3) * 255).astype("uint8")), Image.fromarray((rng.rand(30, 30, 3) * 255).astype("uint8"))]


def same(got, want):
    assert [p["label"] for p in got] == [w["label"] for w in want]
    assert [p["score"] for p in got] == pytest.approx([w["score"] for w in want], abs=1e-4)


@pytest.mark.parametrize("model_type", ["clip", "siglip"])
def test_zero_shot_image_classification_matches_the_pipeline(fixtures, model_type):
    path = os.path.join(fixtures, model_type)
    _, _, handler, _, _ = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    pipe = transformers.pipeline("zero-shot-image-classification", model=path)
    result = handler({"image": images(), "candidate_labels": LABELS})
    assert result["implementation_type"] == "REAL", result
    for image, predictions in zip(images(), result["predictions"]):
        same(predictions, pipe(image, candidate_labels=LABELS))
    assert result["predictions"][0][0]["text"] == "This is a photo of " + result["predictions"][0][0]["label"] + "."
    custom = handler({"image": images()[0], "candidate_labels": "cat, dog", "hypothesis_template": "a {} picture"})
    same(custom["predictions"][0], pipe(images()[0], candidate_labels=["cat", "dog"], hypothesis_template="a {} picture"))
    assert [p["score"] for p in result["predictions"][0]] != [p["score"] for p in result["predictions"][1]]


def test_zero_shot_audio_classification_matches_the_pipeline(fixtures):
    path = os.path.join(fixtures, "clap")
    _, _, handler, _, _ = skill_for("clap").init_cpu(path, "cpu", "cpu")
    pipe = transformers.pipeline("zero-shot-audio-classification", model=path)
    rate = pipe.feature_extractor.sampling_rate
    rng = np.random.RandomState(4)
    clips = [rng.randn(rate).astype(np.float32) * 0.1, np.sin(np.arange(rate) / 7.0).astype(np.float32)]
    labels = ["dog barking", "piano", "rain"]
    result = handler({"audio": [{"array": c, "sampling_rate": rate} for c in clips], "candidate_labels": labels})
    assert result["implementation_type"] == "REAL", result
    for clip, predictions in zip(clips, result["predictions"]):
        same(predictions, pipe(clip, candidate_labels=labels))
    assert [p["score"] for p in result["predictions"][0]] != [p["score"] for p in result["predictions"][1]]


@pytest.mark.parametrize("bad", [
    {"image": "IMAGE", "candidate_labels": []},
    {"image": "IMAGE", "candidate_labels": [3]},
    {"image": "IMAGE", "candidate_labels": ["a"], "text": "a photo"},
    {"candidate_labels": ["a"]},
    {"image": "IMAGE", "candidate_labels": ["a"], "hypothesis_template": "no slot"},
])
def test_zero_shot_bad_input_is_an_error_dict(fixtures, bad):
    _, _, handler, _, _ = skill_for("clip").init_cpu(os.path.join(fixtures, "clip"), "cpu", "cpu")
    bad = {k: (images()[0] if v == "IMAGE" else v) for k, v in bad.items()}
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
