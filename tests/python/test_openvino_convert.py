"""The OpenVINO path for the families optimum-intel has no class for (or cannot export under the
pinned versions): the family's torch module(s) converted with openvino.convert_model on the
family's own preprocessed sample (openvino_convert.py), compared with the same skillset's CPU torch
endpoint on the tiny fixtures: every output leaf (floats within 1e-4 of the signal's scale, labels,
ids and boxes equal), on the sample and on a second, different input (whose outputs must differ
from the sample's, so a constant output cannot pass), and on a batch of 16."""
import os
import time

import numpy as np
import pytest
import torch
import transformers

import expect
from conftest import load_bare

pytest.importorskip("openvino")

MEASURED = {}
SKIP_KEYS = {"elapsed_time", "backend", "backend_note", "fallback", "device", "hardware_label"}


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers}, metadata or {})


def leaves(value):
    return expect.leaves(value, skip=SKIP_KEYS)


def vary(sample, seed):
    """The sample with its images, frames and waveforms replaced by seeded random ones of the same
    size (texts and options kept)."""
    rng = np.random.default_rng(seed)
    if isinstance(sample, np.ndarray):
        return rng.integers(0, 256, size=sample.shape, dtype=np.uint8)
    if isinstance(sample, dict):
        return {k: vary(v, seed) for k, v in sample.items()}
    if isinstance(sample, list) and len(sample) > 100 and all(isinstance(v, float) for v in sample):
        return [float(v) for v in rng.uniform(-0.3, 0.3, size=len(sample))]
    if isinstance(sample, list):
        return [vary(v, seed + i) for i, v in enumerate(sample)]
    return sample


def compare(got, want):
    """The largest float difference relative to the signal's scale; non-float leaves must be equal."""
    assert "error" not in got and "error" not in want, (got.get("error"), want.get("error"))
    assert got["implementation_type"] == "REAL" and got["backend"] == "openvino" and "fallback" not in got, got
    assert want["backend"] == "torch"
    got, want = dict(leaves(got)), dict(leaves(want))
    floats = [abs(v) for v in want.values() if isinstance(v, float)]
    scale = max([1.0] + floats)
    worst = 0.0
    for key, value in want.items():
        assert key in got, key
        if isinstance(value, float):
            worst = max(worst, abs(got[key] - value) / scale)
        else:
            assert got[key] == value, key
    assert set(got) == set(want), set(got) ^ set(want)
    return worst


def with_threshold(sample, task):
    # Detectors: every query's box (threshold 0), so the comparison sees boxes, labels and scores.
    if task != "object_detection":
        return sample
    return dict(sample, threshold=0.0) if isinstance(sample, dict) else {"image": sample, "threshold": 0.0}


def max_rel(got, want):
    """max |got - want| relative to max |want| (NaN fails every comparison)."""
    got, want = expect.finite(got, "got"), expect.finite(want, "want")
    return float((got - want).abs().max()) / max(float(want.abs().max()), 1e-30)


def float_leaves(result):
    return {k: v for k, v in leaves(result) if isinstance(v, float)}


# model_type, fixture, task (None: the fixture's own)
CONVERTED = [
    ("clip", "clip", None),
    ("siglip", "siglip", None),
    ("clap", "clap", None),
    ("xclip", "xclip", None),
    ("videomae", "videomae", None),
    ("detr", "detr", None),
    ("yolos", "yolos", None),
    ("owlvit", "owlvit", None),
    ("segformer", "segformer", None),
    ("dpt", "dpt", None),
    ("dinov2", "dinov2", None),
]


@pytest.mark.parametrize("model_type,fixture,task", CONVERTED, ids=[c[1] for c in CONVERTED])
def test_converted_family_matches_torch(fixtures, model_type, fixture, task):
    path = os.path.join(fixtures, fixture)
    metadata = {"task": task} if task else {}
    skill = skill_for(model_type, metadata)
    start = time.time()
    endpoint, _, handler, queue, batch_size = skill.init_openvino(path, None, "CPU", "openvino:0")
    MEASURED[fixture + " init_openvino s"] = round(time.time() - start, 2)
    assert queue._maxsize >= 1 and batch_size >= 1
    info = skill.endpoints["openvino:0"]
    assert info["backend"] == "openvino" and info["source"] == "openvino.convert_model", info
    assert type(endpoint).__name__ == "ConvertedModel"
    cpu = skill_for(model_type, metadata).init_cpu(path, "cpu", "cpu")[2]
    sample = with_threshold(skill._sample_input(handler.task), handler.task)
    other = vary(sample, 7)
    worst = 0.0
    results = []
    for x in (sample, other):
        got = handler(x)
        worst = max(worst, compare(got, cpu(x)))
        results.append(float_leaves(got))
    MEASURED[fixture + " max rel diff"] = worst
    assert worst <= 1e-4
    # Two different inputs give different outputs: a constant output cannot pass.
    assert any(abs(results[0][k] - results[1].get(k, results[0][k])) > 1e-6 for k in results[0]), fixture
    # The torch model never ran under the openvino label: every call went through a conversion.
    assert endpoint.conversions and {m for m, _, _ in endpoint.conversions} <= {"__call__", "get_text_features", "get_image_features", "get_audio_features", "get_video_features"}


@pytest.mark.parametrize("model_type,fixture", [("clip", "clip"), ("detr", "detr"), ("segformer", "segformer")])
def test_converted_batch_of_16_matches_torch(fixtures, model_type, fixture):
    path = os.path.join(fixtures, fixture)
    skill = skill_for(model_type)
    handler = skill.init_openvino(path, None, "CPU", "openvino:0")[2]
    cpu = skill_for(model_type).init_cpu(path, "cpu", "cpu")[2]
    sample = with_threshold(skill._sample_input(handler.task), handler.task)
    media = sample["image"] if isinstance(sample, dict) else sample
    batch = [vary(media, seed) for seed in range(16)]
    x = dict(sample, image=batch) if isinstance(sample, dict) else batch
    assert compare(handler(x), cpu(x)) <= 1e-4


def test_handler_factory_labels_a_converted_endpoint_openvino(fixtures):
    path = os.path.join(fixtures, "clip")
    skill = skill_for("clip")
    endpoint, processor, handler, _, _ = skill.init_openvino(path, None, "CPU", "openvino:0")
    made = skill.create_openvino_image_text_embedding_endpoint_handler(path, "CPU", "openvino:1", endpoint, processor)
    sample = skill._sample_input(handler.task)
    result = made(sample)
    assert result["backend"] == "openvino" and result["implementation_type"] == "REAL", result
    assert torch.allclose(result["image_embeds"], handler(sample)["image_embeds"])


def test_host_helpers_come_first_for_converted_families(fixtures):
    """clip (8 arguments from the worker): the host's helpers are asked first; a helper returning
    None or raising is noted and skipped, then the convert_model path runs."""
    calls = []

    def none_helper(*args, **kwargs):
        calls.append(("none", args))

    def raising_helper(*args, **kwargs):
        calls.append(("raise", args))
        raise RuntimeError("host helper broke")

    path = os.path.join(fixtures, "clip")
    skill = skill_for("clip")
    endpoint, _, handler, _, _ = skill.init_openvino(path, "clip", "CPU", "openvino:0", none_helper, raising_helper, none_helper, none_helper)
    assert [c[0] for c in calls][:2] == ["none", "raise"] and calls[0][1] == (path, "clip", "openvino:0")
    assert type(endpoint).__name__ == "ConvertedModel"
    result = handler(skill._sample_input(handler.task))
    assert result["backend"] == "openvino" and "fallback" not in result
    assert "get_optimum_openvino_model returned None" in result["backend_note"]
    assert "get_openvino_model raised RuntimeError" in result["backend_note"]


def test_converted_ir_is_cached_and_keyed(fixtures, tmp_path):
    path = os.path.join(fixtures, "clip")
    first = skill_for("clip", {"cache_dir": str(tmp_path)})
    first.init_openvino(path, None, "CPU", "openvino:0")
    assert first.endpoints["openvino:0"]["conversions"] and not any(c for _, _, c in first.endpoints["openvino:0"]["conversions"])
    cache = first.endpoints["openvino:0"]["path"]
    assert cache.startswith(str(tmp_path)) and any(f.endswith(".xml") for f in os.listdir(cache))
    second = skill_for("clip", {"cache_dir": str(tmp_path)})
    second.init_openvino(path, None, "CPU", "openvino:0")
    assert second.endpoints["openvino:0"]["path"] == cache
    assert all(c for _, _, c in second.endpoints["openvino:0"]["conversions"])  # read from the cache
    # Another task (or revision) of the same model gets another directory.
    third = skill_for("clip", {"cache_dir": str(tmp_path)})
    third.REVISIONS = {path: "0123456789abcdef0123456789abcdef01234567"}
    assert third._cache_dir("openvino-convert", path, "x") != cache


@pytest.fixture(scope="module")
def llava_small_init(fixtures, tmp_path_factory):
    """The llava fixture re-initialised at transformers' default scale (0.02): the shared fixture's
    wide init (0.5, so that answers depend on the input) puts greedy decoding on near-ties that f32
    rounding differences between OpenVINO and torch flip; at the default scale the two agree."""
    import shutil

    import torch
    import transformers

    src = os.path.join(fixtures, "llava")
    dst = str(tmp_path_factory.mktemp("llava-small-init") / "llava")
    shutil.copytree(src, dst)
    config = transformers.AutoConfig.from_pretrained(dst)
    for sub in (config, config.text_config, config.vision_config):
        sub.initializer_range = 0.02
    torch.manual_seed(0)
    transformers.LlavaForConditionalGeneration(config).save_pretrained(dst)
    return dst


def test_llava_generates_identical_tokens_on_openvino(llava_small_init):
    """LLaVA (a host OpenVINO type, 9 arguments) through optimum-intel's OVModelForVisualCausalLM
    (vision tower, embeddings and the language model with KV cache as separate IRs): greedy tokens
    identical to CPU torch, on the sample and on another image and prompt (whose tokens differ)."""
    pytest.importorskip("optimum.intel")
    path = llava_small_init
    skill = skill_for("llava")
    genai = [None]  # get_openvino_genai_pipeline first, as the worker passes for llava
    endpoint, _, handler, _, _ = skill.init_openvino(path, "image-text-to-text", "CPU", "openvino:0", *genai, None, None, None, None)
    assert type(endpoint).__name__ == "_OVLlavaForCausalLM", skill.endpoints["openvino:0"]
    assert skill.endpoints["openvino:0"]["source"] == "OVModelForVisualCausalLM.from_pretrained"
    cpu = skill_for("llava").init_cpu(path, "cpu", "cpu")[2]
    sample = skill._sample_input(handler.task)
    other = dict(vary(sample, 3), prompt="Describe the colours of this picture in detail.", max_new_tokens=12)
    tokens = []
    for x in (sample, other):
        got, want = handler(x), cpu(x)
        assert got["backend"] == "openvino" and got["implementation_type"] == "REAL" and "fallback" not in got, got
        assert got["generated_token_ids"] == want["generated_token_ids"]
        assert got["generated_text"] == want["generated_text"]
        tokens.append(got["generated_token_ids"])
    assert tokens[0] != tokens[1]


@pytest.fixture(scope="module")
def whisper_30s(fixtures, tmp_path_factory):
    """The whisper fixture with the real 30-second window (3000 mel frames, max_source_positions
    1500, as every released Whisper has): optimum-intel 2.2 exports Whisper with 3000-frame dummy
    inputs, which the 2-second fixture (200 frames) rejects."""
    import shutil

    src = os.path.join(fixtures, "whisper")
    dst = str(tmp_path_factory.mktemp("whisper-30s") / "whisper")
    shutil.copytree(src, dst)
    config = transformers.WhisperConfig.from_pretrained(src)
    config.max_source_positions = 1500
    torch.manual_seed(21)
    model = transformers.WhisperForConditionalGeneration(config).eval()
    model.generation_config = transformers.GenerationConfig.from_pretrained(src)
    model.save_pretrained(dst)
    processor = transformers.WhisperProcessor.from_pretrained(src)
    processor.feature_extractor = transformers.WhisperFeatureExtractor(feature_size=80, chunk_length=30)
    processor.save_pretrained(dst)
    return dst


def test_whisper_transcribes_identically_on_openvino(whisper_30s):
    pytest.importorskip("optimum.intel")
    skill = skill_for("whisper")
    endpoint, _, handler, _, _ = skill.init_openvino(whisper_30s, "automatic-speech-recognition", "CPU", "openvino:0", None, None, None, None)
    assert skill.endpoints["openvino:0"]["source"] == "OVModelForSpeechSeq2Seq.from_pretrained"
    assert type(endpoint).__module__.startswith("optimum.intel")
    cpu = skill_for("whisper").init_cpu(whisper_30s, "cpu", "cpu")[2]
    sample = skill._sample_input(handler.task)
    # Another waveform, and another forced prompt (the random tiny decoder barely reads the audio:
    # both waveforms decode alike, so the prompt is what makes the outputs differ).
    other = dict(vary(sample, 5), language="fr", task="translate")
    texts = []
    for x in (sample, vary(sample, 5), other):
        got, want = handler(x), cpu(x)
        assert got["backend"] == "openvino" and got["implementation_type"] == "REAL" and "fallback" not in got, got
        assert got["text"] == want["text"]
        texts.append(got["text"])
    assert texts[0] != texts[2]


# image-to-text without optimum-intel: the vision encoder and the text decoder converted, generate()
# driving them without KV cache (openvino_convert.ConvertedGenerator).
CAPTIONERS = [
    ("vision-encoder-decoder", "vit-gpt2", None, ["encoder", "decoder"]),
    ("blip", "blip", None, ["vision_model", "text_decoder"]),
    ("blip", "blip-vqa", "visual_question_answering", ["vision_model", "text_encoder", "text_decoder"]),
]


def caption_inputs(skill, task):
    """The sample, a batch of two different images (longer generation), and a prompted / other
    question input: three inputs whose answers must differ."""
    sample = skill._sample_input(task)
    images = [expect._image(1), expect._image(2, 36, 60)]
    if task == "visual_question_answering":
        return [sample, {"image": images, "question": ["what is in the picture?", "how many dogs are there?"], "max_new_tokens": 12}]
    return [sample, dict(sample, image=images, max_new_tokens=12), dict(sample, image=expect._image(5), prompt="a picture of")]


@pytest.mark.parametrize("model_type,fixture,task,modules", CAPTIONERS, ids=[c[1] for c in CAPTIONERS])
def test_image_to_text_generates_identical_tokens_on_openvino(fixtures, model_type, fixture, task, modules):
    path = os.path.join(fixtures, fixture)
    metadata = {"task": task} if task else {}
    skill = skill_for(model_type, metadata)
    start = time.time()
    endpoint, processor, handler, _, _ = skill.init_openvino(path, None, "CPU", "openvino:0")
    MEASURED[fixture + " init_openvino s"] = round(time.time() - start, 2)
    info = skill.endpoints["openvino:0"]
    assert info["backend"] == "openvino" and info["source"] == "openvino.convert_model", info
    assert type(endpoint).__name__ == "ConvertedGenerator" and endpoint.converted_modules == modules
    cpu = skill_for(model_type, metadata).init_cpu(path, "cpu", "cpu")[2]
    answers = []
    for x in caption_inputs(skill, handler.task):
        got, want = handler(x), cpu(x)
        assert got["implementation_type"] == "REAL" and got["backend"] == "openvino" and "fallback" not in got, got
        assert want["backend"] == "torch"
        if handler.task == "visual_question_answering":
            assert got["answers"] == want["answers"]
            answers.append(repr(want["answers"]))
            continue
        assert got["generated_token_ids"] == want["generated_token_ids"]
        assert got["generated_text"] == want["generated_text"]
        # Rows of the whole requested length unless cut after an end-of-sequence token.
        eos = skill._eos_ids(endpoint, skill._tokenizer_of(processor))
        for row in want["generated_token_ids"]:
            assert len(row) == x["max_new_tokens"] or (row and row[-1] in eos), row
        answers.append(repr(want["generated_token_ids"]))
    expect.distinct(answers, fixture + " answers")
    # Every submodule generate() used ran as converted graphs, and the decoder's sequence axis is
    # dynamic: a few graphs per batch size (length 1, then any length), not one per step.
    assert {m for m, _, _ in endpoint.conversions} == {"__call__"}
    assert len(modules) <= len(endpoint.conversions) <= 4 * len(modules), endpoint.conversions


def test_musicgen_audio_matches_torch_on_openvino(fixtures):
    """MusicGen (text_to_audio) without optimum-intel: T5 text encoder, the decoder per step (no KV
    cache) and EnCodec's decode converted, transformers' sampling loop under the request's seed:
    the waveforms equal CPU torch's within 1e-4 of the signal's scale, on one text and on a batch
    of two texts with another seed, and the two calls' audio differs (the tiny decoder barely reads
    its text: the seed is what varies the audio)."""
    from test_openvino import skill_file

    make = skill_file("musicgen")
    path = os.path.join(fixtures, "musicgen")
    skill = make("musicgen")
    start = time.time()
    endpoint, _, handler, _, _ = skill.init_openvino(path, None, "CPU", "openvino:0")
    MEASURED["musicgen init_openvino s"] = round(time.time() - start, 2)
    assert skill.endpoints["openvino:0"]["source"] == "openvino.convert_model", skill.endpoints["openvino:0"]
    assert type(endpoint).__name__ == "ConvertedGenerator"
    assert endpoint.converted_modules == ["text_encoder", "decoder", "audio_encoder.decode"]
    cpu = make("musicgen").init_cpu(path, "cpu", "cpu")[2]
    worst = 0.0
    audio = []
    for x in (skill._sample_input(handler.task), {"text": ["hello world", "the cat sat on the mat"], "seed": 3}):
        got, want = handler(x), cpu(x)
        worst = max(worst, compare(got, want))
        assert got["lengths"] == want["lengths"] and got["audio"].shape == want["audio"].shape
        # Relative to the waveform's own scale (compare() floors the scale at 1; audio peaks ~0.07).
        worst = max(worst, max_rel(got["audio"], want["audio"]))
        audio.append(got["audio"][0])
    MEASURED["musicgen max rel diff"] = worst
    assert worst <= 1e-4
    expect.differ(audio[0], audio[1], "musicgen audio of two calls")


@pytest.mark.parametrize("model_type,fixture,why", [
    ("speecht5", "speecht5", "pre-net keeps dropout on"),
    ("vits", "vits", "VITS samples noise in its forward"),
])
def test_text_to_speech_falls_back_labelled_with_the_reason(fixtures, model_type, fixture, why):
    """SpeechT5 and VITS draw random numbers inside the model (seeded in the torch path): no
    converted graph can give the same waveform, so CPU torch runs, labelled with that reason, and
    answers what the CPU endpoint answers."""
    from test_openvino import skill_file

    make = skill_file(model_type)
    path = os.path.join(fixtures, fixture)
    skill = make(model_type)
    handler = skill.init_openvino(path, None, "CPU", "openvino:0")[2]
    x = {"text": ["hello world", "the cat sat on the mat"], "seed": 1}
    result = handler(x)
    assert result["implementation_type"] == "REAL" and result["backend"] == "torch", result
    assert why in result["fallback"] and "ran on CPU with torch" in result["fallback"], result["fallback"]
    want = make(model_type).init_cpu(path, "cpu", "cpu")[2](x)
    assert expect.same_result(result, want) == 0.0
    expect.rows_differ_somewhere(want, "the CPU result")


def test_generation_is_not_converted_and_falls_back_labelled(fixtures):
    # git captions with generate(): optimum-intel 2.2 cannot export it, and the skillset lists no
    # submodules to convert for it (its cached and uncached decoding differ in transformers 5.5.4,
    # docs/families.md), so the converted path refuses generation and CPU torch runs, labelled.
    skill = skill_for("git")
    handler = skill.init_openvino(os.path.join(fixtures, "git"), None, "CPU", "openvino:0")[2]
    result = handler(skill._sample_input(handler.task))
    assert result["implementation_type"] == "REAL" and result["backend"] == "torch", result
    assert "generate is not converted" in result["fallback"], result["fallback"]


def test_report_measurements():
    print("\nOpenVINO convert measurements:", MEASURED)
