"""The OpenVINO path for real (optimum-intel on this machine's CPU): each family's OpenVINO endpoint
against the same skillset's CPU torch endpoint on a tiny fixture (the CPU endpoint is itself
compared with transformers in the family tests), the labelled CPU fallback of every family
optimum-intel cannot serve (the README's "F" cells), the worker's 4/8/9-argument calls, the
host's helper callables (test doubles), and openvino_skill_convert. Floats are compared relative
to the output's scale, NaN fails (tests/python/expect.py)."""
import os
import time

import pytest
import torch
import transformers

import expect
from conftest import load_bare

pytest.importorskip("optimum.intel")

TEXTS = ["The quick brown fox jumps over the lazy dog.", "Paris is the capital of France."]
MEASURED = {}


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers}, metadata or {})


OV_REL = 1e-4  # OpenVINO's fp32 CPU kernels against torch's, relative to the output's scale


def max_diff(a, b):
    """Max |a - b| relative to max |b|; NaN when either has a NaN (and never below a tolerance)."""
    a, b = torch.as_tensor(a).float(), torch.as_tensor(b).float()
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return float("nan")
    return float((a - b).abs().max()) / max(float(b.abs().max()), 1e-30)


def openvino_and_cpu(model_type, path, *helpers):
    skill = skill_for(model_type)
    start = time.time()
    ov = skill.init_openvino(path, None, "CPU", "openvino:0", *helpers)
    MEASURED[model_type + " init_openvino s"] = round(time.time() - start, 2)
    cpu = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    return skill, ov, cpu


def assert_openvino(result):
    assert result["implementation_type"] == "REAL", result
    assert result["backend"] == "openvino", result
    assert "fallback" not in result, result


@pytest.fixture(scope="module")
def bert(fixtures):
    return openvino_and_cpu("bert", os.path.join(fixtures, "bert"))


def test_text_encoder_embeddings_match_torch(bert):
    skill, (endpoint, tokenizer, handler, queue, batch_size), cpu = bert
    assert type(endpoint).__name__ == "OVModelForFeatureExtraction"
    assert handler.task == "text_embedding" and queue._maxsize >= 1 and batch_size >= 1
    result = handler(TEXTS)
    assert_openvino(result)
    expected = cpu[2](TEXTS)
    assert expected["backend"] == "torch"
    MEASURED["bert embeddings max rel diff"] = max_diff(result["embeddings"], expected["embeddings"])
    expect.rows_differ(expected["embeddings"], "CPU embeddings")
    expect.close(result["embeddings"], expected["embeddings"], "OpenVINO embeddings", rel=OV_REL)
    assert skill.__test__("bert", handler, "openvino:0", tokenizer)["ok"]


def test_text_encoder_head_gives_predictions_without_embeddings(fixtures):
    skill, (endpoint, _, handler, _, _), cpu = openvino_and_cpu("bert", os.path.join(fixtures, "bert-mlm"))
    assert type(endpoint).__name__ == "OVModelForMaskedLM"
    text = {"text": ["the capital of [MASK] is paris.", "a [MASK] sat on the mat."], "top_k": 3}
    result = handler(text)
    assert_openvino(result)
    expected = cpu[2](text)
    expect.distinct([[t["token_id"] for t in row[0]["tokens"]] for row in expected["predictions"]], "CPU predictions")
    for got, want in expect.pairs(result["predictions"], expected["predictions"], "predictions"):
        got, want = got[0]["tokens"], want[0]["tokens"]
        assert [t["token_id"] for t in got] == [t["token_id"] for t in want]
        expect.scores([t["score"] for t in got], [t["score"] for t in want], abs_tol=1e-4)
    assert "embeddings" not in result and "no hidden states" in result["embeddings_note"]


def test_text_decoder_greedy_tokens_identical(fixtures):
    _, (endpoint, _, handler, _, _), cpu = openvino_and_cpu("gpt2", os.path.join(fixtures, "gpt2"))
    assert type(endpoint).__name__ == "OVModelForCausalLM"
    prompt = {"prompt": ["The quick brown fox", "Hello"], "max_new_tokens": 10, "do_sample": False}
    result = handler(prompt)
    assert_openvino(result)
    expected = cpu[2](prompt)
    expect.distinct(expected["generated_token_ids"], "CPU continuations")
    assert all(len(ids) > 2 for ids in expected["generated_token_ids"])
    assert result["generated_token_ids"] == expected["generated_token_ids"]
    assert result["generated_text"] == expected["generated_text"]


def test_text_encoder_decoder_greedy_tokens_identical(fixtures):
    _, (endpoint, _, handler, _, _), cpu = openvino_and_cpu("t5", os.path.join(fixtures, "t5"))
    assert type(endpoint).__name__ == "OVModelForSeq2SeqLM"
    text = {"text": ["translate English to German: The house is wonderful.", "summarize: a b c"], "max_new_tokens": 10, "do_sample": False}
    result = handler(text)
    assert_openvino(result)
    expected = cpu[2](text)
    expect.distinct(expected["generated_token_ids"], "CPU outputs")
    assert all(len(ids) > 2 for ids in expected["generated_token_ids"])
    assert result["generated_token_ids"] == expected["generated_token_ids"]
    assert result["generated_text"] == expected["generated_text"]


def test_vision_encoder_logits_match_torch(fixtures):
    skill, (endpoint, _, handler, _, _), cpu = openvino_and_cpu("vit", os.path.join(fixtures, "vit-cls"))
    assert type(endpoint).__name__ == "OVModelForImageClassification"
    images = [skill._sample_input("image_classification"), skill._sample_image(48, 40, 3)]
    result = handler(images)
    assert_openvino(result)
    expected = cpu[2](images)
    MEASURED["vit logits max rel diff"] = max_diff(result["logits"], expected["logits"])
    expect.rows_differ(expected["logits"], "CPU logits")
    expect.close(result["logits"], expected["logits"], "OpenVINO logits", rel=OV_REL)
    assert [[p["label"] for p in row] for row in result["predictions"]] == [[p["label"] for p in row] for row in expected["predictions"]]


@pytest.mark.parametrize("model_type,fixture,ov_class", [
    ("roberta", "roberta-cls", "OVModelForSequenceClassification"),
    ("distilbert", "distilbert-ner", "OVModelForTokenClassification"),
    ("llama", "llama", "OVModelForCausalLM"),
    ("resnet", "resnet-cls", "OVModelForImageClassification"),
    ("wav2vec2", "wav2vec2-ctc", "OVModelForCTC"),
    ("hubert", "hubert-ctc", "OVModelForCTC"),
    ("data2vec-audio", "data2vec-audio-ctc", "OVModelForCTC"),
    ("audio-spectrogram-transformer", "ast", "OVModelForAudioClassification"),
])
def test_more_families_match_torch_on_their_sample(fixtures, model_type, fixture, ov_class):
    """The rest of the families whose task has an optimum-intel class and whose fixture exports:
    every output leaf of the sample (floats within OV_REL of the output's scale, ids, labels and
    text equal) as on CPU torch, except that an OV head model gives no embeddings (text encoder
    heads)."""
    skill, (endpoint, _, handler, _, _), cpu = openvino_and_cpu(model_type, os.path.join(fixtures, fixture))
    assert type(endpoint).__name__ == ov_class
    pair = expect.two_inputs(handler.task)
    got = handler(pair)
    assert_openvino(got)
    want = cpu[2](pair)
    expect.rows_differ_somewhere(want, "the CPU result")
    worst = expect.same_result(got, want, skip=("/embeddings", "/dimensions"), rel=OV_REL)
    MEASURED[model_type + " max rel diff"] = worst
    assert worst <= OV_REL


def skill_file(model_type):
    """A skillset from the default set, else from the coverage run (SKILLGEN_COVERAGE: every model
    type, e.g. llava_next, which models.toml does not list)."""
    from conftest import SKILLSETS

    name = "hf_" + model_type + ".py"
    if os.path.isfile(os.path.join(SKILLSETS, name)):
        return skill_for
    coverage = os.environ.get("SKILLGEN_COVERAGE")
    if not coverage:
        pytest.skip("SKILLGEN_COVERAGE not set: no hf_" + model_type + ".py in the default skillsets")
    import importlib.util

    spec = importlib.util.spec_from_file_location("hf_" + model_type, os.path.join(coverage, "skillsets", name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return lambda mt, metadata=None: getattr(module, "hf_" + mt)({"torch": torch, "transformers": transformers}, metadata or {})


def test_qwen2_greedy_tokens_identical_and_cut_at_eos(fixtures, tmp_path):
    """qwen2 (a host OpenVINO type) through OVModelForCausalLM: greedy tokens identical to CPU
    torch on two prompts (which continue differently), then with an end-of-sequence token that
    greedy decoding reaches in one row only: both backends cut that row after it, at the same
    length, and the other row runs to max_new_tokens."""
    import json
    import shutil

    path = os.path.join(fixtures, "qwen2")
    _, (endpoint, _, handler, _, _), cpu = openvino_and_cpu("qwen2", path)
    assert type(endpoint).__name__ == "OVModelForCausalLM"
    prompt = {"prompt": ["The quick brown fox", "Paris is the capital of France and"], "max_new_tokens": 10, "do_sample": False}
    result, expected = handler(prompt), cpu[2](prompt)
    assert_openvino(result)
    expect.distinct(expected["generated_token_ids"], "CPU continuations")
    assert [len(ids) for ids in expected["generated_token_ids"]] == [10, 10]
    assert result["generated_token_ids"] == expected["generated_token_ids"]
    assert result["generated_text"] == expected["generated_text"]
    # A token the second row generates and the first never does becomes the end-of-sequence token.
    first, second = expected["generated_token_ids"]
    at = next(i for i, t in enumerate(second) if t not in first and i >= 2)
    eos = second[at]
    cut = str(tmp_path / "qwen2-eos")
    shutil.copytree(path, cut)
    with open(os.path.join(cut, "generation_config.json"), encoding="utf-8") as f:
        generation = json.load(f)
    generation["eos_token_id"] = eos
    with open(os.path.join(cut, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump(generation, f)
    _, (_, _, handler, _, _), cpu = openvino_and_cpu("qwen2", cut)
    result, expected = handler(prompt), cpu[2](prompt)
    assert_openvino(result)
    assert [len(ids) for ids in expected["generated_token_ids"]] == [10, at + 1]
    assert expected["generated_token_ids"][1][-1] == eos
    assert result["generated_token_ids"] == expected["generated_token_ids"]
    assert result["generated_text"] == expected["generated_text"]


def test_llava_next_generates_identical_tokens_on_openvino(fixtures):
    """llava_next (a host OpenVINO type, 9 arguments) through optimum-intel's
    OVModelForVisualCausalLM: greedy tokens identical to CPU torch on the sample, on an image of
    another size (another anyres tiling, so another number of image tokens) and on another prompt;
    the three answers are not all the same."""
    make = skill_file("llava_next")
    path = os.path.join(fixtures, "llava_next")
    skill = make("llava_next")
    endpoint, _, handler, _, _ = skill.init_openvino(path, "image-text-to-text", "CPU", "openvino:0", None, None, None, None, None)
    assert type(endpoint).__name__ == "_OVLlavaNextForCausalLM", skill.endpoints["openvino:0"]
    assert skill.endpoints["openvino:0"]["source"] == "OVModelForVisualCausalLM.from_pretrained"
    cpu = make("llava_next").init_cpu(path, "cpu", "cpu")[2]
    sample = skill._sample_input(handler.task)
    inputs = [
        sample,
        dict(sample, image=expect._image(3, 60, 28), max_new_tokens=10),
        dict(sample, image=expect._image(4, 30, 58), prompt="Describe the colours of this picture in detail.", max_new_tokens=10),
    ]
    tokens = []
    for x in inputs:
        got, want = handler(x), cpu(x)
        assert_openvino(got)
        assert got["generated_token_ids"] == want["generated_token_ids"]
        assert got["generated_text"] == want["generated_text"]
        assert [len(ids) for ids in want["generated_token_ids"]] == [x["max_new_tokens"]]  # no EOS: the whole length compared
        tokens.append(got["generated_token_ids"])
    expect.distinct(tokens, "llava_next answers")


# ---- the worker's calls and the host's helper callables ----

class Recorder:
    """A host helper double: records its calls, returns `value` or raises `error`."""

    def __init__(self, value=None, error=None):
        self.value, self.error, self.calls = value, error, []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        if self.error is not None:
            raise self.error
        return self.value


def test_host_optimum_helper_model_is_used(bert, fixtures):
    path = os.path.join(fixtures, "bert")
    real = bert[1][0]
    optimum_helper = Recorder(real)
    others = [Recorder(), Recorder(), Recorder()]
    skill = skill_for("bert")
    endpoint, _, handler, _, _ = skill.init_openvino(path, "feature-extraction", "CPU", "openvino:0", optimum_helper, *others)
    assert endpoint is real
    assert optimum_helper.calls == [((path, "feature-extraction", "openvino:0"), {})]
    assert all(not o.calls for o in others)  # the first helper gave a model: nothing else asked
    assert skill.endpoints["openvino:0"]["source"] == "get_optimum_openvino_model"
    result = handler(TEXTS)
    assert_openvino(result)
    expect.close(result["embeddings"], bert[2][2](TEXTS)["embeddings"], "embeddings", rel=OV_REL)


@pytest.mark.parametrize("behaviour", ["none", "raise"])
@pytest.mark.parametrize("count", [4, 5])  # 8 and 9 positional arguments in all
def test_helpers_returning_none_or_raising_lead_to_own_conversion(fixtures, behaviour, count):
    path = os.path.join(fixtures, "bert")
    helpers = [Recorder(None, RuntimeError("host helper broke") if behaviour == "raise" else None) for _ in range(count)]
    skill = skill_for("bert")
    endpoint, _, handler, _, _ = skill.init_openvino(path, "feature-extraction", "CPU", "openvino:0", *helpers)
    assert type(endpoint).__name__ == "OVModelForFeatureExtraction"
    optimum_helper = helpers[count - 4]
    assert optimum_helper.calls[0][0] == (path, "feature-extraction", "openvino:0")
    info = skill.endpoints["openvino:0"]
    assert info["source"] == "OVModelForFeatureExtraction.from_pretrained", info
    result = handler(TEXTS)
    assert_openvino(result)
    word = "raised RuntimeError" if behaviour == "raise" else "returned None"
    assert "get_optimum_openvino_model " + word in result["backend_note"]
    if count == 5:
        assert not helpers[0].calls  # the genai pipeline helper is not what these families use


# The README's remaining "F" cells: init_openvino falls back to CPU torch, says why, and answers what
# the CPU endpoint answers.
FALLBACKS = [
    # Whisper's tiny fixture (2 s of audio): optimum-intel 2.2 exports Whisper with 3000-frame dummy
    # inputs, the fixture's window is 200 frames (the real 30 s window runs: test_openvino_convert).
    ("whisper", "whisper", "openvino unavailable"),
    # git: optimum-intel 2.2 cannot export it, and transformers 5.5.4's GIT decodes differently with
    # and without KV cache, so the converted (uncached) path is not used (test_openvino_convert).
    ("git", "git", "openvino unavailable"),
    # SpeechT5: its decoder pre-net's dropout stays on at inference (seeded in torch; in the graph for
    # optimum-intel 2.2 and convert_model), test_openvino_convert tests the reason.
    ("speecht5", "speecht5", "openvino unavailable"),
]


@pytest.mark.parametrize("model_type,fixture,why", FALLBACKS)
def test_families_openvino_cannot_serve_fall_back_labelled(fixtures, model_type, fixture, why):
    path = os.path.join(fixtures, fixture)
    skill = skill_for(model_type)
    _, _, handler, queue, batch_size = skill.init_openvino(path, None, "CPU", "openvino:0")
    assert queue._maxsize >= 1 and batch_size >= 1
    pair = expect.two_inputs(handler.task, zero_shot=skill.ZERO_SHOT if hasattr(skill, "ZERO_SHOT") else False)
    result = handler(pair)
    assert result["implementation_type"] == "REAL" and result["backend"] == "torch" and result["device"] == "cpu", result
    assert why in result["fallback"] and "ran on CPU with torch" in result["fallback"], result["fallback"]
    cpu = skill_for(model_type).init_cpu(path, "cpu", "cpu")[2](pair)
    expect.rows_differ_somewhere(cpu, "the CPU result")
    assert expect.same_result(result, cpu) == 0.0  # the same CPU torch computation


def test_without_optimum_bert_is_converted_with_openvino(fixtures, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "optimum.intel", None)  # import fails
    path = os.path.join(fixtures, "bert")
    skill = skill_for("bert")
    endpoint, _, handler, _, _ = skill.init_openvino(path, None, "CPU", "openvino:0")
    assert type(endpoint).__name__ == "ConvertedModel" and skill.endpoints["openvino:0"]["source"] == "openvino.convert_model"
    result = handler(TEXTS)
    assert_openvino(result)
    assert "optimum-intel not importable" in result["backend_note"]
    expected = skill_for("bert").init_cpu(path, "cpu", "cpu")[2](TEXTS)
    assert torch.allclose(result["embeddings"], expected["embeddings"], atol=1e-4)


def test_without_openvino_the_cpu_path_runs_labelled(fixtures, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "optimum.intel", None)  # imports fail
    monkeypatch.setitem(sys.modules, "openvino", None)
    path = os.path.join(fixtures, "bert")
    _, _, handler, _, _ = skill_for("bert").init_openvino(path, None, "CPU", "openvino:0")
    result = handler(TEXTS)
    assert result["implementation_type"] == "REAL" and result["backend"] == "torch" and result["device"] == "cpu"
    assert "optimum-intel not importable" in result["fallback"]
    assert "openvino.convert_model path unavailable" in result["fallback"]


def test_openvino_skill_convert_writes_a_loadable_model(fixtures, tmp_path):
    path = os.path.join(fixtures, "bert")
    dst = str(tmp_path / "bert-ov")
    skill = skill_for("bert")
    start = time.time()
    converted = skill.openvino_skill_convert(path, dst, "feature-extraction", "fp32")
    MEASURED["openvino_skill_convert bert fp32 s"] = round(time.time() - start, 2)
    assert os.path.isfile(os.path.join(dst, "openvino_model.xml"))
    assert os.path.isfile(os.path.join(dst, "tokenizer_config.json"))
    assert type(converted).__name__ == "OVModelForFeatureExtraction"
    # The saved directory is itself a model the OpenVINO path loads without exporting again.
    endpoint, _, handler, _, _ = skill.init_openvino(dst, None, "CPU", "openvino:0")
    result = handler(TEXTS)
    assert_openvino(result)
    assert skill.endpoints["openvino:0"]["source"] == "OVModelForFeatureExtraction.from_pretrained"
    cpu = skill_for("bert").init_cpu(path, "cpu", "cpu")[2](TEXTS)
    expect.close(result["embeddings"], cpu["embeddings"], "embeddings", rel=OV_REL)


def test_openvino_skill_convert_from_loaded_hf_model_fp16(fixtures, tmp_path):
    path = os.path.join(fixtures, "vit-cls")
    hfmodel = transformers.AutoModelForImageClassification.from_pretrained(path)
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    dst = str(tmp_path / "vit-ov")
    converted = skill_for("vit").openvino_skill_convert("ignored-name", dst, "image_classification", "fp16", hfmodel, processor)
    assert type(converted).__name__ == "OVModelForImageClassification"
    assert os.path.isfile(os.path.join(dst, "openvino_model.bin")) and os.path.isfile(os.path.join(dst, "preprocessor_config.json"))
    with pytest.raises(ValueError):
        skill_for("vit").openvino_skill_convert(path, dst, "image_classification", "int3")


def test_report_measurements():
    # Not an assertion: prints what the run measured (pytest -s shows it).
    print("\nOpenVINO measurements:", MEASURED)
