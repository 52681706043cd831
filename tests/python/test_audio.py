"""The generated audio skillsets (speech_ctc, speech_seq2seq, audio_classification, text_to_audio)
on tiny offline-built models (tests/fixtures/fixtures_audio.py), compared with direct transformers
calls on the same inputs (transcriptions identical, logits and waveforms within 1e-4 of their
scale, different inputs giving different results: tests/python/expect.py); WAV path / WAV bytes
inputs; bad inputs come back as {"error"}."""
import io
import json
import os
import shutil
import wave

import numpy as np
import pytest
import torch
import transformers

import expect
from conftest import load_bare


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers, "numpy": np}, metadata or {})


_HANDLERS = {}


def cpu_handler(model_type, path):
    """A CPU handler per (model_type, fixture), built once per test session (the bad-input tests
    share them)."""
    key = (model_type, path)
    if key not in _HANDLERS:
        _HANDLERS[key] = skill_for(model_type).init_cpu(path, "cpu", "cpu")[2]
    return _HANDLERS[key]


def waves():
    rng = np.random.RandomState(0)
    t = np.arange(16000) / 16000.0
    return [
        (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.randn(16000)).astype(np.float32),
        (0.1 * rng.randn(9000)).astype(np.float32),
    ]


def wav_bytes(samples, rate=16000):
    """16-bit mono PCM WAV written with the stdlib, and the float waveform a reader gets back."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue(), pcm.astype(np.float32) / 32768.0


def as_json(result):
    return json.dumps({k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in result.items()})


def assert_error(result):
    assert "error" in result and result["implementation_type"] == "ERROR", result
    json.dumps(result)


# ---- speech_ctc ----------------------------------------------------------------------------------


def ctc_direct(path, auto, batch):
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = getattr(transformers, auto).from_pretrained(path).eval()
    encoded = processor(batch, sampling_rate=16000, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**encoded).logits
    return processor.batch_decode(logits.argmax(-1))


@pytest.mark.parametrize("model_type,name,auto", [
    ("wav2vec2", "wav2vec2-ctc", "Wav2Vec2ForCTC"),
    ("hubert", "hubert-ctc", "HubertForCTC"),
    ("data2vec-audio", "data2vec-audio-ctc", "Data2VecAudioForCTC"),
])
def test_ctc_transcription_matches_transformers(fixtures, model_type, name, auto):
    path = os.path.join(fixtures, name)
    endpoint, processor, handler, queue, batch_size = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert handler.task == "speech_recognition"
    batch = waves()
    expected = ctc_direct(path, auto, batch)
    expect.distinct(expected + ctc_direct(path, auto, [np.zeros(16000, np.float32)]), "reference transcriptions (and of silence)")
    assert all(len(text) > 2 for text in expected), expected
    result = handler(batch)
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 2
    assert result["text"] == expected
    single = handler(batch[1])
    assert single["text"] == ctc_direct(path, auto, [batch[1]])
    # transformers' automatic-speech-recognition pipeline on the same waveform.
    recognize = transformers.pipeline("automatic-speech-recognition", model=path, device="cpu")
    assert single["text"] == [recognize({"raw": batch[1], "sampling_rate": 16000})["text"]]
    json.loads(as_json(result))


def test_ctc_wav_path_bytes_and_dict_inputs(fixtures, tmp_path):
    path = os.path.join(fixtures, "wav2vec2-ctc")
    _, _, handler, _, _ = skill_for("wav2vec2").init_cpu(path, "cpu", "cpu")
    data, decoded = wav_bytes(waves()[0])
    wav_path = tmp_path / "a.wav"
    wav_path.write_bytes(data)
    expected = ctc_direct(path, "Wav2Vec2ForCTC", [decoded])
    assert handler(str(wav_path))["text"] == expected
    assert handler(data)["text"] == expected
    assert handler([str(wav_path), data])["text"] == ctc_direct(path, "Wav2Vec2ForCTC", [decoded, decoded])
    assert handler({"audio": decoded.tolist(), "sampling_rate": 16000})["text"] == expected
    assert handler(torch.from_numpy(decoded))["text"] == expected
    # integer PCM arrays are scaled to [-1, 1] like WAV samples
    assert handler(np.round(decoded * 32768.0).astype(np.int16))["text"] == expected
    # 8 kHz input is resampled (linearly) to the feature extractor's 16 kHz
    low = handler({"audio": decoded[::2], "sampling_rate": 8000})
    n = decoded[::2].size
    resampled = np.interp(np.linspace(0, n - 1, 2 * n), np.arange(n), decoded[::2]).astype(np.float32)
    assert low["implementation_type"] == "REAL" and low["text"] == ctc_direct(path, "Wav2Vec2ForCTC", [resampled])


def test_wav2vec2_skillset_serves_a_classification_checkpoint_as_audio_classification(fixtures):
    # One file serves every wav2vec2 checkpoint: the head in config.architectures picks the task.
    path = os.path.join(fixtures, "wav2vec2-cls")
    _, _, handler, queue, batch_size = skill_for("wav2vec2").init_cpu(path, "cpu", "cpu")
    assert handler.task == "audio_classification"
    assert queue._maxsize >= 1 and batch_size >= 1
    result = handler({"audio": waves(), "top_k": 4})
    logits, id2label = classify_direct(path, "Wav2Vec2ForSequenceClassification", waves())
    expect.rows_differ(logits, "reference logits")
    expect.close(result["logits"], logits, "logits")
    for preds, row in expect.pairs(result["predictions"], logits.softmax(-1), "predictions"):
        scores, ids = row.topk(4)
        assert [p["label"] for p in preds] == [id2label[i] for i in ids.tolist()]
        expect.scores([p["score"] for p in preds], scores.tolist())


@pytest.mark.parametrize("bad", [
    None, [], 42, "/no/such/file.wav", b"not a wav file", {"text": "hi"}, {"audio": [0.1, 0.2], "top_k": 3},
    [[0.1, 0.2], "/no/such.wav"], np.zeros((2, 100), dtype=np.float32), [float("nan")] * 100,
    {"audio": [0.1] * 100, "sampling_rate": -5}, ["a", 1],
])
def test_ctc_bad_inputs_return_errors(fixtures, bad):
    assert_error(cpu_handler("wav2vec2", os.path.join(fixtures, "wav2vec2-ctc"))(bad))


# ---- speech_seq2seq --------------------------------------------------------------------------------


def whisper_direct(path, batch, **kwargs):
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.AutoModelForSpeechSeq2Seq.from_pretrained(path).eval()
    features = processor.feature_extractor(batch, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**features, **kwargs)
    return [t.strip() for t in processor.tokenizer.batch_decode(out, skip_special_tokens=True)]


def test_whisper_greedy_transcription_matches_transformers(fixtures, tmp_path):
    path = os.path.join(fixtures, "whisper")
    _, processor, handler, _, _ = skill_for("whisper").init_cpu(path, "cpu", "cpu")
    assert handler.task == "speech_recognition"
    batch = waves()
    expected = whisper_direct(path, batch, max_new_tokens=6)
    # The fixture generates printable ASCII only (one character per token), so equal texts are
    # equal tokens: 6 new tokens, and different audio (silence too) gives a different text.
    assert [len(text) for text in expected] == [6, 6], expected
    expect.distinct(expected + whisper_direct(path, [np.zeros(16000, np.float32)], max_new_tokens=6), "reference transcriptions (and of silence)")
    result = handler({"audio": batch, "max_new_tokens": 6})
    assert result["implementation_type"] == "REAL", result
    assert result["text"] == expected
    assert result["generation"] == {"max_new_tokens": 6}
    translated = handler({"audio": batch[0], "max_new_tokens": 6, "language": "fr", "task": "translate"})
    assert translated["text"] == whisper_direct(path, [batch[0]], max_new_tokens=6, language="fr", task="translate")
    assert len(translated["text"][0]) == 6
    assert "ignored_options" not in translated
    data, decoded = wav_bytes(batch[0])
    wav_path = tmp_path / "b.wav"
    wav_path.write_bytes(data)
    expected = whisper_direct(path, [decoded], max_new_tokens=6)
    assert handler({"audio": str(wav_path), "max_new_tokens": 6})["text"] == expected
    assert handler({"audio": data, "max_new_tokens": 6})["text"] == expected
    json.loads(as_json(result))


def test_whisper_flags_audio_longer_than_the_window(fixtures):
    path = os.path.join(fixtures, "whisper")
    long_wave = np.concatenate([waves()[0]] * 3)  # 3 s; the fixture's window is 2 s
    result = cpu_handler("whisper", path)({"audio": [long_wave, waves()[1]], "max_new_tokens": 4})
    assert result["implementation_type"] == "REAL", result
    assert result["truncated"] == [True, False] and "window" in result["note"]
    expected = whisper_direct(path, [long_wave, waves()[1]], max_new_tokens=4)
    expect.distinct(expected, "reference transcriptions")
    assert result["text"] == expected and [len(t) for t in expected] == [4, 4]


def test_whisper_language_is_ignored_without_language_tables(fixtures, tmp_path):
    # An English-only Whisper (no lang_to_id/task_to_id): language/task are not passed to generate.
    path = str(tmp_path / "whisper-en")
    shutil.copytree(os.path.join(fixtures, "whisper"), path)
    gen_path = os.path.join(path, "generation_config.json")
    with open(gen_path) as f:
        gen = json.load(f)
    for key in ("lang_to_id", "task_to_id", "is_multilingual"):
        gen.pop(key, None)
    with open(gen_path, "w") as f:
        json.dump(gen, f)
    _, _, handler, _, _ = skill_for("whisper").init_cpu(path, "cpu", "cpu")
    result = handler({"audio": waves(), "max_new_tokens": 4, "language": "fr"})
    assert result["implementation_type"] == "REAL", result
    assert result["ignored_options"] == ["language"]
    expected = whisper_direct(path, waves(), max_new_tokens=4)
    expect.distinct(expected, "reference transcriptions")
    assert result["text"] == expected and [len(t) for t in expected] == [4, 4]


@pytest.mark.parametrize("bad", [
    {"audio": [0.1] * 100, "max_new_tokens": 0}, {"audio": [0.1] * 100, "task": "summarize"},
    {"audio": [0.1] * 100, "language": 3}, {"audio": [0.1] * 100, "temperature": 0.5}, b"RIFF", [],
])
def test_whisper_bad_inputs_return_errors(fixtures, bad):
    assert_error(cpu_handler("whisper", os.path.join(fixtures, "whisper"))(bad))


# ---- audio_classification ------------------------------------------------------------------------


def classify_direct(path, auto, batch):
    extractor = transformers.AutoFeatureExtractor.from_pretrained(path)
    model = getattr(transformers, auto).from_pretrained(path).eval()
    encoded = extractor(batch, sampling_rate=16000, padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**encoded).logits, model.config.id2label


@pytest.mark.parametrize("name,auto,model_type", [
    ("ast", "ASTForAudioClassification", "audio-spectrogram-transformer"),
    # The audio_classification template is generic over the feature extractor and head: a
    # Wav2Vec2ForSequenceClassification checkpoint loads through it too...
    ("wav2vec2-cls", "Wav2Vec2ForSequenceClassification", "audio-spectrogram-transformer"),
    # ...and through hf_wav2vec2.py, the file the host picks for a wav2vec2 model_type.
    ("wav2vec2-cls", "Wav2Vec2ForSequenceClassification", "wav2vec2"),
])
def test_audio_classification_matches_transformers(fixtures, tmp_path, name, auto, model_type):
    path = os.path.join(fixtures, name)
    _, _, handler, _, _ = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert handler.task == "audio_classification"
    batch = waves()
    result = handler({"audio": batch, "top_k": 2})
    assert result["implementation_type"] == "REAL", result
    logits, id2label = classify_direct(path, auto, batch)
    expect.rows_differ(logits, "reference logits")
    expect.close(result["logits"], logits, "logits")
    probs = logits.softmax(-1)
    for preds, row in expect.pairs(result["predictions"], probs, "predictions"):
        scores, ids = row.topk(2)
        assert [p["label"] for p in preds] == [id2label[i] for i in ids.tolist()]
        expect.scores([p["score"] for p in preds], scores.tolist())
    data, decoded = wav_bytes(batch[1])
    wav_path = tmp_path / "c.wav"
    wav_path.write_bytes(data)
    single_logits, _ = classify_direct(path, auto, [decoded])
    for x in (str(wav_path), data):
        single = handler(x)
        assert single["count"] == 1 and len(single["predictions"][0]) == 4
        expect.close(single["logits"], single_logits, "logits of a WAV input")
        assert [p["label"] for p in single["predictions"][0]] == [id2label[i] for i in single_logits[0].argsort(descending=True).tolist()]
    json.loads(as_json(result))


@pytest.mark.parametrize("bad", [{"audio": [0.1] * 100, "top_k": 0}, {"audio": [0.1] * 100, "top_k": "3"}, "missing.wav", {}])
def test_audio_classification_bad_inputs_return_errors(fixtures, bad):
    assert_error(cpu_handler("audio-spectrogram-transformer", os.path.join(fixtures, "ast"))(bad))


# ---- text_to_audio -------------------------------------------------------------------------------


def speecht5_direct(path, text, speaker, seed=0, **kwargs):
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.SpeechT5ForTextToSpeech.from_pretrained(path).eval()
    vocoder = transformers.SpeechT5HifiGan.from_pretrained(path, subfolder="vocoder").eval()
    ids = processor(text=text, return_tensors="pt")["input_ids"]
    torch.manual_seed(seed)
    with torch.no_grad():
        return model.generate_speech(ids, speaker, vocoder=vocoder, **kwargs)


def test_speecht5_speech_matches_transformers(fixtures):
    path = os.path.join(fixtures, "speecht5")
    _, _, handler, _, _ = skill_for("speecht5").init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_to_audio"
    texts = ["hello world", "the cat sat on the mat"]
    result = handler({"text": texts, "seed": 3, "minlenratio": 1.0})
    assert result["implementation_type"] == "REAL", result
    assert result["sampling_rate"] == 16000 and result["count"] == 2
    wanted = [speecht5_direct(path, text, torch.zeros(1, 8), seed=3, minlenratio=1.0) for text in texts]
    shortest = min(w.shape[0] for w in wanted)
    expect.differ(wanted[0][:shortest], wanted[1][:shortest], "reference waveforms")
    for row, expected in enumerate(wanted):
        assert result["lengths"][row] == expected.shape[0] > 32
        assert float(expected.abs().max()) > 0.05  # audible: far above the comparison's tolerance
        expect.close(result["audio"][row, : expected.shape[0]], expected, "waveform")
        assert not result["audio"][row, expected.shape[0]:].any()
    speaker = [0.1 * i for i in range(8)]
    given = handler({"text": texts[0], "speaker_embeddings": speaker, "seed": 1, "minlenratio": 1.0})
    expected = speecht5_direct(path, texts[0], torch.tensor([speaker]), seed=1, minlenratio=1.0)
    expect.close(given["audio"][0], expected, "waveform with a speaker embedding")
    expect.differ(expected, speecht5_direct(path, texts[0], torch.zeros(1, 8), seed=1, minlenratio=1.0), "waveforms of two speakers")
    # deterministic: the same seed gives the same waveform, and the global RNG is left alone
    state = torch.random.get_rng_state()
    again = handler({"text": texts[0], "speaker_embeddings": speaker, "seed": 1, "minlenratio": 1.0})
    assert torch.equal(again["audio"], given["audio"])
    assert torch.equal(torch.random.get_rng_state(), state)
    json.loads(as_json(result))


@pytest.mark.parametrize("bad", [
    None, 3, [], [""], {"speaker_embeddings": [0.0] * 8}, {"text": "hi", "speaker_embeddings": [0.0] * 3},
    {"text": "hi", "seed": -1}, {"text": "hi", "volume": 2},
])
def test_speecht5_bad_inputs_return_errors(fixtures, bad):
    assert_error(cpu_handler("speecht5", os.path.join(fixtures, "speecht5"))(bad))


def test_speecht5_missing_vocoder_is_a_load_error(fixtures):
    _, _, handler, _, _ = skill_for("speecht5", {"vocoder": "/no/such/vocoder"}).init_cpu(
        os.path.join(fixtures, "speecht5"), "cpu", "cpu"
    )
    result = handler("hello")
    assert_error(result)
    assert "vocoder" in result["error"]
