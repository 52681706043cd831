"""The text encoder's pair tasks on tiny offline models (tests/fixtures/fixtures_tasks.py):
extractive question answering against the transformers 4 question-answering pipeline's algorithm
(transformers 5 removed that pipeline and kept the heads), zero-shot classification against
transformers' own zero-shot-classification pipeline; and the never-a-silently-wrong-task policy
at load time (a checkpoint with a head of a task skillgen does not serve gets an error handler)."""
import os

import numpy as np
import pytest
import torch
import transformers

from conftest import load_bare

CONTEXT = "Paris is the capital of France. The weather today is sunny with a light breeze."
LONG_CONTEXT = " ".join(["A cat sat on the mat and looked at the dog.", "The quick brown fox jumps over the lazy dog."] * 8)


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers}, metadata or {})


def reference_qa(path, question, context, top_k=1, max_answer_len=15, handle_impossible_answer=False):
    """transformers 4's QuestionAnsweringPipeline (fast tokenizer path), written out: each window
    tokenized alone (no padding), p_mask from sequence_ids with CLS kept, softmax over the allowed
    tokens, index 0 masked after taking the null score, decode_spans, align_to_words."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForQuestionAnswering.from_pretrained(path).eval()
    max_seq_len = min(tokenizer.model_max_length, 384)
    doc_stride = min(max_seq_len // 2, 128)
    question_first = tokenizer.padding_side == "right"
    enc = tokenizer(
        text=question if question_first else context, text_pair=context if question_first else question,
        truncation="only_second" if question_first else "only_first", max_length=max_seq_len, stride=doc_stride,
        return_overflowing_tokens=True, return_offsets_mapping=True,
    )
    answers, min_null = [], 1000000.0
    for i in range(len(enc["input_ids"])):
        ids = enc["input_ids"][i]
        p_mask = np.array([s != (1 if question_first else 0) for s in enc.sequence_ids(i)])
        p_mask[np.array(ids) == tokenizer.cls_token_id] = False
        feed = {k: torch.tensor([enc[k][i]]) for k in tokenizer.model_input_names if k in enc}
        with torch.no_grad():
            out = model(**feed)
        undesired = np.abs(p_mask.astype(int) - 1) & np.array(enc["attention_mask"][i])
        start, end = out.start_logits[0].numpy(), out.end_logits[0].numpy()
        start = np.where(undesired == 0, -10000.0, start)
        end = np.where(undesired == 0, -10000.0, end)
        start = np.exp(start - start.max()) / np.exp(start - start.max()).sum()
        end = np.exp(end - end.max()) / np.exp(end - end.max()).sum()
        min_null = min(min_null, float(start[0] * end[0]))
        start[0] = end[0] = 0.0
        outer = np.tril(np.triu(np.outer(start, end)), max_answer_len - 1)
        flat = outer.flatten()
        order = np.argsort(-flat, kind="stable")[:top_k]
        s_idx, e_idx = np.unravel_index(order, outer.shape)
        keep = np.isin(s_idx, undesired.nonzero()) & np.isin(e_idx, undesired.nonzero())
        encoding = enc.encodings[i]
        seq = 1 if question_first else 0
        for s, e in zip(s_idx[keep], e_idx[keep]):
            a = encoding.word_to_chars(encoding.token_to_word(int(s)), sequence_index=seq)[0]
            b = encoding.word_to_chars(encoding.token_to_word(int(e)), sequence_index=seq)[1]
            answers.append({"answer": context[a:b], "score": float(outer[s, e]), "start": a, "end": b})
    answers = sorted(answers, key=lambda x: -x["score"])[:top_k]
    if handle_impossible_answer:
        answers = sorted(answers + [{"answer": "", "score": min_null, "start": 0, "end": 0}], key=lambda x: -x["score"])[:top_k]
    return answers


def assert_same_answers(got, expected):
    assert [(a["answer"], a["start"], a["end"]) for a in got] == [(a["answer"], a["start"], a["end"]) for a in expected]
    assert [a["score"] for a in got] == pytest.approx([a["score"] for a in expected], abs=1e-4)


@pytest.mark.parametrize("model_type,name", [("distilbert", "distilbert-qa"), ("roberta", "roberta-qa")])
def test_question_answering_matches_the_pipeline_algorithm(fixtures, model_type, name):
    path = os.path.join(fixtures, name)
    _, _, handler, _, _ = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert handler.task == "question_answering"
    questions = ["What is the capital of France?", "How is the weather today?"]
    results = [handler({"question": q, "context": CONTEXT, "top_k": 3}) for q in questions]
    for q, result in zip(questions, results):
        assert result["implementation_type"] == "REAL", result
        assert_same_answers(result["answers"][0], reference_qa(path, q, CONTEXT, top_k=3))
    # Input-dependent: another question gives another answer distribution.
    assert results[0]["answers"][0] != results[1]["answers"][0]
    # A batch (list of dicts) answers each pair as alone.
    batch = handler([{"question": q, "context": CONTEXT} for q in questions])
    assert batch["count"] == 2
    for q, answers in zip(questions, batch["answers"]):
        assert_same_answers(answers, reference_qa(path, q, CONTEXT))


@pytest.mark.parametrize("model_type,name", [("distilbert", "distilbert-qa"), ("roberta", "roberta-qa")])
def test_question_answering_long_context_uses_overlapping_windows(fixtures, model_type, name):
    path = os.path.join(fixtures, name)
    _, tokenizer, handler, _, _ = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert len(tokenizer("where is the cat?", LONG_CONTEXT)["input_ids"]) > tokenizer.model_max_length
    question = "Where did the cat sit?"
    result = handler({"question": question, "context": LONG_CONTEXT, "top_k": 4})
    assert result["implementation_type"] == "REAL", result
    expected = reference_qa(path, question, LONG_CONTEXT, top_k=4)
    assert_same_answers(result["answers"][0], expected)
    assert max(a["end"] for a in result["answers"][0]) <= len(LONG_CONTEXT)
    for a in result["answers"][0]:
        assert LONG_CONTEXT[a["start"]:a["end"]] == a["answer"]


def test_question_answering_impossible_answer_and_shared_question(fixtures):
    path = os.path.join(fixtures, "distilbert-qa")
    _, _, handler, _, _ = skill_for("distilbert").init_cpu(path, "cpu", "cpu")
    q = "What is the capital of France?"
    result = handler({"question": q, "context": CONTEXT, "top_k": 2, "handle_impossible_answer": True})
    assert_same_answers(result["answers"][0], reference_qa(path, q, CONTEXT, top_k=2, handle_impossible_answer=True))
    short = handler({"question": q, "context": CONTEXT, "top_k": 6, "max_answer_len": 2})
    assert_same_answers(short["answers"][0], reference_qa(path, q, CONTEXT, top_k=6, max_answer_len=2))
    contexts = [CONTEXT, "A cat sat on the mat and looked at the dog."]
    both = handler({"question": q, "context": contexts})
    assert both["count"] == 2
    for context, answers in zip(contexts, both["answers"]):
        assert_same_answers(answers, reference_qa(path, q, context))


@pytest.mark.parametrize("bad", [
    {"context": CONTEXT},
    {"question": "Where?"},
    {"question": "", "context": CONTEXT},
    {"question": "Where?", "context": "  "},
    {"question": 3, "context": CONTEXT},
    {"question": ["a", "b"], "context": [CONTEXT]},
    {"question": "Where?", "context": []},
    {"question": "Where?", "context": CONTEXT, "top_k": 0},
    {"question": "Where?", "context": CONTEXT, "bogus": 1},
    "just a string",
    [],
    ["not a dict"],
    None,
])
def test_question_answering_bad_input_is_an_error_dict(fixtures, bad):
    _, _, handler, _, _ = skill_for("distilbert").init_cpu(os.path.join(fixtures, "distilbert-qa"), "cpu", "cpu")
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_zero_shot_classification_matches_the_pipeline(fixtures):
    path = os.path.join(fixtures, "bert-nli")
    _, _, handler, _, _ = skill_for("bert").init_cpu(path, "cpu", "cpu")
    assert handler.task == "zero_shot_classification"
    pipe = transformers.pipeline("zero-shot-classification", model=path)
    texts = ["the weather today is sunny", "a cat sat on the mat"]
    labels = ["weather", "animals", "france"]
    for multi_label in (False, True):
        result = handler({"text": texts, "candidate_labels": labels, "multi_label": multi_label})
        assert result["implementation_type"] == "REAL", result
        expected = pipe(texts, candidate_labels=labels, multi_label=multi_label)
        for got, want in zip(result["predictions"], expected):
            assert got["sequence"] == want["sequence"]
            assert got["labels"] == want["labels"]
            assert got["scores"] == pytest.approx(want["scores"], abs=1e-4)
    single = handler({"text": texts[0], "candidate_labels": "weather, animals"})
    want = pipe(texts[0], candidate_labels="weather, animals")
    assert single["predictions"][0]["labels"] == want["labels"]
    assert single["predictions"][0]["scores"] == pytest.approx(want["scores"], abs=1e-4)
    one = handler({"text": texts[0], "candidate_labels": ["weather"]})
    assert one["predictions"][0]["scores"] == pytest.approx(pipe(texts[0], candidate_labels=["weather"])["scores"], abs=1e-4)
    # Input-dependent: the two texts rank the labels differently.
    first = handler({"text": texts, "candidate_labels": labels})["predictions"]
    assert first[0]["scores"] != first[1]["scores"]


@pytest.mark.parametrize("bad", [
    {"text": "a cat"},
    {"text": "a cat", "candidate_labels": []},
    {"text": "a cat", "candidate_labels": [1, 2]},
    {"text": "a cat", "candidate_labels": ["x"], "multi_label": "yes"},
    {"text": "a cat", "candidate_labels": ["x"], "hypothesis_template": "no placeholder"},
    {"candidate_labels": ["x"]},
    {"text": 5, "candidate_labels": ["x"]},
    "a bare string",
])
def test_zero_shot_bad_input_is_an_error_dict(fixtures, bad):
    _, _, handler, _, _ = skill_for("bert").init_cpu(os.path.join(fixtures, "bert-nli"), "cpu", "cpu")
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_checkpoint_with_an_unserved_head_gets_an_error_handler(fixtures, tmp_path):
    """A DistilBertForMultipleChoice checkpoint (transformers' multiple-choice task, which skillgen
    does not serve) is refused, never run as fill_mask or text_embedding."""
    source = os.path.join(fixtures, "distilbert-qa")
    config = transformers.AutoConfig.from_pretrained(source)
    torch.manual_seed(0)
    model = transformers.DistilBertForMultipleChoice(config)
    path = str(tmp_path / "mc")
    model.save_pretrained(path)
    transformers.AutoTokenizer.from_pretrained(source).save_pretrained(path)
    skill = skill_for("distilbert")
    assert skill.UNSERVED_HEADS.get("DistilBertForMultipleChoice") == "multiple-choice"
    _, _, handler, queue, batch = skill.init_cpu(path, "cpu", "cpu")
    result = handler("hello")
    assert result["implementation_type"] == "ERROR"
    assert "DistilBertForMultipleChoice" in result["error"] and "multiple-choice" in result["error"]
    # Chosen deliberately, the base model serves text_embedding.
    _, _, handler, _, _ = skill_for("distilbert", {"task": "text_embedding"}).init_cpu(path, "cpu", "cpu")
    assert handler("hello")["implementation_type"] == "REAL"


def test_mock_results_of_the_pair_tasks():
    qa = skill_for("distilbert", {"mock": True, "task": "question_answering"})
    _, _, handler, _, _ = qa.init_cpu("x", "cpu", "cpu")
    result = handler({"question": "Where?", "context": "Paris is nice."})
    assert result["implementation_type"] == "MOCK" and result["answers"][0][0]["answer"] == "Paris"
    zs = skill_for("bert", {"mock": True, "task": "zero_shot_classification"})
    _, _, handler, _, _ = zs.init_cpu("x", "cpu", "cpu")
    result = handler({"text": "a cat", "candidate_labels": ["a", "b"]})
    assert result["implementation_type"] == "MOCK" and result["predictions"][0]["labels"] == ["a", "b"]


@pytest.mark.parametrize("model_type,name", [("distilbert", "distilbert-qa"), ("bert", "bert-nli")])
def test_test_method_runs_the_pair_task_sample(fixtures, model_type, name):
    skill = skill_for(model_type)
    endpoint, tokenizer, handler, _, _ = skill.init_cpu(os.path.join(fixtures, name), "cpu", "cpu")
    report = skill.__test__(name, handler, "cpu", tokenizer)
    assert report["ok"], report
