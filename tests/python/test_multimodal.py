"""The generated multimodal skillsets on real (tiny, offline-built) models, compared with
transformers on the same inputs, each model called the way its transformers documentation shows
(tests/fixtures/fixtures_multimodal.py builds the models): embeddings and scores within 1e-4 of
their scale, generated tokens identical after the reference is cut at end-of-sequence (lengths
included), texts decoded from the reference's tokens, and different inputs giving different
results (tests/python/expect.py)."""
import json
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

import expect
from conftest import load_bare

TEXTS = ["a photo of a cat", "a dog sat on the mat", "Paris is the capital of France."]


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers}, metadata or {})


def images(n, size=(40, 52), seed=0):
    rng = np.random.RandomState(seed)
    return [Image.fromarray(rng.randint(0, 256, (size[0], size[1], 3), dtype=np.uint8)) for _ in range(n)]


def as_json(result):
    return json.dumps({k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in result.items()})


def assert_error(result):
    assert "error" in result, result
    assert result["implementation_type"] == "ERROR"


def features(output):
    return output.pooler_output if hasattr(output, "pooler_output") else output


# ---- vision_text_dual_encoder -----------------------------------------------------------------


@pytest.mark.parametrize("fixture,padding,sigmoid", [("clip", True, False), ("siglip", "max_length", True)])
def test_dual_encoder_matches_transformers(fixtures, fixture, padding, sigmoid):
    path = os.path.join(fixtures, fixture)
    # Each through its own file (hf_clip.py / hf_siglip.py), as the host picks them.
    _, processor, handler, _, _ = skill_for(fixture).init_cpu(path, "cpu", "cpu")
    assert handler.task == "image_text_embedding"
    imgs = images(2)
    result = handler({"image": imgs, "text": TEXTS})
    assert result["implementation_type"] == "REAL", result

    direct_processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.AutoModel.from_pretrained(path).eval()
    pixels = direct_processor.image_processor(images=imgs, return_tensors="pt")
    tokens = direct_processor.tokenizer(TEXTS, padding=padding, truncation=True, max_length=64, return_tensors="pt")
    with torch.no_grad():
        out = model(pixel_values=pixels["pixel_values"], **tokens)
        raw_image = features(model.get_image_features(pixel_values=pixels["pixel_values"]))
        raw_text = features(model.get_text_features(**tokens))
    expect.rows_differ(out.image_embeds, "reference image embeddings")
    expect.rows_differ(out.text_embeds, "reference text embeddings")
    assert result["image_embeds"].shape == out.image_embeds.shape == (2, result["dimensions"])
    assert result["text_embeds"].shape == (3, result["dimensions"])
    expect.close(result["image_embeds"], out.image_embeds, "image embeddings")
    expect.close(result["text_embeds"], out.text_embeds, "text embeddings")
    expect.close(result["logits_per_image"], out.logits_per_image, "logits per image")
    expected = out.logits_per_image.sigmoid() if sigmoid else out.logits_per_image.softmax(-1)
    expect.close(result["probabilities"], expected, "probabilities")
    assert result["probability"] == ("sigmoid" if sigmoid else "softmax")
    expect.close(result["similarity"], out.image_embeds @ out.text_embeds.t(), "similarity")
    assert result["count"] == 2
    check_ranking(result["predictions"], expected, TEXTS)
    json.loads(as_json(result))

    # One modality at a time: the projected features, normalised by default or raw on request.
    only_images = handler(imgs)
    expect.close(only_images["image_embeds"], out.image_embeds, "image embeddings alone")
    assert "text_embeds" not in only_images and "similarity" not in only_images
    only_texts = handler({"text": TEXTS, "normalize": False})
    expect.close(only_texts["text_embeds"], raw_text, "raw text features")
    assert only_texts["count"] == 3
    single = handler(imgs[1])
    assert single["image_embeds"].shape == (1, result["dimensions"])
    expect.close(single["image_embeds"], out.image_embeds[1:], "one image's embedding")
    raw = handler({"image": imgs[0], "normalize": False})
    expect.close(raw["image_embeds"], raw_image[:1], "raw image features")
    top = handler({"image": imgs[0], "text": TEXTS, "top_k": 1})
    check_ranking(top["predictions"], expected[:1], TEXTS, top_k=1)
    assert processor.tokenizer("hello")["input_ids"]


def check_ranking(predictions, probabilities, texts, top_k=None):
    """Per input, the texts ranked by the reference's probabilities (ties by index), with scores."""
    for got, row in expect.pairs(predictions, probabilities.tolist(), "rankings"):
        order = sorted(range(len(texts)), key=lambda i: (-row[i], i))[:top_k]
        assert [p["index"] for p in got] == order
        assert [p["label"] for p in got] == [texts[i] for i in order]
        expect.scores([p["score"] for p in got], [row[i] for i in order])


def test_dual_encoder_accepts_arrays_paths_and_bytes(fixtures, tmp_path):
    _, _, handler, _, _ = skill_for("clip").init_cpu(os.path.join(fixtures, "clip"), "cpu", "cpu")
    image = images(1)[0]
    path = str(tmp_path / "x.png")
    image.save(path)
    with open(path, "rb") as f:
        data = f.read()
    processor = transformers.AutoProcessor.from_pretrained(os.path.join(fixtures, "clip"))
    model = transformers.AutoModel.from_pretrained(os.path.join(fixtures, "clip")).eval()
    with torch.no_grad():
        features = features_of(model.get_image_features(**processor.image_processor(images=[image], return_tensors="pt")))
    expected = torch.nn.functional.normalize(features, dim=-1)
    for form in (image, np.asarray(image), path, data):
        got = handler({"image": form})
        assert got["implementation_type"] == "REAL", got
        expect.close(got["image_embeds"], expected, "embedding of a " + type(form).__name__)


def test_dual_encoder_bad_inputs_return_errors(fixtures):
    _, _, handler, _, _ = skill_for("clip").init_cpu(os.path.join(fixtures, "clip"), "cpu", "cpu")
    for bad in (None, 5, [], {}, {"image": "/no/such/file.png"}, {"text": [1, 2]}, {"text": "a", "bogus": 1},
                {"image": images(1)[0], "text": "a", "top_k": 0}, {"text": "a", "normalize": "yes"}, b"not an image"):
        assert_error(handler(bad))


def test_dual_encoder_mock_mode():
    _, _, handler, _, _ = skill_for("clip", {"mock": True}).init_cpu("m", "cpu", "cpu")
    result = handler({"image": images(2), "text": TEXTS})
    assert result["implementation_type"] == "MOCK"
    assert len(result["image_embeds"]) == 2 and len(result["text_embeds"]) == 3
    assert len(result["probabilities"]) == 2
    assert result == {**handler({"image": images(2), "text": TEXTS}), "elapsed_time": result["elapsed_time"]}


# ---- image_to_text ------------------------------------------------------------------------------


# transformers' documented greedy captioning, one function per model. Each returns the generated
# rows, the length of the prompt at their start (the tokens the model was given), and the
# tokenizer; the caption is the docs' decode of the whole row.


def vit_gpt2_caption(path, imgs, prompt, max_new_tokens):
    """VisionEncoderDecoderModel (the vit-gpt2 captioning model card): image processor pixels into
    generate(); a prompt is the start of the decoder's input (decoder start token + its tokens)."""
    model = transformers.VisionEncoderDecoderModel.from_pretrained(path).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    pixel_values = transformers.ViTImageProcessor.from_pretrained(path)(images=imgs, return_tensors="pt").pixel_values
    start = [model.config.decoder_start_token_id] + (tokenizer(prompt, add_special_tokens=False).input_ids if prompt else [])
    with torch.no_grad():
        out = model.generate(pixel_values, decoder_input_ids=torch.tensor([start] * len(imgs)), max_new_tokens=max_new_tokens, do_sample=False)
    return out, len(start), tokenizer


def blip_caption(path, imgs, prompt, max_new_tokens):
    """BlipForConditionalGeneration (BLIP docs): processor(images, text) into generate(); the row
    starts with the prompt's tokens without its final [SEP] (BLIP's generate drops it)."""
    processor = transformers.BlipProcessor.from_pretrained(path)
    model = transformers.BlipForConditionalGeneration.from_pretrained(path).eval()
    inputs = processor(images=imgs, text=[prompt] * len(imgs) if prompt else None, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return out, inputs["input_ids"].shape[1] - 1 if prompt else 1, processor.tokenizer


def git_caption(path, imgs, prompt, max_new_tokens):
    """GitForCausalLM (GIT docs): generate(pixel_values=...); for a prompt, input_ids = [CLS] +
    the prompt's tokens without special tokens (the docs' visual question answering)."""
    processor = transformers.GitProcessor.from_pretrained(path)
    model = transformers.GitForCausalLM.from_pretrained(path).eval()
    pixel_values = processor(images=imgs, return_tensors="pt").pixel_values
    kwargs = {}
    if prompt:
        ids = [processor.tokenizer.cls_token_id] + processor(text=prompt, add_special_tokens=False).input_ids
        kwargs["input_ids"] = torch.tensor([ids] * len(imgs))
    with torch.no_grad():
        out = model.generate(pixel_values=pixel_values, max_new_tokens=max_new_tokens, do_sample=False, **kwargs)
    return out, kwargs["input_ids"].shape[1] if prompt else 1, processor.tokenizer


CAPTIONERS = [("vision-encoder-decoder", "vit-gpt2", vit_gpt2_caption), ("blip", "blip", blip_caption), ("git", "git", git_caption)]


def reference_captions(path, caption, imgs, prompt, max_new_tokens):
    """(new token ids cut after end-of-sequence, captions) from a reference function above."""
    out, prompt_length, tokenizer = caption(path, imgs, prompt, max_new_tokens)
    eos = transformers.GenerationConfig.from_pretrained(path).eos_token_id
    ids = expect.cut_at_eos(out[:, prompt_length:], eos)
    texts = [text.strip() for text in tokenizer.batch_decode(out, skip_special_tokens=True)]
    return ids, texts


@pytest.mark.parametrize("model_type,fixture,caption", CAPTIONERS)
@pytest.mark.parametrize("prompt", [None, "the cat"])
def test_captions_match_transformers_generate(fixtures, model_type, fixture, caption, prompt):
    path = os.path.join(fixtures, fixture)
    _, processor, handler, _, _ = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert handler.task == "image_to_text"
    imgs = images(2, seed=3)
    request = {"image": imgs, "max_new_tokens": 6}
    if prompt:
        request["prompt"] = prompt
    result = handler(request)
    assert result["implementation_type"] == "REAL", result
    ids, texts = reference_captions(path, caption, imgs, prompt, 6)
    expect.distinct(ids, "reference captions of two images")
    assert all(len(row) > 2 for row in ids), ids
    assert result["count"] == 2
    for got, want in expect.pairs(result["generated_token_ids"], ids, "generated token ids"):
        assert len(got) == len(want) and got == want, (got, want)
    assert result["generated_text"] == texts
    if prompt:
        assert all(text.startswith(prompt) for text in texts)
    json.loads(as_json(result))
    single = handler(imgs[1])
    assert single["count"] == 1 and single["implementation_type"] == "REAL"
    default = single["generation"]["max_new_tokens"]
    assert (single["generated_token_ids"], single["generated_text"]) == reference_captions(path, caption, imgs[1:], None, default)
    tok = getattr(processor, "tokenizer", processor)
    assert tok.decode(tok.encode("the cat", add_special_tokens=False)).strip() == "the cat"


def test_caption_bad_inputs_return_errors(fixtures):
    _, _, handler, _, _ = skill_for("blip").init_cpu(os.path.join(fixtures, "blip"), "cpu", "cpu")
    img = images(1)[0]
    for bad in (None, 5, [], {"prompt": "x"}, {"image": img, "prompt": 3}, {"image": img, "max_new_tokens": 0},
                {"image": img, "bogus": 1}, {"image": img, "do_sample": "no"}, "/no/such/file.png"):
        assert_error(handler(bad))


def test_caption_mock_mode():
    _, _, handler, _, _ = skill_for("vision-encoder-decoder", {"mock": True}).init_cpu("m", "cpu", "cpu")
    result = handler({"image": images(2), "max_new_tokens": 3})
    assert result["implementation_type"] == "MOCK"
    assert len(result["generated_text"]) == 2


# ---- image_text_to_text -------------------------------------------------------------------------


def direct_answer(path, imgs, texts, max_new_tokens):
    processor = transformers.AutoProcessor.from_pretrained(path)
    processor.tokenizer.padding_side = "left"
    model = transformers.AutoModelForImageTextToText.from_pretrained(path).eval()
    inputs = processor(images=imgs, text=texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=processor.tokenizer.pad_token_id)
    new = out[:, inputs["input_ids"].shape[1]:]
    ids = expect.cut_at_eos(new, model.generation_config.eos_token_id)
    return ids, [processor.tokenizer.decode(row, skip_special_tokens=True).strip() for row in ids]


def check_answers(result, ids, texts):
    """Token ids identical to the reference's (cut at end-of-sequence, lengths included), texts
    decoded from the reference's tokens."""
    assert result["implementation_type"] == "REAL", result
    for got, want in expect.pairs(result["generated_token_ids"], ids, "generated token ids"):
        assert len(got) == len(want) and got == want, (got, want)
    assert result["generated_text"] == texts
    assert result["count"] == len(ids)


def test_llava_prompt_matches_transformers_generate(fixtures):
    path = os.path.join(fixtures, "llava")
    _, processor, handler, _, _ = skill_for("llava").init_cpu(path, "cpu", "cpu")
    assert handler.task == "image_text_to_text"
    imgs = images(2, seed=5)
    prompts = ["USER: <image>\nWhat is this? ASSISTANT:", "USER: <image>\nDescribe the cat. ASSISTANT:"]
    result = handler({"image": imgs, "prompt": prompts, "max_new_tokens": 7})
    ids, texts = direct_answer(path, imgs, prompts, 7)
    assert all(len(row) > 2 for row in ids), ids
    # The answer depends on the image and on the prompt.
    expect.distinct(ids + direct_answer(path, imgs[:1], prompts[1:], 7)[0] + direct_answer(path, imgs[1:], prompts[:1], 7)[0],
                    "reference answers to (image, prompt) pairs")
    check_answers(result, ids, texts)
    # One at a time, against the reference on that one input.
    one = handler({"image": imgs[1], "prompt": prompts[1], "max_new_tokens": 7})
    check_answers(one, *direct_answer(path, imgs[1:], prompts[1:], 7))
    # A prompt without the image token gets "<image>\n" prepended.
    bare = handler({"image": imgs[0], "prompt": "What is this? ASSISTANT:", "max_new_tokens": 7})
    check_answers(bare, *direct_answer(path, imgs[:1], ["<image>\nWhat is this? ASSISTANT:"], 7))
    json.loads(as_json(result))
    assert processor.tokenizer("hello")["input_ids"]


def test_llava_messages_use_the_chat_template(fixtures):
    path = os.path.join(fixtures, "llava")
    _, _, handler, _, _ = skill_for("llava").init_cpu(path, "cpu", "cpu")
    img = images(1, seed=6)[0]
    messages = [{"role": "user", "content": "What is in the picture?"}]
    result = handler({"image": img, "messages": messages, "max_new_tokens": 6})
    assert result["implementation_type"] == "REAL", result
    processor = transformers.AutoProcessor.from_pretrained(path)
    conversation = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is in the picture?"}]}]
    text = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
    assert "<image>" in text
    wanted = direct_answer(path, [img], [text], 6)
    assert len(wanted[0][0]) > 2
    check_answers(result, *wanted)
    explicit = handler({"image": img, "messages": conversation, "max_new_tokens": 6})
    check_answers(explicit, *wanted)
    other = [{"role": "user", "content": "Describe the cat."}]
    text = processor.apply_chat_template([{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe the cat."}]}],
                                         add_generation_prompt=True, tokenize=False)
    second = direct_answer(path, [img], [text], 6)
    expect.distinct([wanted[0][0], second[0][0]], "reference answers to two questions")
    check_answers(handler({"image": img, "messages": other, "max_new_tokens": 6}), *second)


def test_llava_bad_inputs_return_errors(fixtures):
    _, _, handler, _, _ = skill_for("llava").init_cpu(os.path.join(fixtures, "llava"), "cpu", "cpu")
    img = images(1)[0]
    for bad in (None, "hello", img, {"prompt": "x"}, {"image": img}, {"image": img, "prompt": "x", "messages": []},
                {"image": img, "messages": []}, {"image": img, "messages": [{"content": "x"}]},
                {"image": [img, img], "prompt": ["a"]}, {"image": img, "prompt": 3},
                {"image": img, "prompt": "x", "max_new_tokens": -1}, {"image": img, "prompt": "x", "bogus": 1}):
        assert_error(handler(bad))


def test_llava_mock_mode():
    _, _, handler, _, _ = skill_for("llava", {"mock": True}).init_cpu("m", "cpu", "cpu")
    result = handler({"image": images(2), "prompt": "hi", "max_new_tokens": 3})
    assert result["implementation_type"] == "MOCK"
    assert len(result["generated_text"]) == 2


# ---- audio_text_dual_encoder --------------------------------------------------------------------

SOUNDS = ["a dog barking", "a piano playing", "rain on a roof"]


def waves(n, seconds=1.0, rate=48000, seed=0):
    """Noise clips of different lengths; with tone=True the second is a 440 Hz tone instead."""
    rng = np.random.RandomState(seed)
    return [(0.1 * rng.randn(int(seconds * rate) + 997 * i)).astype(np.float32) for i in range(n)]


def noise_and_tone(rate=48000):
    t = np.arange(rate + 997) / rate
    return [waves(1, rate=rate)[0], (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)]


def test_clap_matches_transformers(fixtures):
    path = os.path.join(fixtures, "clap")
    _, processor, handler, _, _ = skill_for("clap").init_cpu(path, "cpu", "cpu")
    assert handler.task == "audio_text_embedding"
    clips = noise_and_tone()
    result = handler({"audio": clips, "text": SOUNDS, "sampling_rate": 48000})
    assert result["implementation_type"] == "REAL", result
    direct = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.AutoModel.from_pretrained(path).eval()
    features = direct.feature_extractor(clips, sampling_rate=48000, return_tensors="pt")
    tokens = direct.tokenizer(SOUNDS, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**features, **tokens)
        raw_text = features_of(model.get_text_features(**tokens))
    expect.rows_differ(out.audio_embeds, "reference audio embeddings")
    expect.rows_differ(out.text_embeds, "reference text embeddings")
    assert result["audio_embeds"].shape == (2, result["dimensions"])
    expect.close(result["audio_embeds"], out.audio_embeds, "audio embeddings")
    expect.close(result["text_embeds"], out.text_embeds, "text embeddings")
    expect.close(result["logits_per_audio"], out.logits_per_audio, "logits per audio")
    expect.close(result["probabilities"], out.logits_per_audio.softmax(-1), "probabilities")
    expect.close(result["similarity"], out.audio_embeds @ out.text_embeds.t(), "similarity")
    check_ranking(result["predictions"], out.logits_per_audio.softmax(-1), SOUNDS)
    json.loads(as_json(result))
    only_text = handler({"text": SOUNDS, "normalize": False})
    expect.close(only_text["text_embeds"], raw_text, "raw text features")
    only_audio = handler({"audio": {"array": clips[1], "sampling_rate": 48000}})
    assert only_audio["count"] == 1
    expect.close(only_audio["audio_embeds"], out.audio_embeds[1:], "one clip's embedding")
    # 16 kHz by default: resampled (linearly) to the extractor's 48 kHz before the features.
    low = handler(clips[0][::3].copy())
    n = clips[0][::3].size
    resampled = np.interp(np.linspace(0, n - 1, 3 * n), np.arange(n), clips[0][::3]).astype(np.float32)
    with torch.no_grad():
        low_features = features_of(model.get_audio_features(**direct.feature_extractor([resampled], sampling_rate=48000, return_tensors="pt")))
    expect.close(low["audio_embeds"], torch.nn.functional.normalize(low_features, dim=-1), "embedding of 16 kHz audio")
    assert processor.tokenizer("hello")["input_ids"]


def features_of(output):
    return output.pooler_output if hasattr(output, "pooler_output") else output


def test_clap_bad_inputs_return_errors(fixtures):
    _, _, handler, _, _ = skill_for("clap").init_cpu(os.path.join(fixtures, "clap"), "cpu", "cpu")
    for bad in (None, 5, [], {}, {"audio": "/no/such.wav"}, {"audio": [[1.0, "x"]]}, {"text": "a", "bogus": 1},
                {"audio": waves(1)[0], "sampling_rate": -1}, {"audio": np.zeros((2, 3, 4), np.float32)}):
        assert_error(handler(bad))


def test_clap_mock_mode():
    _, _, handler, _, _ = skill_for("clap", {"mock": True}).init_cpu("m", "cpu", "cpu")
    result = handler({"audio": waves(2, 0.1), "text": SOUNDS})
    assert result["implementation_type"] == "MOCK"
    assert len(result["audio_embeds"]) == 2 and len(result["probabilities"][0]) == 3


# ---- video --------------------------------------------------------------------------------------


def clip_frames(n, seed=0):
    return images(n, size=(36, 44), seed=seed)


def test_videomae_classification_matches_transformers(fixtures):
    path = os.path.join(fixtures, "videomae")
    _, _, handler, _, _ = skill_for("videomae").init_cpu(path, "cpu", "cpu")
    assert handler.task == "video_classification"
    videos = [clip_frames(4, seed=1), clip_frames(4, seed=2)]
    result = handler({"video": videos, "top_k": 2})
    assert result["implementation_type"] == "REAL", result
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.AutoModelForVideoClassification.from_pretrained(path).eval()
    with torch.no_grad():
        logits = model(**processor(videos, return_tensors="pt")).logits
    expect.rows_differ(logits, "reference logits")
    expect.close(result["logits"], logits, "logits")
    probs = logits.softmax(-1)
    for row, preds in expect.pairs(probs, result["predictions"], "predictions"):
        scores, ids = row.topk(2)
        assert [p["label"] for p in preds] == [model.config.id2label[i] for i in ids.tolist()]
        expect.scores([p["score"] for p in preds], scores.tolist())
    json.loads(as_json(result))
    # One video as a TxHxWxC array; an 8-frame clip is sampled down to the model's 4 frames.
    array = np.stack([np.asarray(f) for f in videos[0]])
    one = handler(array)
    assert one["count"] == 1
    expect.close(one["logits"], logits[:1], "logits of a TxHxWxC array")
    long = clip_frames(8, seed=3)
    sampled = handler(long)
    with torch.no_grad():
        expected = model(**processor([long[1::2]], return_tensors="pt")).logits
    expect.close(sampled["logits"], expected, "logits of an 8-frame clip")


def test_xclip_matches_transformers(fixtures):
    path = os.path.join(fixtures, "xclip")
    _, _, handler, _, _ = skill_for("xclip").init_cpu(path, "cpu", "cpu")
    assert handler.task == "video_text_embedding"
    videos = [clip_frames(4, seed=4), clip_frames(4, seed=5)]
    result = handler({"video": videos, "text": TEXTS})
    assert result["implementation_type"] == "REAL", result
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.AutoModel.from_pretrained(path).eval()
    pixels = processor.image_processor(videos, return_tensors="pt")["pixel_values"]
    tokens = processor.tokenizer(TEXTS, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        out = model(pixel_values=pixels, **tokens)
        video = features(model.get_video_features(pixel_values=pixels))
        text = features(model.get_text_features(**tokens))
    expect.rows_differ(video, "reference video features")
    expect.rows_differ(text, "reference text features")
    expect.close(result["video_embeds"], torch.nn.functional.normalize(video, dim=-1), "video embeddings")
    expect.close(result["text_embeds"], torch.nn.functional.normalize(text, dim=-1), "text embeddings")
    expect.close(result["logits_per_video"], out.logits_per_video, "logits per video")
    expect.close(result["probabilities"], out.logits_per_video.softmax(-1), "probabilities")
    assert result["count"] == 2
    check_ranking(result["predictions"], out.logits_per_video.softmax(-1), TEXTS)
    json.loads(as_json(result))
    only_text = handler(TEXTS)
    expect.close(only_text["text_embeds"], torch.nn.functional.normalize(text, dim=-1), "text embeddings alone")
    raw = handler({"video": videos[1], "normalize": False})
    expect.close(raw["video_embeds"], video[1:], "raw video features")


def test_video_bad_inputs_return_errors(fixtures):
    _, _, handler, _, _ = skill_for("videomae").init_cpu(os.path.join(fixtures, "videomae"), "cpu", "cpu")
    for bad in (None, 5, [], {}, "hello", {"video": [[]]}, {"video": clip_frames(4), "top_k": 0},
                {"video": clip_frames(4), "text": "a"}, {"video": ["/no/such/frame.png"]}):
        assert_error(handler(bad))
    _, _, handler, _, _ = skill_for("xclip").init_cpu(os.path.join(fixtures, "xclip"), "cpu", "cpu")
    for bad in (None, {"text": [1]}, {"video": clip_frames(4), "normalize": 1}, {"video": 3.5}):
        assert_error(handler(bad))


def test_video_mock_mode():
    _, _, handler, _, _ = skill_for("videomae", {"mock": True}).init_cpu("m", "cpu", "cpu")
    result = handler([clip_frames(2), clip_frames(3)])
    assert result["implementation_type"] == "MOCK" and result["count"] == 2
    _, _, handler, _, _ = skill_for("xclip", {"mock": True}).init_cpu("m", "cpu", "cpu")
    result = handler({"video": clip_frames(2), "text": TEXTS})
    assert result["implementation_type"] == "MOCK" and len(result["probabilities"][0]) == 3
