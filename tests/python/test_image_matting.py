"""image_matting (MODEL_FOR_IMAGE_MATTING: ViTMatte) on a tiny offline ViTMatte
(tests/fixtures/fixtures_ocr_series_keypoints.py), against the recipe of transformers' ViTMatte docs
(no pipeline exists for the task): the image processor on the image and its trimap,
AutoModelForImageMatting, `alphas` cut back to the image's size (the processor pads bottom/right
to a multiple of 32). The skillset is generated with the binary
(conftest.generated_skillset), over the runtime under test."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from expect import random_image


def trimap(height=40, width=50, shift=0):
    array = np.zeros((height, width), "uint8")
    array[8 + shift:32, 8:40 - shift] = 128
    array[14:26, 18 + shift:32] = 255
    return array


@pytest.fixture(scope="module")
def vitmatte(cpu_handler):
    skill, handler, _ = cpu_handler("hustvl/vitmatte-small-composition-1k", "vitmatte", "vitmatte")
    return skill, handler


def reference(path, image, tri):
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.AutoModelForImageMatting.from_pretrained(path).eval()
    with torch.no_grad():
        alphas = model(**processor(images=image, trimaps=Image.fromarray(tri), return_tensors="pt")).alphas
    return alphas[0, 0, : image.height, : image.width].numpy()


def test_matting_matches_the_docs_recipe(fixtures, vitmatte):
    skill, handler = vitmatte
    assert skill.FAMILY == "image_matting" and handler.task == "image_matting"
    path = os.path.join(fixtures, "vitmatte")
    pairs = [(random_image(0), trimap()), (random_image(1, 30, 70), trimap(30, 70, shift=2))]
    result = handler([{"image": image, "trimap": tri} for image, tri in pairs])
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 2 and result["sizes"] == [[50, 40], [70, 30]]
    for (image, tri), alpha in zip(pairs, result["alphas"]):
        got = np.asarray(alpha)
        assert got.shape == (image.height, image.width)
        assert np.allclose(got, reference(path, image, tri), atol=1e-5)
        assert 0.0 <= got.min() and got.max() <= 1.0
    # The alpha follows the image and the trimap.
    other_image = np.asarray(handler({"image": random_image(2), "trimap": trimap()})["alphas"][0])
    other_trimap = np.asarray(handler({"image": random_image(0), "trimap": trimap(shift=3)})["alphas"][0])
    first = np.asarray(result["alphas"][0])
    assert np.abs(other_image - first).max() > 0.05 and np.abs(other_trimap - first).max() > 0.05
    as_float = handler({"image": random_image(0), "trimap": trimap() / 255.0})
    assert np.allclose(np.asarray(as_float["alphas"][0]), first, atol=1e-6)
    assert skill.__test__("vitmatte", handler, "cpu")["ok"]


@pytest.mark.parametrize("bad", [None, [], 5, "x.png", {"image": "x"}, {"trimap": trimap()}, {"image": np.zeros((40, 50, 3), "uint8"), "trimap": trimap(10, 10)},
                                 {"image": np.zeros((40, 50, 3), "uint8"), "trimap": None}, {"image": np.zeros((40, 50, 3), "uint8"), "trimap": trimap(), "k": 1}])
def test_matting_bad_input_is_an_error_dict(vitmatte, bad):
    _, handler = vitmatte
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
