"""document_question_answering (LayoutLM with the page's words and boxes given, or read from the
page image by Tesseract OCR) on a tiny offline LayoutLMForQuestionAnswering
(tests/fixtures/fixtures_tasks.py), against transformers' document-question-answering pipeline on
the same words and boxes, or on the same page image (the pipeline then runs its own OCR). The
layoutlm skillset is generated with the built binary (conftest.generated_skillset)."""

import pytest
import transformers

import expect

PAGES = [
    ["the quick brown fox jumps", "over the lazy dog", "paris is the capital of france"],
    ["invoice number 4711", "total amount 99 euros", "due date march 2027"],
]

WORDS = "the quick brown fox jumps over the lazy dog paris is the capital of france".split()
BOXES = [[i * 50 % 1000, i * 30 % 1000, i * 50 % 1000 + 40, i * 30 % 1000 + 20] for i in range(len(WORDS))]


@pytest.fixture(scope="module")
def docqa(cpu_handler):
    skill, handler, path = cpu_handler("impira/layoutlm-document-qa", "layoutlm", "layoutlm-docqa")
    return skill, handler, transformers.pipeline("document-question-answering", model=path)


def same(got, want):
    assert want, "the reference has no answer, so nothing would be compared"
    assert [(a["answer"], a["start"], a["end"]) for a in got] == [(a["answer"], a["start"], a["end"]) for a in want]
    expect.close([a["score"] for a in got], [a["score"] for a in want], "answer scores")


def test_document_qa_matches_the_pipeline(docqa):
    skill, handler, pipe = docqa
    assert handler.task == "document_question_answering"
    answers = []
    for question in ("what is the capital?", "which animal jumps?"):
        result = handler({"question": question, "words": WORDS, "boxes": BOXES, "top_k": 3})
        assert result["implementation_type"] == "REAL", result
        same(result["answers"][0], pipe(image=None, question=question, word_boxes=list(zip(WORDS, BOXES)), top_k=3))
        answers.append(result["answers"][0])
    assert answers[0] != answers[1]
    moved = [[w, [0, 0, 10, 10]] for w in WORDS]
    result = handler({"question": "what is the capital?", "word_boxes": moved, "top_k": 3})
    want = pipe(image=None, question="what is the capital?", word_boxes=moved, top_k=3)
    same(result["answers"][0], want)
    assert [a["score"] for a in want] != pytest.approx([a["score"] for a in answers[0]], abs=1e-3)  # the boxes matter
    # A batch (list of dicts): each question answered as alone.
    questions = ["what is the capital?", "which animal jumps?"]
    batch = handler([{"question": q, "words": WORDS, "boxes": BOXES, "top_k": 2} for q in questions])
    assert batch["count"] == 2
    for got, question in zip(batch["answers"], questions):
        same(got, pipe(image=None, question=question, word_boxes=list(zip(WORDS, BOXES)), top_k=2))
    assert batch["answers"][0] != batch["answers"][1]
    impossible = handler([{"question": "what is the capital?", "words": WORDS, "boxes": BOXES, "top_k": 2, "handle_impossible_answer": True}])
    same(impossible["answers"][0], pipe(image=None, question="what is the capital?", word_boxes=list(zip(WORDS, BOXES)), top_k=2, handle_impossible_answer=True))
    assert skill.__test__("layoutlm", handler, "cpu")["ok"]


def test_document_qa_long_page_uses_windows(docqa):
    _, handler, pipe = docqa
    words, boxes = WORDS * 6, BOXES * 6
    result = handler({"question": "what is the capital?", "words": words, "boxes": boxes, "top_k": 4})
    same(result["answers"][0], pipe(image=None, question="what is the capital?", word_boxes=list(zip(words, boxes)), top_k=4))


@pytest.mark.parametrize("bad", [
    {"words": WORDS, "boxes": BOXES},
    {"question": "", "words": WORDS, "boxes": BOXES},
    {"question": "what?", "words": WORDS, "boxes": BOXES[:-1]},
    {"question": "what?", "words": WORDS, "boxes": [[0, 0, 10]] * len(WORDS)},
    {"question": "what?", "words": WORDS, "boxes": [[0, 0, 10, 2000]] * len(WORDS)},
    {"question": "what?", "words": [], "boxes": []},
    {"question": "what?", "image": "page.png"},
    {"question": "what?", "word_boxes": ["x"]},
    {"question": "what?", "words": WORDS, "boxes": BOXES, "bogus": 1},
    "what?",
    [],
])
def test_document_qa_bad_input_is_an_error_dict(docqa, bad):
    _, handler, _ = docqa
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_document_qa_reads_the_page_image_with_ocr_like_the_pipeline(docqa):
    """No words given: the page image is read with Tesseract (the host has pytesseract and the
    binary: tests/run.sh installs them), as the pipeline does when given an image alone."""
    from transformers.pipelines.document_question_answering import apply_tesseract

    _, handler, pipe = docqa
    results = []
    for lines in PAGES:
        page = expect.page_image(lines)
        words, _ = apply_tesseract(page, lang=None, tesseract_config="")
        assert {"capital", "invoice"} & set(words), words  # the page really is read
        for question in ("what is the capital?", "what is the total?"):
            result = handler({"image": page, "question": question, "top_k": 3})
            assert result["implementation_type"] == "REAL", result
            same(result["answers"][0], pipe(image=page, question=question, top_k=3))
            results.append(result["answers"][0])
    assert results[0] != results[2] and results[1] != results[3]  # another page, other answers
    batch = handler([{"image": expect.page_image(lines), "question": "what is the capital?"} for lines in PAGES])
    assert [answers[0] for answers in batch["answers"]] == [results[0][0], results[2][0]]


def test_document_qa_without_ocr_on_the_host_is_a_clear_error(docqa, monkeypatch):
    import pytesseract
    import transformers.utils

    _, handler, _ = docqa
    page = expect.page_image(PAGES[0])
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/no/such/tesseract")
    result = handler({"image": page, "question": "what is the capital?"})
    assert result["implementation_type"] == "ERROR" and "tesseract binary" in result["error"], result
    monkeypatch.setattr(transformers.utils, "is_pytesseract_available", lambda: False)
    result = handler({"image": page, "question": "what is the capital?"})
    assert result["implementation_type"] == "ERROR" and "pip install pytesseract" in result["error"], result
    blank = handler({"image": expect.random_image(0, 60, 80), "question": "what?", "tesseract_config": 3})
    assert blank["implementation_type"] == "ERROR", blank
