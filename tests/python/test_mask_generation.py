"""mask_generation (SAM) on a tiny offline SamModel (tests/fixtures/fixtures_tasks.py), against
SAM's documented use (processor with the prompts → model → processor.post_process_masks). The
mask-generation pipeline of transformers answers another question (an automatic grid of points
over the whole image), so it is not the reference for prompted masks. The sam skillset is
generated here from a models.toml naming only its model_type."""
import importlib.util
import os
import subprocess

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from conftest import ROOT

BINARY = os.environ.get("SKILLGEN_BIN", os.path.join(ROOT, "target", "debug", "skillgen"))


def image():
    return Image.fromarray((np.random.RandomState(2).rand(40, 50, 3) * 255).astype("uint8"))


@pytest.fixture(scope="module")
def sam(tmp_path_factory, fixtures):
    root = tmp_path_factory.mktemp("sam")
    models = root / "models.toml"
    models.write_text('[[model]]\nid = "facebook/sam-vit-base"\nmodel_type = "sam"\n')
    (root / "autoconfigs").mkdir()
    subprocess.run([BINARY, "generate", "--models", str(models), "--autoconfigs", str(root / "autoconfigs"), "--out", str(root / "out")], check=True, capture_output=True)
    spec = importlib.util.spec_from_file_location("hf_sam", root / "out" / "skillsets" / "hf_sam.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skill = module.hf_sam({"torch": torch, "transformers": transformers}, {})
    _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, "sam"), "cpu", "cpu")
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
    path = os.path.join(fixtures, "sam")
    result = handler({"image": image(), "points": [[10, 20], [30, 12]], "labels": [1, 0]})
    assert result["implementation_type"] == "REAL", result
    masks, scores = reference(path, image(), input_points=[[[[10, 20], [30, 12]]]], input_labels=[[[1, 0]]])
    assert result["masks"][0].shape == (1, 3, 40, 50)
    assert torch.equal(result["masks"][0], masks)
    assert torch.allclose(result["scores"][0], scores, atol=1e-4)
    boxes = handler([{"image": image(), "boxes": [[5, 5, 30, 30], [20, 10, 45, 35]], "multimask_output": False}])
    masks, scores = reference(path, image(), multimask=False, input_boxes=[[[5, 5, 30, 30], [20, 10, 45, 35]]])
    assert boxes["masks"][0].shape == (2, 1, 40, 50)
    assert torch.equal(boxes["masks"][0], masks)
    assert torch.allclose(boxes["scores"][0], scores, atol=1e-4)
    # The prompt matters.
    other = handler({"image": image(), "points": [[45, 35]]})
    assert not torch.allclose(other["scores"][0], result["scores"][0])
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
