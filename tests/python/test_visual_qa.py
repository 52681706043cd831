"""Visual question answering on tiny offline models (tests/fixtures/fixtures_tasks.py): vilt (an
answer classifier: its own family) against transformers 4's visual-question-answering pipeline
algorithm (removed in transformers 5; the heads kept): sigmoid over the answer logits, top-k from
id2label; and blip's generative VQA head through the blip file (image_to_text family) against
generate() + decode. The vilt skillset is generated with the built binary
(conftest.generated_skillset)."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

import expect
from conftest import load_bare

QUESTIONS = ["how many cats are there?", "what color is the dog?"]


def images():
    rng = np.random.RandomState(0)
    return [Image.fromarray((rng.rand(40, 48, 3) * 255).astype("uint8")), Image.fromarray((rng.rand(36, 30, 3) * 255).astype("uint8"))]


@pytest.fixture(scope="module")
def vilt_class(generated_skillset):
    return generated_skillset("dandelin/vilt-b32-finetuned-vqa", "vilt")


def resources():
    return {"torch": torch, "transformers": transformers}


def reference_vilt(path, image, question, top_k):
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.ViltForQuestionAnswering.from_pretrained(path).eval()
    inputs = processor.tokenizer(question, return_tensors="pt")
    inputs.update(processor.image_processor(images=image, return_tensors="pt"))
    with torch.no_grad():
        probs = model(**inputs).logits.sigmoid()[0]
    scores, ids = probs.topk(top_k)
    return [{"score": s, "answer": model.config.id2label[i]} for s, i in zip(scores.tolist(), ids.tolist())]


def test_vilt_matches_the_pipeline_algorithm(fixtures, vilt_class):
    path = os.path.join(fixtures, "vilt-vqa")
    skill = vilt_class(resources(), {})
    assert skill.FAMILY == "visual_question_answering"
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    assert handler.task == "visual_question_answering"
    image = images()[0]
    got = []
    for question in QUESTIONS:
        result = handler({"image": image, "question": question, "top_k": 3})
        assert result["implementation_type"] == "REAL", result
        expected = reference_vilt(path, image, question, 3)
        assert [a["answer"] for a in result["answers"][0]] == [a["answer"] for a in expected]
        expect.close([a["score"] for a in result["answers"][0]], [a["score"] for a in expected], "answer scores")
        got.append(expected)
    expect.differ([a["score"] for a in got[0]], [a["score"] for a in got[1]], "answer scores of two questions")
    # the image matters too
    expect.differ([a["score"] for a in got[0]], [a["score"] for a in reference_vilt(path, images()[1], QUESTIONS[0], 3)], "answer scores of two images")
    # A batch: one question per image, each answered as alone.
    batch = handler({"image": images(), "question": QUESTIONS, "top_k": 2})
    wanted = [reference_vilt(path, image, question, 2) for image, question in zip(images(), QUESTIONS)]
    for answers, expected in expect.pairs(batch["answers"], wanted, "answers"):
        assert [a["answer"] for a in answers] == [a["answer"] for a in expected]
        expect.close([a["score"] for a in answers], [a["score"] for a in expected], "answer scores")
    expect.differ([a["score"] for a in wanted[0]], [a["score"] for a in wanted[1]], "answer scores of the batch's rows")
    report = skill.__test__(path, handler, "cpu")
    assert report["ok"], report


def test_blip_vqa_head_goes_through_the_blip_file(fixtures):
    path = os.path.join(fixtures, "blip-vqa")
    skill = load_bare("hf_blip.py").hf_blip(resources(), {})
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    assert handler.task == "visual_question_answering"
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.BlipForQuestionAnswering.from_pretrained(path).eval()

    def reference(image, question):
        inputs = processor(images=image, text=question, return_tensors="pt")
        with torch.no_grad():
            ids = model.generate(**inputs, max_new_tokens=6)
        return processor.tokenizer.decode(ids[0], skip_special_tokens=True).strip()

    answers = []
    for question in QUESTIONS:
        result = handler({"image": images()[0], "question": question, "max_new_tokens": 6})
        assert result["implementation_type"] == "REAL", result
        assert [a["answer"] for a in result["answers"][0]] == [reference(images()[0], question)]
        answers.append(result["answers"][0][0]["answer"])
    assert answers[0] != answers[1]  # the question matters
    assert reference(images()[1], QUESTIONS[0]) != answers[0]  # and the image
    # A batch: one question per image, each answered as alone.
    batch = handler({"image": images(), "question": QUESTIONS, "max_new_tokens": 6})
    wanted = [reference(image, question) for image, question in zip(images(), QUESTIONS)]
    assert [[a["answer"] for a in row] for row in batch["answers"]] == [[w] for w in wanted]
    assert len(set(wanted)) == 2
    report = skill.__test__(path, handler, "cpu")
    assert report["ok"], report


@pytest.mark.parametrize("bad", [
    {"image": None, "question": "what?"},
    {"question": "what?"},
    {"image": "IMAGE"},
    {"image": "IMAGE", "question": ""},
    {"image": "IMAGE", "question": 7},
    {"image": ["IMAGE", "IMAGE"], "question": ["one only"]},
    {"image": "/no/such/file.png", "question": "what?"},
    {"image": "IMAGE", "question": "what?", "top_k": 0},
    {"image": "IMAGE", "question": "what?", "colour": 1},
    "a bare string",
    [],
])
def test_vqa_bad_input_is_an_error_dict(fixtures, vilt_class, bad):
    _, _, handler, _, _ = vilt_class(resources(), {}).init_cpu(os.path.join(fixtures, "vilt-vqa"), "cpu", "cpu")
    if isinstance(bad, dict):
        bad = {k: (images()[0] if v == "IMAGE" else [images()[0]] * 2 if v == ["IMAGE", "IMAGE"] else v) for k, v in bad.items()}
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_vqa_mock_results(vilt_class):
    _, _, handler, _, _ = vilt_class(resources(), {"mock": True}).init_cpu("x", "cpu", "cpu")
    result = handler({"image": images()[0], "question": "what?", "top_k": 2})
    assert result["implementation_type"] == "MOCK" and len(result["answers"][0]) == 2
