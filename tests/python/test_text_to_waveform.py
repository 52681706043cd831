"""text_to_audio for forward-only waveform models (VITS / MMS-TTS) on a tiny offline VitsModel
(tests/fixtures/fixtures_tasks.py), against transformers' text-to-audio pipeline under the same
seed. The vits skillset is generated here from a models.toml naming only its model_type."""
import importlib.util
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch
import transformers

from conftest import ROOT, SKILLSETS

BINARY = os.environ.get("SKILLGEN_BIN", os.path.join(ROOT, "target", "debug", "skillgen"))
TEXTS = ["the quick brown fox", "paris, france!"]


@pytest.fixture(scope="module")
def vits_handler(tmp_path_factory, fixtures):
    root = tmp_path_factory.mktemp("vits")
    models = root / "models.toml"
    models.write_text('[[model]]\nid = "facebook/mms-tts-eng"\nmodel_type = "vits"\n')
    (root / "autoconfigs").mkdir()
    subprocess.run([BINARY, "generate", "--models", str(models), "--autoconfigs", str(root / "autoconfigs"), "--out", str(root / "out")], check=True, capture_output=True)
    spec = importlib.util.spec_from_file_location("hf_vits", root / "out" / "skillsets" / "hf_vits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skill = module.hf_vits({"torch": torch, "transformers": transformers}, {})
    _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, "vits"), "cpu", "cpu")
    return skill, handler


def test_vits_matches_the_text_to_audio_pipeline(fixtures, vits_handler):
    _, handler = vits_handler
    assert handler.task == "text_to_audio"
    pipe = transformers.pipeline("text-to-audio", model=os.path.join(fixtures, "vits"))
    result = handler({"text": TEXTS, "seed": 3})
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 2 and result["sampling_rate"] == 8000
    for row, text in enumerate(TEXTS):
        torch.manual_seed(3)
        expected = pipe(text)
        assert expected["sampling_rate"] == result["sampling_rate"]
        want = np.asarray(expected["audio"]).reshape(-1)
        got = result["audio"][row, : result["lengths"][row]].numpy()
        assert got.shape == want.shape
        assert np.abs(got - want).max() < 1e-4
        assert not result["audio"][row, result["lengths"][row]:].any()  # zero padding only
    assert result["lengths"][0] != result["lengths"][1] or not torch.equal(result["audio"][0], result["audio"][1])
    # The seed matters (VITS samples noise) and is honoured.
    again = handler({"text": TEXTS[0], "seed": 3})
    other = handler({"text": TEXTS[0], "seed": 4})
    assert torch.equal(again["audio"][0, : again["lengths"][0]], result["audio"][0, : result["lengths"][0]])
    assert not torch.equal(other["audio"], again["audio"])


@pytest.mark.parametrize("bad", ["", [], [3], {"text": "hi", "seed": -1}, {"text": "hi", "bogus": 1}, {"seed": 1}, None])
def test_vits_bad_input_is_an_error_dict(vits_handler, bad):
    _, handler = vits_handler
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_vits_test_method_runs_the_sample(vits_handler):
    skill, handler = vits_handler
    assert skill.__test__("vits", handler, "cpu")["ok"]


def test_musicgen_matches_the_text_to_audio_pipeline(fixtures, tmp_path):
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nid = "facebook/musicgen-small"\nmodel_type = "musicgen"\n')
    (tmp_path / "autoconfigs").mkdir()
    subprocess.run([BINARY, "generate", "--models", str(models), "--autoconfigs", str(tmp_path / "autoconfigs"), "--out", str(tmp_path / "out")], check=True, capture_output=True)
    spec = importlib.util.spec_from_file_location("hf_musicgen", tmp_path / "out" / "skillsets" / "hf_musicgen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skill = module.hf_musicgen({"torch": torch, "transformers": transformers}, {})
    path = os.path.join(fixtures, "musicgen")
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_to_audio"
    pipe = transformers.pipeline("text-to-audio", model=path)
    result = handler({"text": ["a piano", "rain on a roof"], "seed": 5, "max_new_tokens": 6})
    assert result["implementation_type"] == "REAL", result
    assert result["sampling_rate"] == 8000
    for row, text in enumerate(["a piano", "rain on a roof"]):
        torch.manual_seed(5)
        want = np.asarray(pipe(text, generate_kwargs={"max_new_tokens": 6})["audio"]).reshape(-1)
        got = result["audio"][row, : result["lengths"][row]].numpy()
        assert got.shape == want.shape and np.abs(got - want).max() < 1e-4
    # This tiny MusicGen's audio does not (measurably) depend on the text or the seed, so only the
    # plumbing is proven here: the handler's max_new_tokens reaches generate() (length).
    longer = handler({"text": "a piano", "seed": 5, "max_new_tokens": 8})
    assert longer["lengths"][0] > result["lengths"][0]
    assert handler({"text": "a piano", "max_new_tokens": 0})["implementation_type"] == "ERROR"


def test_bark_matches_its_documented_generate(fixtures, tmp_path):
    """Bark (semantic → coarse → fine → EnCodec) against BarkModel.generate as its docs call it:
    `inputs = processor(text)`, `model.generate(**inputs, semantic_max_new_tokens=n)`."""
    from expect import close, differ

    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nid = "suno/bark-small"\nmodel_type = "bark"\n')
    (tmp_path / "autoconfigs").mkdir()
    subprocess.run([BINARY, "generate", "--models", str(models), "--autoconfigs", str(tmp_path / "autoconfigs"), "--out", str(tmp_path / "out")], check=True, capture_output=True)
    # The thin file runs over the suite's runtime (SKILLGEN_SKILLSETS), so the mutation check's
    # broken copies reach it too.
    runtime = tmp_path / "out" / "skillsets" / "skillgen_runtime"
    shutil.rmtree(runtime)
    shutil.copytree(os.path.join(SKILLSETS, "skillgen_runtime"), runtime, ignore=shutil.ignore_patterns("__pycache__"))
    spec = importlib.util.spec_from_file_location("hf_bark", tmp_path / "out" / "skillsets" / "hf_bark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skill = module.hf_bark({"torch": torch, "transformers": transformers}, {})
    path = os.path.join(fixtures, "bark")
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    assert handler.task == "text_to_audio"
    texts = ["a cat sat on the mat", "the quick brown fox"]
    result = handler({"text": texts, "max_new_tokens": 6})
    assert result["implementation_type"] == "REAL", result
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = transformers.BarkModel.from_pretrained(path).eval()
    assert result["sampling_rate"] == model.generation_config.sample_rate == 24000
    wants = []
    for row, text in enumerate(texts):
        with torch.no_grad():
            want = model.generate(**processor(text), semantic_max_new_tokens=6)[0]
        close(result["audio"][row, : result["lengths"][row]], want, "bark audio")
        wants.append(want)
    differ(wants[0], wants[1], "bark audio")
    # max_new_tokens reaches the semantic model: fewer semantic tokens, shorter audio.
    shorter = handler({"text": texts[0], "max_new_tokens": 3})
    assert shorter["lengths"][0] < result["lengths"][0]
