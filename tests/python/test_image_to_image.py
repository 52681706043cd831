"""image_to_image (super-resolution heads) on a tiny offline Swin2SR (tests/fixtures/
fixtures_tasks.py), against transformers 4's image-to-image pipeline algorithm (removed in
transformers 5; the head kept): processor → reconstruction → clamp [0, 1] → uint8, here cropped to
the input size times the upscale factor. The swin2sr skillset is generated here from a models.toml
naming only its model_type."""
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


def images():
    rng = np.random.RandomState(1)
    return [Image.fromarray((rng.rand(13, 18, 3) * 255).astype("uint8")), Image.fromarray((rng.rand(16, 11, 3) * 255).astype("uint8"))]


@pytest.fixture(scope="module")
def swin2sr(tmp_path_factory, fixtures):
    root = tmp_path_factory.mktemp("swin2sr")
    models = root / "models.toml"
    models.write_text('[[model]]\nid = "caidas/swin2SR-classical-sr-x2-64"\nmodel_type = "swin2sr"\n')
    (root / "autoconfigs").mkdir()
    subprocess.run([BINARY, "generate", "--models", str(models), "--autoconfigs", str(root / "autoconfigs"), "--out", str(root / "out")], check=True, capture_output=True)
    spec = importlib.util.spec_from_file_location("hf_swin2sr", root / "out" / "skillsets" / "hf_swin2sr.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skill = module.hf_swin2sr({"torch": torch, "transformers": transformers}, {})
    _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, "swin2sr"), "cpu", "cpu")
    return skill, handler


def reference(path, image):
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.Swin2SRForImageSuperResolution.from_pretrained(path).eval()
    with torch.no_grad():
        output = model(**processor(images=image, return_tensors="pt")).reconstruction
    output = output.data.squeeze().float().cpu().clamp_(0, 1).numpy()
    output = (np.moveaxis(output, 0, -1) * 255.0).round().astype(np.uint8)
    scale = model.config.upscale
    return output[: image.size[1] * scale, : image.size[0] * scale]


def test_super_resolution_matches_the_pipeline_algorithm(fixtures, swin2sr):
    skill, handler = swin2sr
    assert skill.FAMILY == "image_to_image" and handler.task == "image_to_image"
    path = os.path.join(fixtures, "swin2sr")
    result = handler(images())
    assert result["implementation_type"] == "REAL", result
    assert result["upscale"] == 2 and result["count"] == 2
    for image, got, size in zip(images(), result["images"], result["sizes"]):
        assert size == [image.size[0] * 2, image.size[1] * 2] and list(got.size) == size
        want = reference(path, image)
        assert np.array_equal(np.asarray(got), want)
    single = handler({"image": images()[0]})
    assert np.array_equal(np.asarray(single["images"][0]), np.asarray(result["images"][0]))
    other = handler(np.asarray(images()[0])[::-1].copy())
    assert not np.array_equal(np.asarray(other["images"][0]), np.asarray(result["images"][0]))
    assert skill.__test__("swin2sr", handler, "cpu")["ok"]


@pytest.mark.parametrize("bad", [None, [], "/no/such/file.png", {"image": None}, {"image": "x", "scale": 3}, 5])
def test_image_to_image_bad_input_is_an_error_dict(swin2sr, bad):
    _, handler = swin2sr
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
