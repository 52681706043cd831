"""document_question_answering with LayoutLMv3 (its tokenizer takes the words' boxes, its model the
page image) on a tiny offline LayoutLMv3ForQuestionAnswering (tests/fixtures/fixtures_layoutlmv3.py):
without an image against transformers' document-question-answering pipeline on the same words and
boxes; with the page image against the LayoutLMv3 docs' direct call (processor with apply_ocr=False
on image, question, words and boxes, then the model), its logits decoded by the pipeline's own
postprocess. The layoutlmv3 skillset is generated here from a models.toml naming its task."""
import importlib.util
import json
import os
import shutil
import subprocess

import pytest
import torch
import transformers

from conftest import ROOT, SKILLSETS
from expect import page_image, random_image

BINARY = os.environ.get("SKILLGEN_BIN", os.path.join(ROOT, "target", "debug", "skillgen"))
WORDS = "the quick brown fox jumps over the lazy dog paris is the capital of france".split()
BOXES = [[i * 50 % 1000, i * 30 % 1000, i * 50 % 1000 + 40, i * 30 % 1000 + 20] for i in range(len(WORDS))]
QUESTION = "what is the capital?"


def generate(root, task_line):
    models = root / "models.toml"
    models.write_text('[[model]]\nid = "microsoft/layoutlmv3-base"\nmodel_type = "layoutlmv3"\n' + task_line)
    (root / "autoconfigs").mkdir()
    return subprocess.run([BINARY, "generate", "--models", str(models), "--autoconfigs", str(root / "autoconfigs"), "--out", str(root / "out")],
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def docqa(tmp_path_factory, fixtures):
    root = tmp_path_factory.mktemp("layoutlmv3")
    done = generate(root, 'task = "document_question_answering"\n')
    assert done.returncode == 0, done.stderr
    # The thin file runs over the suite's runtime (SKILLGEN_SKILLSETS), as the mutation check expects.
    runtime = root / "out" / "skillsets" / "skillgen_runtime"
    shutil.rmtree(runtime)
    shutil.copytree(os.path.join(SKILLSETS, "skillgen_runtime"), runtime, ignore=shutil.ignore_patterns("__pycache__"))
    spec = importlib.util.spec_from_file_location("hf_layoutlmv3", root / "out" / "skillsets" / "hf_layoutlmv3.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skill = module.hf_layoutlmv3({"torch": torch, "transformers": transformers}, {})
    path = os.path.join(fixtures, "layoutlmv3-docqa")
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    return skill, handler, path, transformers.pipeline("document-question-answering", model=path)


def same(got, want):
    assert [(a["answer"], a["start"], a["end"]) for a in got] == [(a["answer"], a["start"], a["end"]) for a in want]
    assert [a["score"] for a in got] == pytest.approx([a["score"] for a in want], abs=1e-4)


def direct_call(path, pipe, image, question, top_k, words=WORDS, boxes=BOXES):
    """The LayoutLMv3 docs' call: the processor (OCR off) on the page, the question, the words and
    their boxes, then the model; the model's sequence is the text tokens, then the image patches,
    so the text tokens' logits are decoded by the pipeline's own extractive postprocess."""
    processor = transformers.AutoProcessor.from_pretrained(path, apply_ocr=False)
    model = transformers.LayoutLMv3ForQuestionAnswering.from_pretrained(path).eval()
    encoding = processor(image, question, words, boxes=boxes, return_tensors="pt")
    with torch.no_grad():
        out = model(**encoding)
    n = encoding["input_ids"].shape[1]
    sequence = encoding.sequence_ids(0)
    p_mask = [s != 1 and token != processor.tokenizer.cls_token_id for s, token in zip(sequence, encoding["input_ids"][0].tolist())]
    outputs = {"start_logits": out.start_logits[:, :n], "end_logits": out.end_logits[:, :n], "p_mask": p_mask,
               "word_ids": encoding.word_ids(0), "words": words, "attention_mask": encoding["attention_mask"]}
    return pipe.postprocess([outputs], top_k=top_k)


def test_layoutlmv3_document_qa_matches_the_pipeline(docqa):
    skill, handler, _, pipe = docqa
    assert handler.task == "document_question_answering"
    answers = []
    for question in (QUESTION, "which animal jumps?"):
        result = handler({"question": question, "words": WORDS, "boxes": BOXES, "top_k": 3})
        assert result["implementation_type"] == "REAL", result
        same(result["answers"][0], pipe(image=None, question=question, word_boxes=list(zip(WORDS, BOXES)), top_k=3))
        answers.append(result["answers"][0])
    assert answers[0] != answers[1]
    moved = handler({"question": QUESTION, "word_boxes": [[w, [0, 0, 10, 10]] for w in WORDS], "top_k": 3})
    assert moved["answers"][0] != answers[0]  # the boxes matter
    assert skill.__test__("layoutlmv3", handler, "cpu")["ok"]


def test_layoutlmv3_document_qa_with_the_page_image_matches_the_direct_call(docqa):
    _, handler, path, pipe = docqa
    results = []
    for seed in (0, 1):
        result = handler({"image": random_image(seed, 40, 30), "question": QUESTION, "words": WORDS, "boxes": BOXES, "top_k": 3})
        assert result["implementation_type"] == "REAL", result
        same(result["answers"][0], direct_call(path, pipe, random_image(seed, 40, 30), QUESTION, 3))
        results.append(result["answers"][0])
    assert results[0] != results[1]  # the page image matters
    assert results[0] != handler({"question": QUESTION, "words": WORDS, "boxes": BOXES, "top_k": 3})["answers"][0]


def test_layoutlmv3_document_qa_reads_the_page_image_with_ocr(docqa):
    """No words given: the words and boxes come from Tesseract, and the answer equals the docs'
    direct call on the words and boxes LayoutLMv3's own image processor reads (apply_ocr=True)."""
    _, handler, path, pipe = docqa
    ocr = transformers.AutoProcessor.from_pretrained(path, apply_ocr=True).image_processor
    results = []
    for lines in (["the quick brown fox jumps", "paris is the capital of france"], ["invoice number 4711", "total amount 99 euros"]):
        page = page_image(lines)
        read = ocr(page)
        words, boxes = read["words"][0], read["boxes"][0]
        assert {"capital", "invoice"} & set(words), words  # the page really is read
        result = handler({"image": page, "question": QUESTION, "top_k": 3})
        assert result["implementation_type"] == "REAL", result
        same(result["answers"][0], direct_call(path, pipe, page, QUESTION, 3, words, boxes))
        results.append(result["answers"][0])
    assert results[0] != results[1]


def test_layoutlmv3_long_page_uses_windows(docqa):
    _, handler, _, pipe = docqa
    words, boxes = WORDS * 6, BOXES * 6
    result = handler({"question": QUESTION, "words": words, "boxes": boxes, "top_k": 4})
    assert result["implementation_type"] == "REAL", result
    same(result["answers"][0], pipe(image=None, question=QUESTION, word_boxes=list(zip(words, boxes)), top_k=4))


@pytest.mark.parametrize("bad", [
    {"words": WORDS, "boxes": BOXES},
    {"question": "", "words": WORDS, "boxes": BOXES},
    {"question": "what?", "words": WORDS, "boxes": BOXES[:-1]},
    {"question": "what?", "words": WORDS, "boxes": [[0, 0, 10, 2000]] * len(WORDS)},
    {"question": "what?", "image": "page.png"},
    {"question": "what?", "words": WORDS, "boxes": BOXES, "image": "no-such-page.png"},
    {"question": "what?", "words": WORDS, "boxes": BOXES, "image": 7},
    {"question": "what?", "words": WORDS, "boxes": BOXES, "bogus": 1},
    "what?",
])
def test_layoutlmv3_bad_input_is_an_error_dict(docqa, bad):
    _, handler, _, _ = docqa
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_layoutlmv3_other_tasks_are_refused_at_generation(tmp_path):
    done = generate(tmp_path, "")
    assert done.returncode != 0 and "gets no skillset for task `text_embedding`" in done.stderr, done.stderr


def test_layoutlmv3_mock_result_is_labelled(docqa):
    skill = type(docqa[0])({"torch": torch, "transformers": transformers}, {"mock": True})
    _, _, handler, _, _ = skill.init_cpu("x", "cpu", "cpu")
    result = handler({"image": random_image(0, 40, 30), "question": QUESTION, "words": WORDS, "boxes": BOXES})
    assert result["implementation_type"] == "MOCK" and result["answers"][0][0]["answer"] == WORDS[0], result


@pytest.mark.parametrize("architecture,words", [
    # Its other heads would get text alone: refused at load, with the reason.
    ("LayoutLMv3ForTokenClassification", "only document_question_answering passes"),
    # The base model has no QA head: never answered by untrained layers.
    ("LayoutLMv3Model", "untrained QA head"),
])
def test_layoutlmv3_other_checkpoints_are_clear_errors(docqa, tmp_path, architecture, words):
    skill, _, path, _ = docqa
    other = tmp_path / "other"
    shutil.copytree(path, other)
    if architecture == "LayoutLMv3Model":
        transformers.LayoutLMv3Model.from_pretrained(path).save_pretrained(other)  # the weights without the QA head
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "architectures": [architecture]}))
    _, _, handler, _, _ = type(skill)({"torch": torch, "transformers": transformers}, {}).init_cpu(str(other), "cpu", "cpu")
    result = handler({"question": QUESTION, "words": WORDS, "boxes": BOXES})
    assert result["implementation_type"] == "ERROR" and words in result["error"], result
