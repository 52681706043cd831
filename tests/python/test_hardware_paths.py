"""CUDA, ROCm, Apple and Qualcomm paths on a machine that has none of them: the labelled CPU
fallback on real tiny fixtures, and the host's helper modules (cuda_utils, apple_coreml_utils,
qualcomm_snpe_utils) replaced by test doubles, called the way the contract says."""
import os
import sys
import types

import numpy as np
import pytest
import torch
import transformers

import expect
from conftest import SKILLSETS, load_bare, load_package

# model_type, fixture directory, task the fixture's head gives
FAMILIES = [
    ("bert", "bert", "text_embedding"),
    ("gpt2", "gpt2", "text_generation"),
    ("vit", "vit-cls", "image_classification"),
    ("wav2vec2", "wav2vec2-ctc", "speech_recognition"),
]
PATHS = [
    ("init_cuda", ("cuda:0", "cuda:0"), "cuda"),
    ("init_rocm", ("cuda:0", "rocm:0"), "rocm"),
    ("init_apple", ("mps", "apple:0"), "apple"),
    ("init_qualcomm", ("qualcomm", "qualcomm:0"), "qualcomm"),
]


def skill_for(model_type, metadata=None, module=None):
    module = module or load_bare("hf_" + model_type + ".py")
    cls = getattr(module, "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers}, metadata or {})


def no_hardware(method):
    if method in ("init_cuda", "init_rocm") and torch.cuda.is_available():
        pytest.skip("a GPU is present: this checks the fallback")
    if method == "init_apple" and torch.backends.mps.is_available():
        pytest.skip("MPS is present: this checks the fallback")


@pytest.mark.parametrize("method,args,label", PATHS)
@pytest.mark.parametrize("model_type,fixture,task", FAMILIES)
def test_absent_backend_gives_a_working_labelled_cpu_handler(fixtures, method, args, label, model_type, fixture, task):
    no_hardware(method)
    skill = skill_for(model_type)
    out = getattr(skill, method)(os.path.join(fixtures, fixture), *args)
    assert len(out) == 5
    endpoint, processor, handler, queue, batch_size = out
    assert endpoint is not None and processor is not None
    assert isinstance(batch_size, int) and batch_size >= 1 and queue._maxsize >= 1
    assert handler.task == task
    pair = expect.two_inputs(task)
    result = handler(pair)
    assert result["implementation_type"] == "REAL", result
    assert result["device"] == "cpu" and result["backend"] == "torch"
    assert label in result["fallback"] and "ran on CPU" in result["fallback"]
    expect.same_result(result, cpu_result(fixtures, model_type, fixture, pair))


_CPU = {}


def cpu_result(fixtures, model_type, fixture, pair):
    """The CPU endpoint's answer to the two inputs (compared with transformers in the family tests),
    whose rows differ."""
    if model_type not in _CPU:
        _CPU[model_type] = skill_for(model_type).init_cpu(os.path.join(fixtures, fixture), "cpu", "cpu")[2](pair)
        expect.rows_differ_somewhere(_CPU[model_type], "the CPU result")
    return _CPU[model_type]


@pytest.mark.parametrize("method,args,label", PATHS)
def test_fallback_matches_the_cpu_path(fixtures, method, args, label):
    no_hardware(method)
    path = os.path.join(fixtures, "bert")
    texts = ["a b c", "hello world"]
    got = getattr(skill_for("bert"), method)(path, *args)[2](texts)
    want = skill_for("bert").init_cpu(path, "cpu", "cpu")[2](texts)
    expect.rows_differ(want["embeddings"], "CPU embeddings")
    expect.close(got["embeddings"], want["embeddings"], "fallback embeddings")


@pytest.mark.parametrize("method,args,label", PATHS)
def test_mock_mode_on_every_path(method, args, label):
    skill = skill_for("bert", {"mock": True})
    _, _, handler, queue, batch_size = getattr(skill, method)("m", *args)
    result = handler("x")
    assert result["implementation_type"] == "MOCK" and result["backend"] == "mock"


# ---- the host's helper modules as test doubles ----

CALLS = []


class FakeNative:
    """Records every call; the same surface as the host's Core ML and SNPE utils."""

    def __init__(self, kind, available=True):
        self.kind, self.available = kind, available

    def is_available(self):
        CALLS.append((self.kind, "is_available"))
        return self.available

    def convert_model(self, name, task_type, out_path):
        CALLS.append((self.kind, "convert_model", name, task_type, out_path))
        return True

    def optimize_for_device(self, path, device_type):
        CALLS.append((self.kind, "optimize_for_device", path, device_type))
        return path

    def load_model(self, path):
        CALLS.append((self.kind, "load_model", path))
        return {"runtime": self.kind, "path": path}

    def run_inference(self, model, inputs):
        CALLS.append((self.kind, "run_inference", model, {k: type(v).__name__ for k, v in inputs.items()}))
        n = next(iter(inputs.values())).shape[0]
        return {"logits": np.ones((n, 2), dtype=np.float32)}


def fake_module(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


@pytest.fixture
def calls():
    CALLS.clear()
    yield CALLS
    CALLS.clear()


def test_coreml_through_the_host_package(fixtures, host_package, calls, tmp_path):
    """Loaded as a package submodule: `from . import apple_coreml_utils` (a sibling in
    worker/skillset) is the host's Core ML helper."""
    if torch.backends.mps.is_available():
        pytest.skip("MPS is present: the Core ML branch is not taken")
    sibling = host_package + ".apple_coreml_utils"
    sys.modules[sibling] = fake_module(sibling, get_coreml_utils=lambda: FakeNative("coreml"))
    try:
        module = load_package(host_package, "hf_bert.py")
        skill = skill_for("bert", {"cache_dir": str(tmp_path)}, module)
        path = os.path.join(fixtures, "bert")
        endpoint, tokenizer, handler, queue, batch_size = skill.init_apple(path, "mps", "apple:0")
    finally:
        del sys.modules[sibling]
    assert endpoint == {"runtime": "coreml", "path": calls[1][4]} and queue._maxsize >= 1
    assert [c[1] for c in calls] == ["is_available", "convert_model", "load_model"]
    _, _, name, task_type, out_path = calls[1]
    assert (name, task_type) == (path, "text_embedding")
    assert out_path.startswith(str(tmp_path)) and not out_path.startswith(SKILLSETS)
    assert calls[2][2] == out_path
    result = handler(["a b c", "hello"])
    assert result["implementation_type"] == "REAL" and result["backend"] == "coreml", result
    assert result["outputs"] == {"logits": [[1.0, 1.0], [1.0, 1.0]]}
    assert calls[3][1] == "run_inference" and calls[3][3]["input_ids"] == "ndarray"
    assert "error" in handler(5)  # bad input: an error dict, not a raise


def test_coreml_reporting_unavailable_falls_back(fixtures, monkeypatch, calls):
    if torch.backends.mps.is_available():
        pytest.skip("MPS is present")
    monkeypatch.setitem(sys.modules, "worker.skillset.apple_coreml_utils",
                        fake_module("x", get_coreml_utils=lambda: FakeNative("coreml", available=False)))
    _, _, handler, _, _ = skill_for("bert").init_apple(os.path.join(fixtures, "bert"), "mps", "apple:0")
    result = handler("a b c")
    assert result["implementation_type"] == "REAL" and result["backend"] == "torch"
    assert "Core ML unavailable" in result["fallback"] and "not available" in result["fallback"]
    assert [c[1] for c in calls] == ["is_available"]


def test_snpe_through_the_absolute_module(fixtures, monkeypatch, calls, tmp_path):
    monkeypatch.setitem(sys.modules, "ipfs_accelerate_py.worker.skillset.qualcomm_snpe_utils",
                        fake_module("x", get_snpe_utils=lambda: FakeNative("snpe")))
    skill = skill_for("vit", {"cache_dir": str(tmp_path)})
    path = os.path.join(fixtures, "vit-cls")
    _, _, handler, _, _ = skill.init_qualcomm(path, "qualcomm", "qualcomm:0")
    assert [c[1] for c in calls] == ["is_available", "convert_model", "optimize_for_device", "load_model"]
    assert calls[1][2:4] == (path, "image_classification") and calls[1][4].endswith(".dlc")
    assert calls[2][2:] == (calls[1][4], "qualcomm")
    result = handler(skill._sample_input("image_classification"))
    assert result["implementation_type"] == "REAL" and result["backend"] == "snpe", result
    assert calls[-1][3] == {"pixel_values": "ndarray"}


def test_snpe_conversion_failure_falls_back(fixtures, monkeypatch):
    class Broken(FakeNative):
        def convert_model(self, name, task_type, out_path):
            raise RuntimeError("no SNPE SDK")

    monkeypatch.setitem(sys.modules, "worker.skillset.qualcomm_snpe_utils", fake_module("x", get_snpe_utils=lambda: Broken("snpe")))
    _, _, handler, _, _ = skill_for("bert").init_qualcomm(os.path.join(fixtures, "bert"), "qualcomm", "qualcomm:0")
    result = handler("a b c")
    assert result["implementation_type"] == "REAL" and result["backend"] == "torch"
    assert "no SNPE SDK" in result["fallback"]


class FakeCudaUtils:
    def __init__(self, resources, metadata):
        CALLS.append(("cuda", "init", type(resources).__name__, type(metadata).__name__))

    def get_cuda_device(self, label):
        CALLS.append(("cuda", "get_cuda_device", label))
        return torch.device("cuda:1")

    def optimize_cuda_memory(self, model, device, use_half_precision=True):
        CALLS.append(("cuda", "optimize_cuda_memory", type(model).__name__, device, use_half_precision))
        return model


def test_cuda_utils_pick_the_device_and_optimize(fixtures, monkeypatch, calls):
    """torch.cuda faked to report 2 GPUs: the host's get_cuda_device chooses the index, and
    optimize_cuda_memory gets the loaded model (the load itself is stubbed: no GPU here)."""
    monkeypatch.setitem(sys.modules, "worker.cuda_utils", fake_module("x", cuda_utils=FakeCudaUtils))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    skill = skill_for("bert")
    seen = {}

    def fake_init_endpoint(model, device, label, backend, fallback=None, gpu_utils=None):
        seen.update(device=device, gpu_utils=gpu_utils, fallback=fallback)
        return ("endpoint", None, None, None, 1)

    monkeypatch.setattr(skill, "_init_endpoint", fake_init_endpoint)
    skill.init_cuda(os.path.join(fixtures, "bert"), "cuda:0", "cuda:0")
    assert seen["device"] == "cuda:1" and isinstance(seen["gpu_utils"], FakeCudaUtils)
    assert calls[:2] == [("cuda", "init", "dict", "dict"), ("cuda", "get_cuda_device", "cuda:0")]
    # The real _init_endpoint hands the loaded model to optimize_cuda_memory (on CPU here).
    monkeypatch.undo()
    skill = skill_for("bert")
    _, _, handler, _, _ = skill._init_endpoint(os.path.join(fixtures, "bert"), "cpu", "cuda:0", "cuda", gpu_utils=FakeCudaUtils({}, {}))
    assert calls[-1] == ("cuda", "optimize_cuda_memory", "BertModel", "cpu", True)
    result = handler("a b c")
    assert result["implementation_type"] == "REAL" and "optimize_cuda_memory applied" in result["backend_note"]


def test_gpu_batch_size_comes_from_free_memory(monkeypatch):
    skill = skill_for("bert").init()
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (3 * 1024 ** 3, 8 * 1024 ** 3))
    monkeypatch.setattr(torch, "device", lambda d: d)
    assert skill._batch_size("cuda:0") == 12
    assert skill._batch_size("cpu") == 8
    assert skill_for("bert", {"batch_size": 3}).init()._batch_size("cuda:0") == 3
