"""pose_estimation (MODEL_FOR_POSE_ESTIMATION: ViTPose) on a tiny offline ViTPose
(tests/fixtures/fixtures_ocr_series_keypoints.py), against the top-down recipe of transformers'
ViTPose docs (no pipeline exists for the task): the image processor with the person boxes,
AutoModelForPoseEstimation, then post_process_pose_estimation with the same boxes. The skillset is
generated with the binary (conftest.generated_skillset), over the runtime under test."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

BOXES = [[10.0, 5.0, 30.0, 60.0], [50.0, 20.0, 40.0, 50.0]]


def picture(seed=0):
    rng = np.random.RandomState(seed)
    return Image.fromarray((rng.rand(80, 100, 3) * 255).astype("uint8"))


@pytest.fixture(scope="module")
def vitpose(cpu_handler):
    skill, handler, _ = cpu_handler("usyd-community/vitpose-base-simple", "vitpose", "vitpose")
    return skill, handler


def reference(path, image, boxes, threshold=None):
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.AutoModelForPoseEstimation.from_pretrained(path).eval()
    with torch.no_grad():
        outputs = model(**processor(image, boxes=[boxes], return_tensors="pt"))
    return processor.post_process_pose_estimation(outputs, boxes=[boxes], threshold=threshold)[0]


def test_pose_estimation_matches_the_top_down_recipe(fixtures, vitpose):
    skill, handler = vitpose
    assert skill.FAMILY == "pose_estimation" and handler.task == "pose_estimation"
    path = os.path.join(fixtures, "vitpose")
    result = handler([{"image": picture(0), "boxes": BOXES}, {"image": picture(1), "boxes": BOXES[:1]}])
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 2 and [len(p) for p in result["poses"]] == [2, 1]
    for image, boxes, people in zip([picture(0), picture(1)], [BOXES, BOXES[:1]], result["poses"]):
        for got, want in zip(people, reference(path, image, boxes)):
            assert np.allclose(got["keypoints"], want["keypoints"].numpy(), atol=1e-4)
            assert np.allclose(got["scores"], want["scores"].numpy(), atol=1e-5)
            assert got["labels"] == want["labels"].tolist() == list(range(5))
            assert np.allclose(got["bbox"], want["bbox"].numpy())
    # Another box or another image moves the keypoints.
    assert not np.allclose(result["poses"][0][0]["keypoints"], result["poses"][0][1]["keypoints"])
    assert not np.allclose(result["poses"][0][0]["keypoints"], result["poses"][1][0]["keypoints"])
    assert skill.__test__("vitpose", handler, "cpu")["ok"]


def test_pose_threshold_drops_low_scoring_keypoints(fixtures, vitpose):
    _, handler = vitpose
    full = handler({"image": picture(0), "boxes": BOXES})["poses"][0]
    cut = float(np.median(full[0]["scores"]))
    result = handler({"image": picture(0), "boxes": BOXES, "threshold": cut})
    want = reference(os.path.join(fixtures, "vitpose"), picture(0), BOXES, threshold=cut)
    for got, ref in zip(result["poses"][0], want):
        assert got["labels"] == ref["labels"].tolist() and all(s > cut for s in got["scores"])
    assert len(result["poses"][0][0]["labels"]) < 5


@pytest.mark.parametrize("bad", [None, [], 5, "x.png", {"image": "x"}, {"boxes": BOXES}, {"image": np.zeros((8, 8, 3), "uint8"), "boxes": []},
                                 {"image": np.zeros((8, 8, 3), "uint8"), "boxes": [[1, 2, 3]]}, {"image": np.zeros((8, 8, 3), "uint8"), "boxes": [[1, 2, 0, 3]]},
                                 {"image": np.zeros((8, 8, 3), "uint8"), "boxes": BOXES, "threshold": "x"}, {"image": np.zeros((8, 8, 3), "uint8"), "boxes": BOXES, "k": 1}])
def test_pose_bad_input_is_an_error_dict(vitpose, bad):
    _, handler = vitpose
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
