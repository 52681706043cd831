"""The generated vision skillsets (vision_encoder, object_detection, image_segmentation) on tiny
offline-built models (tests/fixtures/fixtures_vision.py), compared with a direct transformers call
on the same images: logits/embeddings/depth within 1e-4 of their scale, boxes and label maps
identical, and different images giving different results (tests/python/expect.py)."""
import io
import json
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

import expect
from conftest import load_bare


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers, "numpy": np}, metadata or {})


def image(h, w, seed):
    return Image.fromarray(np.random.RandomState(seed).randint(0, 256, (h, w, 3)).astype(np.uint8))


IMAGES = [image(40, 56, 0), image(30, 44, 1)]


def handler_for(fixtures, model_type, name, task):
    path = os.path.join(fixtures, name)
    endpoint, processor, handler, queue, batch_size = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert handler.task == task
    assert endpoint is not None and processor is not None and batch_size >= 1 and queue.empty()
    return path, handler


def direct(path, auto, images, **kw):
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = getattr(transformers, auto).from_pretrained(path).eval()
    with torch.no_grad():
        out = model(**processor(images=images, return_tensors="pt"))
    return processor, model, out


def as_json(result):
    return json.loads(json.dumps({k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in result.items()}))


def assert_error(result):
    assert "error" in result and result["implementation_type"] == "ERROR", result


# ---- vision_encoder ----

@pytest.mark.parametrize("model_type,name", [("vit", "vit-cls"), ("resnet", "resnet-cls")])
def test_image_classification_matches_transformers(fixtures, model_type, name):
    path, handler = handler_for(fixtures, model_type, name, "image_classification")
    _, model, out = direct(path, "AutoModelForImageClassification", IMAGES)
    expect.rows_differ(out.logits, "reference logits")
    result = handler(IMAGES)
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 2 and result["logits"].shape == (2, 5)
    expect.close(result["logits"], out.logits, "logits")
    probs = out.logits.softmax(-1)
    for row, preds in expect.pairs(probs, result["predictions"], "predictions"):
        scores, ids = row.topk(5)
        assert [p["label"] for p in preds] == [model.config.id2label[i] for i in ids.tolist()]
        assert [p["label_id"] for p in preds] == ids.tolist()
        expect.scores([p["score"] for p in preds], scores.tolist())
    # transformers' image-classification pipeline: the top 2 labels and scores of one image.
    classify = transformers.pipeline("image-classification", model=path, device="cpu")
    wanted = classify(IMAGES[1], top_k=2)
    top2 = handler({"image": IMAGES[1], "top_k": 2})
    assert top2["logits"].shape == (1, 5) and len(top2["predictions"]) == 1
    assert [p["label"] for p in top2["predictions"][0]] == [w["label"] for w in wanted]
    expect.scores([p["score"] for p in top2["predictions"][0]], [w["score"] for w in wanted])
    as_json(result)


def test_image_embedding_matches_transformers(fixtures):
    path, handler = handler_for(fixtures, "dinov2", "dinov2", "image_embedding")
    _, _, out = direct(path, "AutoModel", IMAGES)
    expect.rows_differ(out.pooler_output, "reference embeddings")
    result = handler(IMAGES)
    assert result["implementation_type"] == "REAL", result
    assert result["embeddings"].shape == (2, 32) and result["dimensions"] == 32
    expect.close(result["embeddings"], out.pooler_output, "embeddings")
    cls = handler({"image": IMAGES, "pooling": "cls"})["embeddings"]
    expect.close(cls, out.last_hidden_state[:, 0], "cls embeddings")
    mean = handler({"image": IMAGES, "pooling": "mean", "normalize": True})["embeddings"]
    expected = torch.nn.functional.normalize(out.last_hidden_state.mean(1), dim=1)
    expect.close(mean, expected, "mean embeddings")
    single = handler(IMAGES[0])
    assert single["embeddings"].shape == (1, 32)
    expect.close(single["embeddings"][0], out.pooler_output[0], "single embedding")


def test_every_image_form_gives_the_same_result(fixtures, tmp_path):
    path, handler = handler_for(fixtures, "vit", "vit-cls", "image_classification")
    expected = direct(path, "AutoModelForImageClassification", [IMAGES[0]])[2].logits
    array = np.array(IMAGES[0])
    file = tmp_path / "img.png"
    IMAGES[0].save(file)
    buffer = io.BytesIO()
    IMAGES[0].save(buffer, format="PNG")
    forms = [
        str(file), buffer.getvalue(), array, torch.from_numpy(array).permute(2, 0, 1),
        array.astype(np.float32) / 255.0, IMAGES[0].convert("RGBA"),
    ]
    for form in forms:
        got = handler(form)
        assert got["implementation_type"] == "REAL", got
        expect.close(got["logits"], expected, "logits of a " + type(form).__name__)
    batch = handler(np.stack([array, array]))
    assert batch["logits"].shape == (2, 5)
    expect.close(batch["logits"][1], expected[0], "logits of an NxHxWxC batch")


@pytest.mark.parametrize("bad", [
    None, [], 123, "/no/such/image.png", b"not an image", {"text": "x"}, {"image": None},
    {"image": IMAGES[0], "top_k": 0}, {"image": IMAGES[0], "pooling": "max"}, {"image": IMAGES[0], "bogus": 1},
    [IMAGES[0], "nope"], np.zeros((0, 0, 3), dtype=np.uint8),
])
def test_vision_encoder_bad_inputs_return_errors(fixtures, bad):
    _, handler = handler_for(fixtures, "vit", "vit-cls", "image_classification")
    assert_error(handler(bad))


def test_pooling_that_the_model_cannot_do_is_an_error(fixtures):
    path = os.path.join(fixtures, "resnet-cls")
    skill = skill_for("resnet", {"task": "image_embedding"})
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    assert handler.task == "image_embedding"
    result = handler(IMAGES)
    assert result["implementation_type"] == "REAL", result
    assert result["embeddings"].shape == (2, 32)  # ResNetModel's pooler: global average pool
    pooled = direct(path, "AutoModel", IMAGES)[2].pooler_output.flatten(1)
    expect.rows_differ(pooled, "reference embeddings")
    expect.close(result["embeddings"], pooled, "embeddings")
    assert_error(handler({"image": IMAGES, "pooling": "cls"}))


# ---- object_detection ----

def expected_detections(processor, model, out, images, threshold):
    sizes = [(im.height, im.width) for im in images]
    found = []
    for r in processor.post_process_object_detection(out, threshold=threshold, target_sizes=sizes):
        order = r["scores"].argsort(descending=True, stable=True).tolist()
        found.append([
            {"label": model.config.id2label[int(r["labels"][i])], "label_id": int(r["labels"][i]),
             "score": float(r["scores"][i]), "box": r["boxes"][i].tolist()}
            for i in order
        ])
    return found


@pytest.mark.parametrize("model_type", ["detr", "yolos"])
def test_object_detection_matches_transformers(fixtures, model_type):
    path, handler = handler_for(fixtures, model_type, model_type, "object_detection")
    processor, model, out = direct(path, "AutoModelForObjectDetection", IMAGES)
    expect.differ(out.pred_boxes[0], out.pred_boxes[1], "reference boxes")
    every = [d["score"] for found in expected_detections(processor, model, out, IMAGES, 0.0) for d in found]
    middle = (min(every) + max(every)) / 2  # keeps some boxes and drops others
    for threshold in (0.0, middle):
        result = handler({"image": IMAGES, "threshold": threshold})
        assert result["implementation_type"] == "REAL", result
        assert result["image_sizes"] == [[40, 56], [30, 44]] and result["count"] == 2
        expected = expected_detections(processor, model, out, IMAGES, threshold)
        assert 1 <= sum(len(found) for found in expected) <= len(every), threshold  # the comparison means something
        for got, want in expect.pairs(result["detections"], expected, "images"):
            assert len(got) == len(want), (len(got), len(want))
            assert [d["label"] for d in got] == [d["label"] for d in want]
            assert [d["label_id"] for d in got] == [d["label_id"] for d in want]
            expect.scores([d["score"] for d in got], [d["score"] for d in want])
            for g, w in zip(got, want):
                assert g["box"] == w["box"]  # identical: same post-processing on the same logits
    expect.distinct([[d["box"] for d in found] for found in result["detections"]], "boxes of the two images")
    # One image alone (not padded to a batch's size): compared with transformers on that image alone.
    _, _, alone = direct(path, "AutoModelForObjectDetection", IMAGES[:1])
    top = handler({"image": IMAGES[0], "threshold": 0.0, "top_k": 3})
    want = expected_detections(processor, model, alone, IMAGES[:1], 0.0)[0][:3]
    assert len(top["detections"]) == 1 and [d["box"] for d in top["detections"][0]] == [d["box"] for d in want]
    kept = 0
    for image in IMAGES + [Image.new("RGB", (56, 40))]:
        default = handler(image)
        assert default["threshold"] == 0.5
        want = expected_detections(processor, model, direct(path, "AutoModelForObjectDetection", [image])[2], [image], 0.5)[0]
        assert [d["box"] for d in default["detections"][0]] == [d["box"] for d in want]
        kept += len(want)
    assert kept >= 1  # the default threshold keeps some box of one of them
    as_json(result)


@pytest.mark.parametrize("bad", [
    None, {"image": IMAGES[0], "threshold": 2}, {"image": IMAGES[0], "threshold": "high"},
    {"image": IMAGES[0], "labels": ["a cat"]}, {"image": IMAGES[0], "top_k": -1}, {"labels": ["x"]},
])
def test_object_detection_bad_inputs_return_errors(fixtures, bad):
    _, handler = handler_for(fixtures, "detr", "detr", "object_detection")
    assert_error(handler(bad))


def test_zero_shot_detection_matches_transformers(fixtures):
    path, handler = handler_for(fixtures, "owlvit", "owlvit", "object_detection")
    queries = ["a photo of a cat", "a dog"]
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.AutoModelForZeroShotObjectDetection.from_pretrained(path).eval()
    with torch.no_grad():
        out = model(**processor(text=[queries, queries], images=IMAGES, return_tensors="pt"))
    sizes = [(im.height, im.width) for im in IMAGES]
    expect.differ(out.pred_boxes[0], out.pred_boxes[1], "reference boxes")
    for threshold in (0.0, 0.55):
        expected = processor.post_process_grounded_object_detection(
            out, threshold=threshold, target_sizes=sizes, text_labels=[queries, queries])
        result = handler({"image": IMAGES, "labels": queries, "threshold": threshold})
        assert result["implementation_type"] == "REAL", result
        for got, want in expect.pairs(result["detections"], expected, "images"):
            order = want["scores"].argsort(descending=True, stable=True).tolist()
            assert len(got) == len(order) >= 1, (len(got), len(order))
            assert [d["label"] for d in got] == [want["text_labels"][i] for i in order]
            assert [d["label_id"] for d in got] == [int(want["labels"][i]) for i in order]
            expect.scores([d["score"] for d in got], [float(want["scores"][i]) for i in order])
            for g, i in zip(got, order):
                assert g["box"] == want["boxes"][i].tolist()
        expect.distinct([[d["box"] for d in found] for found in result["detections"]], "boxes of the two images")
    default = handler({"image": IMAGES[0], "labels": queries})
    assert default["threshold"] == 0.1 and default["detections"][0]
    one = handler({"image": IMAGES[0], "labels": "a dog", "threshold": 0.0, "top_k": 2})
    with torch.no_grad():
        dog = model(**processor(text=[["a dog"]], images=IMAGES[:1], return_tensors="pt"))
    want = processor.post_process_grounded_object_detection(dog, threshold=0.0, target_sizes=sizes[:1], text_labels=[["a dog"]])[0]
    order = want["scores"].argsort(descending=True, stable=True).tolist()[:2]
    assert [d["label"] for d in one["detections"][0]] == ["a dog", "a dog"]
    assert [d["box"] for d in one["detections"][0]] == [want["boxes"][i].tolist() for i in order]
    assert_error(handler(IMAGES[0]))  # a zero-shot detector needs its text queries
    assert_error(handler({"image": IMAGES[0], "labels": []}))
    assert_error(handler({"image": IMAGES[0], "labels": ["ok", 3]}))


# ---- image_segmentation ----

def test_semantic_segmentation_matches_transformers(fixtures):
    path, handler = handler_for(fixtures, "segformer", "segformer", "image_segmentation")
    processor, model, out = direct(path, "AutoModelForSemanticSegmentation", IMAGES)
    maps = processor.post_process_semantic_segmentation(out, target_sizes=[(im.height, im.width) for im in IMAGES])
    expect.differ(maps[0][:30, :44].float(), maps[1].float(), "reference label maps")
    result = handler(IMAGES)
    assert result["implementation_type"] == "REAL", result
    assert result["image_sizes"] == [[40, 56], [30, 44]]
    assert len(result["labels"]) == len(result["segmentation"])
    for (got, present), want in expect.pairs(zip(result["segmentation"], result["labels"]), maps, "label maps"):
        expect.same_map(got, want, "label map")
        ids, counts = want.unique(return_counts=True)
        assert [p["label_id"] for p in present] == [int(ids[i]) for i in sorted(range(len(ids)), key=lambda i: (-int(counts[i]), int(ids[i])))]
        expect.scores([p["fraction"] for p in present], sorted((int(c) / want.numel() for c in counts), reverse=True), "label fractions")
        assert all(p["label"] == model.config.id2label[p["label_id"]] for p in present)
    assert len(result["labels"][0]) >= 2  # random logits still give more than one class
    as_json(result)


def test_depth_estimation_matches_transformers(fixtures):
    path, handler = handler_for(fixtures, "dpt", "dpt", "depth_estimation")
    processor, _, out = direct(path, "AutoModelForDepthEstimation", IMAGES)
    maps = processor.post_process_depth_estimation(out, target_sizes=[(im.height, im.width) for im in IMAGES])
    expect.differ(maps[0]["predicted_depth"][:30, :44], maps[1]["predicted_depth"], "reference depth maps")
    result = handler(IMAGES)
    assert result["implementation_type"] == "REAL", result
    assert len(result["depth_range"]) == len(result["depth"])
    for (got, (lo, hi)), want in expect.pairs(zip(result["depth"], result["depth_range"]), maps, "depth maps"):
        want = want["predicted_depth"]
        expect.close(got, want, "depth")
        scale = float(want.abs().max())
        assert abs(lo - float(want.min())) <= 1e-4 * scale and abs(hi - float(want.max())) <= 1e-4 * scale


@pytest.mark.parametrize("bad", [None, {"image": IMAGES[0], "threshold": 0.5}, 1.5, ["x.png"]])
def test_image_segmentation_bad_inputs_return_errors(fixtures, bad):
    _, handler = handler_for(fixtures, "segformer", "segformer", "image_segmentation")
    assert_error(handler(bad))


# ---- mock mode ----

@pytest.mark.parametrize("model_type,task", [
    ("vit", "image_classification"), ("dinov2", "image_embedding"), ("detr", "object_detection"),
    ("owlvit", "object_detection"), ("segformer", "image_segmentation"), ("dpt", "depth_estimation"),
])
def test_mock_mode_is_deterministic_and_labelled(model_type, task):
    skill = skill_for(model_type, {"mock": True})
    _, _, handler, _, _ = skill.init_cpu("m", "cpu", "cpu")
    assert handler.task == task
    sample = skill._sample_input(task)
    first, second = handler(sample), handler(sample)
    assert first["implementation_type"] == "MOCK", first
    first.pop("elapsed_time"), second.pop("elapsed_time")
    assert first == second
    as_json(first)
