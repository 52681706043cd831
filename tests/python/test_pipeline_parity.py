"""The existing families against transformers.pipeline() on the same tiny models and inputs:
what a user would otherwise pick. Labels and scores within 1e-4, token ids / texts identical,
boxes identical, segmentation masks identical."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from conftest import load_bare

TEXTS = ["The quick brown fox jumps over the lazy dog.", "Paris is the capital of France."]


def skill_for(model_type):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type.replace("-", "_"))
    return cls({"torch": torch, "transformers": transformers}, {})


def handler_for(model_type, fixtures, name):
    _, _, handler, _, _ = skill_for(model_type).init_cpu(os.path.join(fixtures, name), "cpu", "cpu")
    return handler


def images():
    rng = np.random.RandomState(5)
    return [Image.fromarray((rng.rand(40, 48, 3) * 255).astype("uint8")), Image.fromarray((rng.rand(32, 32, 3) * 255).astype("uint8"))]


def test_fill_mask(fixtures):
    handler = handler_for("bert", fixtures, "bert-mlm")
    pipe = transformers.pipeline("fill-mask", model=os.path.join(fixtures, "bert-mlm"))
    for text in ("the capital of [MASK] is paris.", "the quick [MASK] fox jumps."):
        got = handler({"text": text, "top_k": 4})["predictions"][0][0]["tokens"]
        want = pipe(text, top_k=4)
        assert [t["token_id"] for t in got] == [w["token"] for w in want]
        assert [t["score"] for t in got] == pytest.approx([w["score"] for w in want], abs=1e-4)


def test_text_classification(fixtures):
    handler = handler_for("roberta", fixtures, "roberta-cls")
    pipe = transformers.pipeline("text-classification", model=os.path.join(fixtures, "roberta-cls"))
    result = handler({"text": TEXTS, "top_k": 3})
    for text, got in zip(TEXTS, result["predictions"]):
        want = pipe(text, top_k=3)
        assert [p["label"] for p in got] == [w["label"] for w in want]
        assert [p["score"] for p in got] == pytest.approx([w["score"] for w in want], abs=1e-4)


def test_token_classification(fixtures):
    handler = handler_for("distilbert", fixtures, "distilbert-ner")
    pipe = transformers.pipeline("token-classification", model=os.path.join(fixtures, "distilbert-ner"), aggregation_strategy="none", ignore_labels=[])
    for text, got in zip(TEXTS, handler(TEXTS)["predictions"]):
        want = pipe(text)
        assert [(t["index"], t["token"], t["label"]) for t in got] == [(w["index"], w["word"], w["entity"]) for w in want]
        assert [t["score"] for t in got] == pytest.approx([w["score"] for w in want], abs=1e-4)


@pytest.mark.parametrize("model_type,name", [("vit", "vit-cls"), ("resnet", "resnet-cls")])
def test_image_classification(fixtures, model_type, name):
    handler = handler_for(model_type, fixtures, name)
    pipe = transformers.pipeline("image-classification", model=os.path.join(fixtures, name))
    result = handler(images())
    for image, got in zip(images(), result["predictions"]):
        want = pipe(image, top_k=len(got))
        assert [p["label"] for p in got] == [w["label"] for w in want]
        assert [p["score"] for p in got] == pytest.approx([w["score"] for w in want], abs=1e-4)


def test_audio_classification(fixtures):
    name = "ast"
    handler = handler_for("audio-spectrogram-transformer", fixtures, name)
    pipe = transformers.pipeline("audio-classification", model=os.path.join(fixtures, name))
    rate = pipe.feature_extractor.sampling_rate
    rng = np.random.RandomState(6)
    clips = [rng.randn(rate).astype(np.float32) * 0.1, np.sin(np.arange(rate) / 5.0).astype(np.float32)]
    result = handler([{"array": c, "sampling_rate": rate} for c in clips])
    assert result["implementation_type"] == "REAL", result
    for clip, got in zip(clips, result["predictions"]):
        want = pipe({"raw": clip, "sampling_rate": rate}, top_k=len(got))
        assert [p["label"] for p in got] == [w["label"] for w in want]
        assert [p["score"] for p in got] == pytest.approx([w["score"] for w in want], abs=1e-4)


def test_speech_recognition_ctc(fixtures):
    handler = handler_for("wav2vec2", fixtures, "wav2vec2-ctc")
    pipe = transformers.pipeline("automatic-speech-recognition", model=os.path.join(fixtures, "wav2vec2-ctc"))
    rng = np.random.RandomState(7)
    clips = [rng.randn(16000).astype(np.float32) * 0.1, np.sin(np.arange(16000) / 3.0).astype(np.float32)]
    result = handler([{"array": c, "sampling_rate": 16000} for c in clips])
    for clip, text in zip(clips, result["text"]):
        assert text == pipe({"raw": clip, "sampling_rate": 16000})["text"]


def test_text_generation_greedy(fixtures):
    handler = handler_for("gpt2", fixtures, "gpt2")
    pipe = transformers.pipeline("text-generation", model=os.path.join(fixtures, "gpt2"))
    for prompt in ("The quick brown", "Paris is"):
        got = handler({"prompt": prompt, "max_new_tokens": 8, "do_sample": False})["generated_text"][0]
        want = pipe(prompt, max_new_tokens=8, do_sample=False, return_full_text=False)[0]["generated_text"]
        assert got == want


def test_object_detection(fixtures):
    handler = handler_for("detr", fixtures, "detr")
    pipe = transformers.pipeline("object-detection", model=os.path.join(fixtures, "detr"))
    result = handler({"image": images()[0], "threshold": 0.0})
    want = pipe(images()[0], threshold=0.0)
    got = result["detections"][0]
    key = lambda d: -d["score"]  # noqa: E731
    got, want = sorted(got, key=key), sorted(want, key=key)
    assert [d["label"] for d in got] == [w["label"] for w in want]
    assert [d["score"] for d in got] == pytest.approx([w["score"] for w in want], abs=1e-4)
    assert [[int(v) for v in d["box"]] for d in got] == [[w["box"][k] for k in ("xmin", "ymin", "xmax", "ymax")] for w in want]


def test_depth_estimation(fixtures):
    handler = handler_for("dpt", fixtures, "dpt")
    pipe = transformers.pipeline("depth-estimation", model=os.path.join(fixtures, "dpt"))
    for image in images():
        got = handler(image)
        assert got["implementation_type"] == "REAL", got
        want = pipe(image)["predicted_depth"]
        depth = got["depth"][0] if hasattr(got["depth"], "shape") and got["depth"].dim() == 3 else got["depth"]
        depth = torch.as_tensor(depth).float().squeeze()
        assert depth.shape == want.squeeze().shape
        assert torch.allclose(depth, want.squeeze().float(), atol=1e-4)


def test_speech_recognition_seq2seq(fixtures):
    """Whisper through the speech_seq2seq family against the automatic-speech-recognition pipeline
    (same max_new_tokens and num_beams)."""
    handler = handler_for("whisper", fixtures, "whisper")
    pipe = transformers.pipeline("automatic-speech-recognition", model=os.path.join(fixtures, "whisper"))
    rng = np.random.RandomState(8)
    t = np.arange(16000) / 16000.0
    clips = [(0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.randn(16000)).astype(np.float32), (0.1 * rng.randn(9000)).astype(np.float32)]
    # The pipeline's own default is beam search (num_beams 5); the skillset's is the generation
    # config's (greedy here): compared both ways.
    for num_beams in (1, 5):
        result = handler({"audio": clips, "max_new_tokens": 6, "num_beams": num_beams})
        assert result["implementation_type"] == "REAL", result
        kwargs = {"max_new_tokens": 6, "num_beams": num_beams}
        wants = [pipe({"raw": clip, "sampling_rate": 16000}, generate_kwargs=kwargs)["text"] for clip in clips]
        # The skillset strips the decoded text's surrounding spaces.
        assert result["text"] == [want.strip() for want in wants]
        assert len(set(wants)) == 2 and all(len(want.strip()) == 6 for want in wants), wants


def test_image_segmentation_semantic(fixtures):
    """SegFormer's label maps against the image-segmentation pipeline's per-label masks."""
    handler = handler_for("segformer", fixtures, "segformer")
    pipe = transformers.pipeline("image-segmentation", model=os.path.join(fixtures, "segformer"))
    result = handler(images())
    assert result["implementation_type"] == "REAL", result
    masks = []
    for image, label_map, present in zip(images(), result["segmentation"], result["labels"]):
        label_map = torch.as_tensor(label_map)
        want = pipe(image, subtask="semantic")
        assert sorted(p["label"] for p in present) == sorted(w["label"] for w in want)
        ids = {p["label"]: p["label_id"] for p in present}
        for w in want:
            mask = torch.as_tensor(np.array(w["mask"])) > 0
            assert mask.shape == label_map.shape
            assert torch.equal(mask, label_map == ids[w["label"]]), w["label"]
        assert len(want) >= 2  # random logits still give more than one class
        masks.append({w["label"]: np.array(w["mask"]) for w in want})
    # Different images, different maps (compared on the common crop).
    first, second = masks
    common = sorted(set(first) & set(second))
    h, w = min(m.shape[0] for m in second.values()), min(m.shape[1] for m in second.values())
    assert set(first) != set(second) or any((first[k][:h, :w] != second[k][:h, :w]).any() for k in common)


def test_image_text_to_text(fixtures):
    """LLaVA's answer (new tokens only) against the image-text-to-text pipeline's, greedy."""
    handler = handler_for("llava", fixtures, "llava")
    pipe = transformers.pipeline("image-text-to-text", model=os.path.join(fixtures, "llava"))
    prompts = ["USER: <image>\nWhat is this? ASSISTANT:", "USER: <image>\nDescribe the cat. ASSISTANT:"]
    answers = []
    for image, prompt in zip(images(), prompts):
        got = handler({"image": image, "prompt": prompt, "max_new_tokens": 7})
        assert got["implementation_type"] == "REAL", got
        want = pipe(images=image, text=prompt, max_new_tokens=7, do_sample=False, return_full_text=False)[0]["generated_text"]
        assert got["generated_text"][0] == want.strip()
        answers.append(want)
    assert answers[0] != answers[1] and all(a.strip() for a in answers)
