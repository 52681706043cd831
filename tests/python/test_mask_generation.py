"""mask_generation (SAM) on a tiny offline SamModel (`sam-wide`, tests/fixtures/fixtures_input_dependent.py:
its masks depend on the image), against
SAM's documented use (processor with the prompts → model → processor.post_process_masks). The
mask-generation pipeline of transformers answers another question (an automatic grid of points
over the whole image), so it is not the reference for prompted masks. The sam skillset is
generated with the built binary (conftest.generated_skillset)."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

import expect


def image(seed=2, size=(40, 50)):
    return Image.fromarray((np.random.RandomState(seed).rand(*size, 3) * 255).astype("uint8"))


@pytest.fixture(scope="module")
def sam(cpu_handler):
    skill, handler, _ = cpu_handler("facebook/sam-vit-base", "sam", "sam-wide")
    return skill, handler


def reference(path, img, multimask=True, **prompts):
    processor = transformers.SamProcessor.from_pretrained(path)
    model = transformers.SamModel.from_pretrained(path).eval()
    enc = processor(images=img, return_tensors="pt", **prompts)
    with torch.no_grad():
        out = model(pixel_values=enc["pixel_values"], multimask_output=multimask, **{k: v for k, v in enc.items() if k.startswith("input_")})
    masks = processor.image_processor.post_process_masks(out.pred_masks, enc["original_sizes"], enc["reshaped_input_sizes"])
    return masks[0], out.iou_scores[0]


def test_sam_points_and_boxes_match_the_documented_use(fixtures, sam):
    skill, handler = sam
    assert skill.FAMILY == "mask_generation" and handler.task == "mask_generation"
    path = os.path.join(fixtures, "sam-wide")
    result = handler({"image": image(), "points": [[10, 20], [30, 12]], "labels": [1, 0]})
    assert result["implementation_type"] == "REAL", result
    masks, scores = reference(path, image(), input_points=[[[[10, 20], [30, 12]]]], input_labels=[[[1, 0]]])
    assert result["masks"][0].shape == (1, 3, 40, 50)
    assert torch.equal(result["masks"][0], masks)
    expect.close(result["scores"][0], scores, "scores")
    boxes = handler([{"image": image(), "boxes": [[5, 5, 30, 30], [20, 10, 45, 35]], "multimask_output": False}])
    box_masks, box_scores = reference(path, image(), multimask=False, input_boxes=[[[5, 5, 30, 30], [20, 10, 45, 35]]])
    assert boxes["masks"][0].shape == (2, 1, 40, 50)
    assert torch.equal(boxes["masks"][0], box_masks)
    expect.close(boxes["scores"][0], box_scores, "scores")
    expect.rows_differ(box_scores, "scores of two boxes")
    # The prompt matters, and the image.
    other_point = reference(path, image(), input_points=[[[[45, 35]]]])
    expect.differ(scores, other_point[1], "scores of two prompts")
    assert not torch.equal(masks, other_point[0])
    other_image = reference(path, image(3), input_points=[[[[10, 20], [30, 12]]]], input_labels=[[[1, 0]]])
    expect.differ(scores, other_image[1], "scores of two images")
    # A batch: two images with their own prompts, each as alone.
    batch = handler([{"image": image(), "points": [[10, 20], [30, 12]], "labels": [1, 0]}, {"image": image(4, (30, 44)), "points": [[5, 25]]}])
    wanted = [(masks, scores), reference(path, image(4, (30, 44)), input_points=[[[[5, 25]]]])]
    assert batch["count"] == 2
    for (got_masks, got_scores), (want_masks, want_scores) in expect.pairs(zip(batch["masks"], batch["scores"]), wanted, "masks"):
        assert got_masks.shape == want_masks.shape and torch.equal(got_masks, want_masks)
        expect.close(got_scores, want_scores, "scores")
    assert skill.__test__("sam", handler, "cpu")["ok"]


@pytest.mark.parametrize("bad", [
    {"image": "IMAGE"},
    {"image": "IMAGE", "points": []},
    {"image": "IMAGE", "points": [[1, 2, 3]]},
    {"image": "IMAGE", "points": [[1, 2]], "labels": [1, 1]},
    {"image": "IMAGE", "labels": [1]},
    {"image": "IMAGE", "boxes": [[10, 10, 5, 5]]},
    {"image": "IMAGE", "points": [[1, 2]], "boxes": [[0, 0, 5, 5], [1, 1, 6, 6]]},
    {"image": "IMAGE", "points": [["a", 2]]},
    {"image": "IMAGE", "points": [[1, 2]], "multimask_output": "no"},
    {"image": "IMAGE", "points": [[1, 2]], "bogus": 1},
    {"points": [[1, 2]]},
    "IMAGE",
    [],
])
def test_mask_generation_bad_input_is_an_error_dict(sam, bad):
    _, handler = sam
    if isinstance(bad, dict):
        bad = {k: (image() if v == "IMAGE" else v) for k, v in bad.items()}
    elif bad == "IMAGE":
        bad = image()
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
