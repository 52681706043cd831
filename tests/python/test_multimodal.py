"""The generated multimodal skillsets on real (tiny, offline-built) models, compared with a direct
transformers call on the same inputs (tests/fixtures/fixtures_multimodal.py builds the models)."""
import json
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

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
    assert result["image_embeds"].shape == out.image_embeds.shape == (2, result["dimensions"])
    assert result["text_embeds"].shape == (3, result["dimensions"])
    assert torch.allclose(result["image_embeds"], out.image_embeds, atol=1e-4)
    assert torch.allclose(result["text_embeds"], out.text_embeds, atol=1e-4)
    assert torch.allclose(result["logits_per_image"], out.logits_per_image, atol=1e-4)
    expected = out.logits_per_image.sigmoid() if sigmoid else out.logits_per_image.softmax(-1)
    assert torch.allclose(result["probabilities"], expected, atol=1e-4)
    assert result["probability"] == ("sigmoid" if sigmoid else "softmax")
    assert torch.allclose(result["similarity"], out.image_embeds @ out.text_embeds.t(), atol=1e-4)
    assert result["count"] == 2 and len(result["predictions"]) == 2
    best = expected.argmax(-1).tolist()
    assert [p[0]["index"] for p in result["predictions"]] == best
    assert [p[0]["label"] for p in result["predictions"]] == [TEXTS[i] for i in best]
    json.loads(as_json(result))

    # One modality at a time: the projected features, normalised by default or raw on request.
    only_images = handler(imgs)
    assert torch.allclose(only_images["image_embeds"], out.image_embeds, atol=1e-4)
    assert "text_embeds" not in only_images and "similarity" not in only_images
    only_texts = handler({"text": TEXTS, "normalize": False})
    assert torch.allclose(only_texts["text_embeds"], raw_text, atol=1e-4)
    assert only_texts["count"] == 3
    single = handler(imgs[1])
    assert single["image_embeds"].shape == (1, result["dimensions"])
    assert torch.allclose(single["image_embeds"], out.image_embeds[1:], atol=1e-4)
    raw = handler({"image": imgs[0], "normalize": False})
    assert torch.allclose(raw["image_embeds"], raw_image[:1], atol=1e-4)
    top = handler({"image": imgs[0], "text": TEXTS, "top_k": 1})
    assert len(top["predictions"][0]) == 1
    assert processor.tokenizer("hello")["input_ids"]


def test_dual_encoder_accepts_arrays_paths_and_bytes(fixtures, tmp_path):
    _, _, handler, _, _ = skill_for("clip").init_cpu(os.path.join(fixtures, "clip"), "cpu", "cpu")
    image = images(1)[0]
    path = str(tmp_path / "x.png")
    image.save(path)
    with open(path, "rb") as f:
        data = f.read()
    expected = handler(image)["image_embeds"]
    for form in (np.asarray(image), path, data):
        got = handler({"image": form})
        assert got["implementation_type"] == "REAL", got
        assert torch.allclose(got["image_embeds"], expected, atol=1e-4)


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


def direct_caption(path, imgs, prompt=None, max_new_tokens=10):
    """transformers' documented captioning calls, greedy."""
    model = transformers.AutoModelForImageTextToText.from_pretrained(path).eval()
    if model.config.model_type == "vision-encoder-decoder":
        image_processor = transformers.AutoImageProcessor.from_pretrained(path)
        tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        inputs = {"pixel_values": image_processor(images=imgs, return_tensors="pt")["pixel_values"]}
        if prompt:
            ids = [model.config.decoder_start_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]
            inputs["decoder_input_ids"] = torch.tensor([ids] * len(imgs))
    elif model.config.model_type == "git":
        # GIT's documented prompting: [CLS] + prompt tokens, no trailing [SEP].
        processor = transformers.AutoProcessor.from_pretrained(path)
        tokenizer = processor.tokenizer
        inputs = {"pixel_values": processor(images=imgs, return_tensors="pt")["pixel_values"]}
        if prompt:
            ids = [tokenizer.cls_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]
            inputs["input_ids"] = torch.tensor([ids] * len(imgs))
    else:
        processor = transformers.AutoProcessor.from_pretrained(path)
        tokenizer = processor.tokenizer
        inputs = processor(images=imgs, text=[prompt] * len(imgs) if prompt else None, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer, out


@pytest.mark.parametrize("model_type,fixture", [("vision-encoder-decoder", "vit-gpt2"), ("blip", "blip"), ("git", "git")])
@pytest.mark.parametrize("prompt", [None, "the cat"])
def test_captions_match_transformers_generate(fixtures, model_type, fixture, prompt):
    path = os.path.join(fixtures, fixture)
    _, processor, handler, _, _ = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert handler.task == "image_to_text"
    imgs = images(2, seed=3)
    request = {"image": imgs, "max_new_tokens": 6}
    if prompt:
        request["prompt"] = prompt
    result = handler(request)
    assert result["implementation_type"] == "REAL", result
    tokenizer, out = direct_caption(path, imgs, prompt, max_new_tokens=6)
    assert result["count"] == 2 and len(result["generated_text"]) == 2
    for row, ids, text in zip(out.tolist(), result["generated_token_ids"], result["generated_text"]):
        prefix = len(row) - 6 if len(row) > 6 else 1
        assert row[prefix:prefix + len(ids)] == ids
        assert tokenizer.decode(row[:prefix + len(ids)], skip_special_tokens=True).strip() == text
        if prompt:
            assert text.startswith(prompt)
    json.loads(as_json(result))
    single = handler(imgs[0])
    assert single["count"] == 1 and single["implementation_type"] == "REAL"
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
    return processor, new.tolist()


def test_llava_prompt_matches_transformers_generate(fixtures):
    path = os.path.join(fixtures, "llava")
    _, processor, handler, _, _ = skill_for("llava").init_cpu(path, "cpu", "cpu")
    assert handler.task == "image_text_to_text"
    imgs = images(2, seed=5)
    prompts = ["USER: <image>\nWhat is this? ASSISTANT:", "USER: <image>\nDescribe the cat. ASSISTANT:"]
    result = handler({"image": imgs, "prompt": prompts, "max_new_tokens": 7})
    assert result["implementation_type"] == "REAL", result
    direct_processor, rows = direct_answer(path, imgs, prompts, 7)
    assert result["count"] == 2
    for row, ids, text in zip(rows, result["generated_token_ids"], result["generated_text"]):
        assert row[:len(ids)] == ids
        assert direct_processor.tokenizer.decode(ids, skip_special_tokens=True).strip() == text
    # Batched with left padding gives the same tokens as one at a time.
    one = handler({"image": imgs[1], "prompt": prompts[1], "max_new_tokens": 7})
    assert one["count"] == 1
    assert one["generated_token_ids"][0] == result["generated_token_ids"][1]
    # A prompt without the image token gets "<image>\n" prepended.
    bare = handler({"image": imgs[0], "prompt": "What is this? ASSISTANT:", "max_new_tokens": 7})
    _, rows = direct_answer(path, imgs[:1], ["<image>\nWhat is this? ASSISTANT:"], 7)
    assert bare["generated_token_ids"][0] == rows[0][:len(bare["generated_token_ids"][0])]
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
    _, rows = direct_answer(path, [img], [text], 6)
    ids = result["generated_token_ids"][0]
    assert rows[0][:len(ids)] == ids
    explicit = handler({"image": img, "messages": conversation, "max_new_tokens": 6})
    assert explicit["generated_token_ids"] == result["generated_token_ids"]


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
    rng = np.random.RandomState(seed)
    return [(0.1 * rng.randn(int(seconds * rate) + 997 * i)).astype(np.float32) for i in range(n)]


def test_clap_matches_transformers(fixtures):
    path = os.path.join(fixtures, "clap")
    _, processor, handler, _, _ = skill_for("clap").init_cpu(path, "cpu", "cpu")
    assert handler.task == "audio_text_embedding"
    clips = waves(2)
    result = handler({"audio": clips, "text": SOUNDS, "sampling_rate": 48000})
    assert result["implementation_type"] == "REAL", result
    direct = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.AutoModel.from_pretrained(path).eval()
    features = direct.feature_extractor(clips, sampling_rate=48000, return_tensors="pt")
    tokens = direct.tokenizer(SOUNDS, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**features, **tokens)
        raw_text = features_of(model.get_text_features(**tokens))
    assert result["audio_embeds"].shape == (2, result["dimensions"])
    assert torch.allclose(result["audio_embeds"], out.audio_embeds, atol=1e-4)
    assert torch.allclose(result["text_embeds"], out.text_embeds, atol=1e-4)
    assert torch.allclose(result["logits_per_audio"], out.logits_per_audio, atol=1e-4)
    assert torch.allclose(result["probabilities"], out.logits_per_audio.softmax(-1), atol=1e-4)
    assert [p[0]["index"] for p in result["predictions"]] == out.logits_per_audio.argmax(-1).tolist()
    json.loads(as_json(result))
    only_text = handler({"text": SOUNDS, "normalize": False})
    assert torch.allclose(only_text["text_embeds"], raw_text, atol=1e-4)
    only_audio = handler({"audio": {"array": clips[1], "sampling_rate": 48000}})
    assert only_audio["count"] == 1
    assert torch.allclose(only_audio["audio_embeds"], out.audio_embeds[1:], atol=1e-4)
    # 16 kHz by default: resampled to the extractor's 48 kHz before the features.
    low = handler(clips[0][::3].copy())
    assert low["implementation_type"] == "REAL" and low["audio_embeds"].shape == (1, result["dimensions"])
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
    assert torch.allclose(result["logits"], logits, atol=1e-4)
    probs = logits.softmax(-1)
    for row, preds in zip(probs, result["predictions"]):
        scores, ids = row.topk(2)
        assert [p["label"] for p in preds] == [model.config.id2label[i] for i in ids.tolist()]
        assert [p["score"] for p in preds] == pytest.approx(scores.tolist(), abs=1e-4)
    json.loads(as_json(result))
    # One video as a TxHxWxC array; an 8-frame clip is sampled down to the model's 4 frames.
    array = np.stack([np.asarray(f) for f in videos[0]])
    one = handler(array)
    assert one["count"] == 1 and torch.allclose(one["logits"], logits[:1], atol=1e-4)
    long = clip_frames(8, seed=3)
    sampled = handler(long)
    with torch.no_grad():
        expected = model(**processor([long[1::2]], return_tensors="pt")).logits
    assert torch.allclose(sampled["logits"], expected, atol=1e-4)


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
    assert torch.allclose(result["video_embeds"], torch.nn.functional.normalize(video, dim=-1), atol=1e-4)
    assert torch.allclose(result["text_embeds"], torch.nn.functional.normalize(text, dim=-1), atol=1e-4)
    assert torch.allclose(result["logits_per_video"], out.logits_per_video, atol=1e-4)
    assert torch.allclose(result["probabilities"], out.logits_per_video.softmax(-1), atol=1e-4)
    assert result["count"] == 2 and len(result["predictions"]) == 2
    json.loads(as_json(result))
    only_text = handler(TEXTS)
    assert torch.allclose(only_text["text_embeds"], result["text_embeds"], atol=1e-4)
    raw = handler({"video": videos[1], "normalize": False})
    assert torch.allclose(raw["video_embeds"], video[1:], atol=1e-4)


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
