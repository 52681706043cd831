"""keypoints family on tiny offline SuperPoint / SuperGlue / LightGlue models
(tests/fixtures/fixtures_ocr_series_keypoints.py). Keypoint detection against transformers' own
recipe (image processor, AutoModelForKeypointDetection, post_process_keypoint_detection at each
image's (height, width)); keypoint matching against transformers' keypoint-matching pipeline on
square pairs, and against the recipe its docs give (post_process_keypoint_matching with each
image's (height, width)) on non-square pairs, where the pipeline passes (width, height). The
skillsets are generated with the binary (conftest.generated_skillset), over the runtime under test."""
import os

import numpy as np
import pytest
import torch
import transformers

from expect import random_image

MODELS = {"superpoint": "magic-leap-community/superpoint", "superglue": "magic-leap-community/superglue_outdoor", "lightglue": "ETH-CVG/lightglue_superpoint"}


@pytest.fixture(scope="module")
def skillsets(cpu_handler):
    return {model_type: cpu_handler(model_id, model_type, model_type)[:2] for model_type, model_id in MODELS.items()}


def test_keypoint_detection_matches_the_processor_recipe(fixtures, skillsets):
    skill, handler = skillsets["superpoint"]
    assert skill.FAMILY == "keypoints" and handler.task == "keypoint_detection"
    images = [random_image(1, 48, 64), random_image(2, 56, 40)]
    result = handler(images)
    assert result["implementation_type"] == "REAL", result
    path = os.path.join(fixtures, "superpoint")
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.AutoModelForKeypointDetection.from_pretrained(path).eval()
    with torch.no_grad():
        outputs = model(**processor(images=images, return_tensors="pt"))
    want = processor.post_process_keypoint_detection(outputs, [(im.height, im.width) for im in images])
    assert result["count"] == 2
    for i, item in enumerate(want):
        assert result["keypoints"][i] == item["keypoints"].tolist() and result["keypoints"][i]
        assert np.allclose(result["scores"][i], item["scores"].numpy(), atol=1e-6)
        assert np.allclose(result["descriptors"][i], item["descriptors"].numpy(), atol=1e-6)
    # Keypoints lie inside each image, and different images give different keypoints.
    for points, im in zip(result["keypoints"], images):
        assert all(0 <= x < im.width and 0 <= y < im.height for x, y in points)
    assert result["keypoints"][0] != result["keypoints"][1]
    single = handler({"image": images[1]})
    assert single["keypoints"] == [result["keypoints"][1]]
    assert skill.__test__("superpoint", handler, "cpu")["ok"]


def as_tuples(matches):
    return [(m["keypoint_image_0"]["x"], m["keypoint_image_0"]["y"], m["keypoint_image_1"]["x"], m["keypoint_image_1"]["y"], round(m["score"], 5)) for m in matches]


@pytest.mark.parametrize("model_type", ["superglue", "lightglue"])
def test_keypoint_matching_matches_the_pipeline(fixtures, skillsets, model_type):
    skill, handler = skillsets[model_type]
    assert skill.FAMILY == "keypoints" and handler.task == "keypoint_matching"
    path = os.path.join(fixtures, model_type)
    pairs = [[random_image(3, 64, 64), random_image(4, 64, 64)], [random_image(5, 48, 48), random_image(3, 48, 48)]]
    result = handler(pairs)
    assert result["implementation_type"] == "REAL", result
    pipe = transformers.pipeline("keypoint-matching", model=path)
    for pair, got in zip(pairs, result["matches"]):
        want = pipe(pair)
        assert got and as_tuples(got) == as_tuples(want)
    assert as_tuples(result["matches"][0]) != as_tuples(result["matches"][1])
    single = handler({"images": pairs[1], "threshold": 0.0})
    assert single["matches"] == [result["matches"][1]]
    assert skill.__test__(model_type, handler, "cpu")["ok"]


@pytest.mark.parametrize("model_type", ["superglue", "lightglue"])
def test_keypoint_matching_on_non_square_images_matches_the_documented_recipe(fixtures, skillsets, model_type):
    _, handler = skillsets[model_type]
    path = os.path.join(fixtures, model_type)
    pair = [random_image(6, 40, 70), random_image(7, 60, 30)]
    result = handler({"images": pair})
    assert result["implementation_type"] == "REAL", result
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.AutoModelForKeypointMatching.from_pretrained(path).eval()
    with torch.no_grad():
        outputs = model(**processor(images=pair, return_tensors="pt"))
    (want,) = processor.post_process_keypoint_matching(outputs, [[(im.height, im.width) for im in pair]], threshold=0.0)
    expected = sorted(
        zip(want["keypoints0"].tolist(), want["keypoints1"].tolist(), want["matching_scores"].tolist()), key=lambda m: m[2], reverse=True
    )
    got = result["matches"][0]
    assert got and [(m["keypoint_image_0"]["x"], m["keypoint_image_0"]["y"]) for m in got] == [tuple(k0) for k0, _, _ in expected]
    assert [(m["keypoint_image_1"]["x"], m["keypoint_image_1"]["y"]) for m in got] == [tuple(k1) for _, k1, _ in expected]
    for m in got:
        assert 0 <= m["keypoint_image_0"]["x"] < 70 and 0 <= m["keypoint_image_0"]["y"] < 40
        assert 0 <= m["keypoint_image_1"]["x"] < 30 and 0 <= m["keypoint_image_1"]["y"] < 60


@pytest.mark.parametrize("bad", [None, [], 5, [1, 2, 3], "/no/such/file.png", {"images": None}, {"images": ["a"]}, {"images": [None, None]}, {"pair": 1}, {"images": [[1, 2]], "threshold": "x"}])
def test_keypoint_matching_bad_input_is_an_error_dict(skillsets, bad):
    _, handler = skillsets["superglue"]
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


@pytest.mark.parametrize("bad", [None, [], "/no/such/file.png", {"image": None}, {"image": "x", "k": 1}, 5])
def test_keypoint_detection_bad_input_is_an_error_dict(skillsets, bad):
    _, handler = skillsets["superpoint"]
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
