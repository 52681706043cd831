"""image_to_image (super-resolution heads) on a tiny offline Swin2SR (tests/fixtures/
fixtures_tasks.py), against transformers 4's image-to-image pipeline algorithm (removed in
transformers 5; the head kept): processor → reconstruction → clamp [0, 1] → uint8, here cropped to
the input size times the upscale factor. The swin2sr skillset is generated with the built binary
(conftest.generated_skillset)."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

import expect


def images():
    rng = np.random.RandomState(1)
    return [Image.fromarray((rng.rand(13, 18, 3) * 255).astype("uint8")), Image.fromarray((rng.rand(16, 11, 3) * 255).astype("uint8"))]


@pytest.fixture(scope="module")
def swin2sr(cpu_handler):
    skill, handler, _ = cpu_handler("caidas/swin2SR-classical-sr-x2-64", "swin2sr", "swin2sr")
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
    wanted = [reference(path, image) for image in images()]
    for (got, size), want in expect.pairs(zip(result["images"], result["sizes"]), wanted, "images"):
        assert size == [want.shape[1], want.shape[0]] and list(got.size) == size
        assert np.array_equal(np.asarray(got), want)
    single = handler({"image": images()[0]})
    assert len(single["images"]) == 1 and np.array_equal(np.asarray(single["images"][0]), wanted[0])
    # The image matters: a flipped image's reference differs, and the skillset follows it.
    flipped = np.asarray(images()[0])[::-1].copy()
    other = reference(path, Image.fromarray(flipped))
    assert (other.astype(int) - wanted[0].astype(int)).any()
    assert np.array_equal(np.asarray(handler(flipped)["images"][0]), other)
    assert skill.__test__("swin2sr", handler, "cpu")["ok"]


@pytest.mark.parametrize("bad", [None, [], "/no/such/file.png", {"image": None}, {"image": "x", "scale": 3}, 5])
def test_image_to_image_bad_input_is_an_error_dict(swin2sr, bad):
    _, handler = swin2sr
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
