"""text_recognition (MODEL_FOR_TEXT_RECOGNITION: PP-OCR *_rec heads) on a tiny offline
PP-OCRv6 small recognizer (tests/fixtures/fixtures_ocr_series_keypoints.py), against transformers'
own recipe for these models (no pipeline exists for the task): the image processor on one image,
AutoModelForTextRecognition, then the processor's post_process_text_recognition. The skillset is
generated with the binary (conftest.generated_skillset), over the runtime under test."""
import math
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image


def lines():
    rng = np.random.RandomState(3)
    return [Image.fromarray((rng.rand(24, 90, 3) * 255).astype("uint8")), Image.fromarray((rng.rand(30, 60, 3) * 255).astype("uint8"))]


@pytest.fixture(scope="module")
def ocr(cpu_handler):
    skill, handler, _ = cpu_handler("PaddlePaddle/PP-OCRv6_small_rec_safetensors", "pp_ocrv6_small_rec", "pp-ocrv6-rec")
    return skill, handler


def reference(path, image):
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.AutoModelForTextRecognition.from_pretrained(path).eval()
    with torch.no_grad():
        outputs = model(**processor(images=image, return_tensors="pt"))
    return processor.post_process_text_recognition(outputs)[0]


def test_text_recognition_matches_the_processor_recipe(fixtures, ocr):
    skill, handler = ocr
    assert skill.FAMILY == "text_recognition" and handler.task == "text_recognition"
    path = os.path.join(fixtures, "pp-ocrv6-rec")
    result = handler(lines())
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 2
    for image, text, score in zip(lines(), result["text"], result["scores"]):
        want = reference(path, image)
        assert text == want["text"] and text
        assert math.isclose(score, want["score"], rel_tol=1e-6)
    # Different lines read differently (the fixture's CTC argmax depends on the image).
    assert result["text"][0] != result["text"][1]
    single = handler({"image": lines()[1]})
    assert single["text"] == [result["text"][1]]
    assert skill.__test__("pp_ocrv6_small_rec", handler, "cpu")["ok"]


@pytest.mark.parametrize("bad", [None, [], "/no/such/file.png", {"image": None}, {"image": "x", "lang": "en"}, 5])
def test_text_recognition_bad_input_is_an_error_dict(ocr, bad):
    _, handler = ocr
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_table_recognition_matches_the_processor_recipe(cpu_handler):
    skill, handler, path = cpu_handler("PaddlePaddle/SLANeXt_wired_safetensors", "slanext", "slanext")
    assert skill.FAMILY == "text_recognition" and handler.task == "table_recognition"
    rng = np.random.RandomState(5)
    tables = [Image.fromarray((rng.rand(40, 60, 3) * 255).astype("uint8")), Image.fromarray((rng.rand(64, 30, 3) * 255).astype("uint8"))]
    result = handler(tables)
    assert result["implementation_type"] == "REAL", result
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.AutoModelForTableRecognition.from_pretrained(path).eval()
    for image, structure, html, score in zip(tables, result["structure"], result["html"], result["structure_score"]):
        with torch.no_grad():
            want = processor.post_process_table_recognition(model(**processor(images=image, return_tensors="pt")))
        assert structure == want["structure"] and html == "".join(want["structure"])
        assert math.isclose(score, want["structure_score"], rel_tol=1e-6)
        assert structure[:3] == ["<html>", "<body>", "<table>"] and len(structure) > 6
    assert result["structure"][0] != result["structure"][1]
    assert skill.__test__("slanext", handler, "cpu")["ok"]
