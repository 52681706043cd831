"""Unit tests of the Python runtime (python/skillgen_runtime/) itself, imported from the repo with
nothing generated: input decoding, postprocessing helpers, task choice and the error paths."""
import asyncio
import io
import os
import sys
import wave

import numpy as np
import pytest
import torch

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "python"))

import skillgen_runtime  # noqa: E402
from skillgen_runtime.errors import SkillInputError  # noqa: E402
from skillgen_runtime.queues import LocalQueue, make_queue  # noqa: E402


def family_skill(name, **data):
    """A subclass of a family class with the data a generated file would give it."""
    family = skillgen_runtime.family(name)
    attrs = {"MODEL_TYPE": "x", "TASKS": ("t1", "t2"), "DEFAULT_TASK": "t1", "DEFAULT_MODEL": "m"}
    attrs.update(data)
    return type("hf_x", (family,), attrs)(None, None)


def test_every_family_is_importable_and_its_class_extends_the_base():
    from skillgen_runtime.base import Skillset

    for name in skillgen_runtime.FAMILIES:
        cls = skillgen_runtime.family(name)
        assert issubclass(cls, Skillset) and cls.FAMILY == name


def test_handler_factories_follow_the_generated_tasks():
    skill = family_skill("text_encoder", TASKS=("text_embedding", "fill_mask"))
    for hardware in ("cpu", "cuda", "rocm", "openvino", "apple", "qualcomm"):
        for task in ("text_embedding", "fill_mask"):
            assert callable(getattr(skill, "create_" + hardware + "_" + task + "_endpoint_handler"))
    assert not hasattr(skill, "create_cpu_text_classification_endpoint_handler")
    result = skill.create_cpu_fill_mask_endpoint_handler("m", endpoint=None)("x")
    assert result["implementation_type"] == "ERROR" and "no endpoint" in result["error"]


def test_task_choice_metadata_then_models_toml_then_head_then_default():
    cls = type("hf_x", (skillgen_runtime.family("text_encoder"),), {
        "TASKS": ("text_embedding", "fill_mask", "text_classification"),
        "DEFAULT_TASK": "text_embedding",
        "MODEL_TASKS": {"org/listed": "fill_mask"},
        "HEAD_TASKS": {"XForSequenceClassification": "text_classification"},
    })

    class Config:
        architectures = ["XForSequenceClassification"]

    assert cls(None, {"task": "fill_mask"})._task_for("other", Config()) == "fill_mask"
    assert cls()._task_for("org/listed", Config()) == "fill_mask"
    assert cls()._task_for("other", Config()) == "text_classification"
    Config.architectures = ["Unknown"]
    assert cls()._task_for("other", Config()) == "text_embedding"
    with pytest.raises(SkillInputError, match="not one of"):
        cls(None, {"task": "nope"})._task_for("other", Config())


def test_handler_turns_exceptions_into_error_dicts():
    skill = family_skill("text_encoder", TASKS=("text_embedding",))
    skill.init()
    handler = skill._make_handler("text_embedding", None, None, "cpu", "cpu", "REAL")
    for bad in (None, 3, [], ["ok", 5]):
        result = handler(bad)
        assert result["implementation_type"] == "ERROR" and result["error"], (bad, result)
    # A failing model is an error too, never a raise.
    result = handler("fine text")
    assert result["implementation_type"] == "ERROR" and "error" in result


def test_local_queue_has_the_hosts_methods():
    queue = LocalQueue(1)
    assert queue._maxsize == 1 and queue.empty()
    queue.put_nowait(1)
    with pytest.raises(asyncio.QueueFull):
        queue.put_nowait(2)
    assert asyncio.run(queue.get()) == 1
    queue.task_done()
    with pytest.raises(ValueError):
        queue.task_done()
    assert make_queue(0)._maxsize == 1


# ---- images ----

def images():
    return family_skill("vision_encoder", TASKS=("image_classification",))


def test_images_from_arrays_tensors_bytes_and_paths(tmp_path):
    from PIL import Image

    skill = images()
    hwc = (np.arange(4 * 5 * 3) % 256).astype(np.uint8).reshape(4, 5, 3)
    assert np.array_equal(np.asarray(skill._to_image(hwc)), hwc)
    chw = torch.tensor(hwc).permute(2, 0, 1)
    assert np.array_equal(np.asarray(skill._to_image(chw)), hwc)
    floats = hwc.astype(np.float32) / 255.0
    assert np.abs(np.asarray(skill._to_image(floats)).astype(int) - hwc).max() <= 1
    path = tmp_path / "x.png"
    Image.fromarray(hwc).save(path)
    assert np.array_equal(np.asarray(skill._to_image(str(path))), hwc)
    assert np.array_equal(np.asarray(skill._to_image(path.read_bytes())), hwc)
    batch, single = skill._image_batch(np.stack([hwc, hwc[::-1]]))
    assert not single and len(batch) == 2
    assert np.array_equal(np.asarray(batch[1]), hwc[::-1])


@pytest.mark.parametrize("bad, message", [
    (None, "no image"),
    ([], "empty"),
    ("/no/such/file.png", "no such file"),
    (b"not an image", "could not be read"),
    (3.5, "expected a PIL image"),
])
def test_bad_images_are_input_errors(bad, message):
    with pytest.raises(SkillInputError, match=message):
        images()._image_batch(bad)


# ---- audio ----

def audio():
    return family_skill("speech_ctc", TASKS=("speech_recognition",))


def wav_bytes(samples, rate, width=2, channels=1):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buffer.getvalue()


def test_audio_decoding_scales_int_pcm_and_resamples():
    skill = audio()
    pcm = np.array([0, 16384, -32768, 32767], dtype=np.int16)
    decoded = skill._to_waveform(wav_bytes(pcm, 16000))
    assert np.allclose(decoded, pcm / 32768.0)
    assert np.allclose(skill._to_waveform(pcm), pcm / 32768.0)
    tone = np.sin(np.linspace(0, 20, 8000)).astype(np.float32)
    resampled = skill._to_waveform({"array": tone, "sampling_rate": 8000})
    assert resampled.shape == (16000,)
    assert abs(float(resampled[::2][:4000].mean()) - float(tone[:4000].mean())) < 1e-2
    stereo = np.array([[1000, -1000], [2000, 0]], dtype=np.int16)
    assert np.allclose(skill._to_waveform(wav_bytes(stereo, 16000, channels=2)), [0.0, 1000 / 32768.0])


@pytest.mark.parametrize("bad, message", [
    ([float("nan"), 0.0], "NaN"),
    ([], "empty"),
    ({"sampling_rate": 16000}, "needs 'audio'"),
    ({"audio": [0.1], "sampling_rate": -1}, "sampling_rate"),
    (["a", 1], "expected"),
    (b"RIFF junk", "WAV"),
])
def test_bad_audio_is_an_input_error(bad, message):
    skill = audio()
    with pytest.raises(SkillInputError, match=message):
        batch, _, options = skill._split_audio_input(bad)
        skill._decode_audio(batch, options, 16000)


# ---- labels, generation, ranking ----

class _Config:
    id2label = {0: "neg", 1: "pos", 2: "mid"}
    problem_type = None


class _Model:
    config = _Config()


def test_classify_softmax_top_k_and_label_ids():
    skill = images()
    logits = torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0]])
    top = skill._classify(_Model(), logits, 2)
    probs = logits.softmax(-1)
    assert [p["label"] for p in top[0]] == ["pos", "mid"] and top[1][0]["label"] == "neg"
    assert top[0][0]["score"] == pytest.approx(float(probs[0, 1]))
    assert top[0][0]["label_id"] == 1  # the vision encoder's format
    assert "label_id" not in audio()._classify(_Model(), logits, 1)[0][0]


def test_classify_multi_label_uses_sigmoid():
    model = _Model()
    model.config = type("C", (), {"id2label": {0: "a", 1: "b"}, "problem_type": "multi_label_classification"})()
    top = images()._classify(model, torch.tensor([[0.0, 3.0]]), 2)
    assert top[0][0]["score"] == pytest.approx(float(torch.sigmoid(torch.tensor(3.0))))


def test_generation_options_and_cut_at_eos():
    skill = family_skill("text_decoder", TASKS=("text_generation",))
    assert skill._generation_kwargs(None, {"max_new_tokens": 3, "do_sample": True, "top_p": 0.5}) == {
        "max_new_tokens": 3, "do_sample": True, "top_p": 0.5}
    for bad in ({"max_new_tokens": 0}, {"do_sample": "yes"}, {"temperature": 0}, {"top_p": 2}, {"beam": 2}):
        with pytest.raises(SkillInputError):
            skill._generation_kwargs(None, bad)
    assert skill._cut_at_eos([[5, 2, 9, 9], [7, 8]], {2}) == [[5, 2], [7, 8]]


def test_zero_shot_ranking_orders_by_score_then_index():
    skill = family_skill("vision_text_dual_encoder", TASKS=("image_text_embedding",))
    ranked = skill._rank(["a", "b", "c"], [[0.2, 0.5, 0.2]], {"top_k": 2})
    assert [(r["label"], r["index"]) for r in ranked[0]] == [("b", 1), ("a", 0)]


def test_cache_dir_stays_outside_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLGEN_CACHE", str(tmp_path))
    path = images()._cache_dir("openvino", "org/../../model")
    assert path.startswith(str(tmp_path)) and ".." not in os.path.relpath(path, str(tmp_path))


def runtime_files():
    root = os.path.join(ROOT, "python")
    return sorted(
        os.path.join(dirpath, name)
        for dirpath, dirnames, names in os.walk(root)
        if "__pycache__" not in dirpath
        for name in names
        if name.endswith(".py")
    )


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.11", "3.12", "3.13"])
def test_the_runtime_parses_on_every_supported_python(version):
    # The runtime is vendored into hosts on any of these versions, like the skillsets.
    from test_host_contract import assert_parses_on

    assert_parses_on(version, runtime_files())


class Anything:
    """A loaded tokenizer/model stand-in: every attribute is None and may be set."""

    def __getattr__(self, name):
        return None


class FakeTransformers:
    """A transformers module object older than the table: it lacks a model_type and a class."""

    __version__ = "5.5.4"

    def __init__(self, model_types, classes):
        self.CONFIG_MAPPING = dict.fromkeys(model_types)
        for name in classes:
            setattr(self, name, type(name, (), {"from_pretrained": classmethod(lambda cls, *a, **k: Anything())}))

        def config_from_pretrained(model, **kwargs):
            raise ValueError(
                "The checkpoint you are trying to load has model type `newlm` but Transformers does not recognize this architecture."
            )

        self.AutoConfig = type("AutoConfig", (), {"from_pretrained": staticmethod(config_from_pretrained)})


def skew_skill(transformers, **data):
    attrs = {"MODEL_TYPE": "newlm", "TASKS": ("text_generation",), "DEFAULT_TASK": "text_generation",
             "DEFAULT_MODEL": "org/newlm", "TRANSFORMERS_VERSION": "5.24.0",
             "AUTO_CLASSES": {"text_generation": "AutoModelForCausalLM"}}
    attrs.update(data)
    cls = type("hf_newlm", (skillgen_runtime.family("text_decoder"),), attrs)
    return cls({"torch": torch, "transformers": transformers, "numpy": np}, None)


def test_an_older_transformers_without_the_model_type_is_named_in_the_handler_error():
    skill = skew_skill(FakeTransformers(["bert"], ["AutoModelForCausalLM", "AutoTokenizer"]))
    _, _, handler, queue, batch = skill.init_cpu("org/newlm", "cpu", "cpu")
    error = handler("hi")["error"]
    assert "transformers 5.5.4" in error and "5.24.0" in error and "too old" in error, error
    assert "model_type 'newlm'" in error and "does not recognize" in error, error


def test_an_older_transformers_without_the_auto_class_is_named_in_the_handler_error():
    fake = FakeTransformers(["newlm"], ["AutoTokenizer"])
    fake.AutoConfig = type("AutoConfig", (), {"from_pretrained": staticmethod(lambda m, **k: type("C", (), {"architectures": None})())})
    skill = skew_skill(fake)
    error = skill.init_cpu("org/newlm", "cpu", "cpu")[2]("hi")["error"]
    assert "transformers.AutoModelForCausalLM" in error and "5.5.4" in error and "too old" in error, error
    assert "5.24.0" in error, error


def test_other_load_errors_and_newer_transformers_are_not_called_too_old():
    fake = FakeTransformers(["newlm"], ["AutoModelForCausalLM", "AutoTokenizer"])
    fake.AutoConfig = type("AutoConfig", (), {"from_pretrained": staticmethod(lambda m, **k: (_ for _ in ()).throw(OSError("no such repo")))})
    error = skew_skill(fake).init_cpu("org/newlm", "cpu", "cpu")[2]("hi")["error"]
    assert "too old" not in error and "no such repo" in error, error
    newer = FakeTransformers(["bert"], [])
    newer.__version__ = "6.1.0"
    error = skew_skill(newer).init_cpu("org/newlm", "cpu", "cpu")[2]("hi")["error"]
    assert "too old" not in error and "transformers 6.1.0 does not know model_type 'newlm'" in error, error


def test_a_tower_class_by_its_path_under_transformers_loads_and_is_checked():
    import transformers

    skill = family_skill("vision_encoder", AUTO_CLASSES={"image_embedding": "models.kosmos2.modeling_kosmos2.Kosmos2VisionModel"})
    skill.init()
    assert skill._transformers_class("models.kosmos2.modeling_kosmos2.Kosmos2VisionModel").__name__ == "Kosmos2VisionModel"
    assert skill._transformers_class("AutoModel") is transformers.AutoModel
    assert skill._has_class("models.kosmos2.modeling_kosmos2.Kosmos2VisionModel")
    assert not skill._has_class("models.nope.modeling_nope.NopeModel")


def test_converted_model_refuses_model_methods_it_does_not_convert(tmp_path):
    """OpenVINO's converted path: a method the model's own class defines and the path does not
    convert is refused (AttributeError, so the sample check falls back to CPU torch, labelled),
    never run as torch under the "openvino" label; generic torch/transformers methods, state and
    submodules (converted themselves) stay available."""
    import transformers

    from skillgen_runtime.openvino_convert import ConvertedModel

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(4, 4)

        def forward(self, x):
            return self.proj(x)

        def embed(self, x):  # model-specific compute, not a converted method
            return self.proj(x) * 2

        def encode(self, x):  # a converted method
            return self.proj(x)

    tiny = Tiny().eval()
    proxy = ConvertedModel(tiny, torch, None, "CPU", {}, str(tmp_path))
    with pytest.raises(AttributeError, match="Tiny.embed is not converted to OpenVINO"):
        _ = proxy.embed
    assert not hasattr(proxy, "embed")
    # encode is the converted wrapper (the torch method's signature), not the torch bound method.
    assert proxy.encode.__name__ == "encode" and getattr(proxy.encode, "__self__", None) is not tiny
    assert list(proxy.parameters()) == list(tiny.parameters()) and proxy.training is False
    assert proxy.eval() is tiny and type(proxy.proj).__name__ == "ConvertedModel"

    config = transformers.SamConfig(vision_config={"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "output_channels": 8, "global_attn_indexes": [0], "image_size": 64, "patch_size": 16, "mlp_dim": 16})
    sam = ConvertedModel(transformers.SamModel(config).eval(), torch, None, "CPU", {}, str(tmp_path))
    with pytest.raises(AttributeError, match="SamModel.get_image_embeddings is not converted"):
        _ = sam.get_image_embeddings
    assert sam.config is config and sam.can_generate() is False
