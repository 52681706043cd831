"""Remote code only with consent, and pinned revisions honoured at run time (issue #16).

Builds, offline, a tiny custom-code model in a temp folder (a config.json whose `auto_map` points at
configuration_tiny.py / modeling_tiny.py beside it, subclassing BERT under a new model_type), lists
it in a models.toml with `trust_remote_code = true` and a commit-hash revision next to a normal
BERT model with its own revision, generates with the skillgen binary, and runs the real handlers.
Every from_pretrained the skillset makes is recorded by wrapping transformers' (and optimum-intel's)
loaders: a local folder has no revisions, so the wrapper records the call, removes revision and
code_revision, and loads the folder that stands in for the Hub repo."""
import importlib.util
import inspect
import json
import os
import shutil
import subprocess

import pytest
import torch
import transformers

from conftest import ROOT

BINARY = os.environ.get("SKILLGEN_BIN", os.path.join(ROOT, "target", "debug", "skillgen"))
CUSTOM = "skillgen-test/tiny-custom"
UNLISTED = "skillgen-test/tiny-custom-unlisted"
BERT = "skillgen-test/bert-pinned"
CUSTOM_COMMIT = "0123456789abcdef0123456789abcdef01234567"
BERT_COMMIT = "89abcdef0123456789abcdef0123456789abcdef"
MODEL_TYPE = "skillgen_tiny_custom"

CONFIGURATION = '''
from transformers import BertConfig


class TinyCustomConfig(BertConfig):
    model_type = "skillgen_tiny_custom"
'''

MODELING = '''
from transformers import BertForMaskedLM

from .configuration_tiny import TinyCustomConfig

# Proof that this file, not a transformers class, built the model.
CUSTOM_CODE_RAN = True


class TinyCustomForMaskedLM(BertForMaskedLM):
    config_class = TinyCustomConfig
'''


def custom_model_folder(fixtures, dst):
    """The tiny BERT masked-LM fixture turned into a custom-code model: model_type unknown to
    transformers, architectures and auto_map naming classes in .py files of the folder."""
    shutil.copytree(os.path.join(fixtures, "bert-mlm"), dst)
    with open(os.path.join(dst, "config.json")) as f:
        config = json.load(f)
    config.update({
        "model_type": MODEL_TYPE,
        "architectures": ["TinyCustomForMaskedLM"],
        "auto_map": {
            "AutoConfig": "configuration_tiny.TinyCustomConfig",
            "AutoModelForMaskedLM": "modeling_tiny.TinyCustomForMaskedLM",
        },
    })
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(dst, "configuration_tiny.py"), "w") as f:
        f.write(CONFIGURATION)
    with open(os.path.join(dst, "modeling_tiny.py"), "w") as f:
        f.write(MODELING)
    return dst


@pytest.fixture(scope="module")
def generated(fixtures, tmp_path_factory):
    """(skillset folder, {model id: local folder}) for the custom and the BERT model."""
    root = tmp_path_factory.mktemp("remote-code")
    folders = {
        CUSTOM: custom_model_folder(fixtures, str(root / "models" / "custom")),
        UNLISTED: custom_model_folder(fixtures, str(root / "models" / "unlisted")),
        BERT: os.path.join(fixtures, "bert"),
    }
    cached = root / "autoconfigs" / (CUSTOM + "@" + CUSTOM_COMMIT)
    cached.mkdir(parents=True)
    shutil.copy(os.path.join(folders[CUSTOM], "config.json"), cached / "config.json")
    (root / "models.toml").write_text(
        f'[[model]]\nid = "{CUSTOM}"\nrevision = "{CUSTOM_COMMIT}"\ntrust_remote_code = true\n\n'
        f'[[model]]\nid = "{BERT}"\nrevision = "{BERT_COMMIT}"\nmodel_type = "bert"\n'
    )
    run = subprocess.run(
        [BINARY, "generate", "--models", "models.toml", "--autoconfigs", "autoconfigs", "--out", "out"],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    return str(root / "out" / "skillsets"), folders


def skill_class(skillsets, model_type):
    spec = importlib.util.spec_from_file_location("hf_" + model_type, os.path.join(skillsets, "hf_" + model_type + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "hf_" + model_type)


class Loaders:
    """Records the skillset's own from_pretrained calls (not the ones transformers makes inside
    them), then loads the stand-in folder without revision/code_revision."""

    def __init__(self, monkeypatch, folders):
        self.calls, self.depth, self.folders = [], 0, folders
        # Every Auto class (each has its own copy of from_pretrained) and the base classes of
        # configs, models, tokenizers and processors (for a loader called on a concrete class).
        owners = [getattr(transformers, name) for name in dir(transformers) if name.startswith("Auto")]
        owners += [
            transformers.PreTrainedConfig, transformers.PreTrainedModel, transformers.PreTrainedTokenizerBase,
            transformers.ProcessorMixin, transformers.FeatureExtractionMixin, transformers.ImageProcessingMixin,
        ]
        try:
            import optimum.intel

            owners += [optimum.intel.OVModelForFeatureExtraction, optimum.intel.OVModelForMaskedLM]
        except ImportError:
            pass
        for owner in owners:
            if isinstance(owner, type) and isinstance(inspect.getattr_static(owner, "from_pretrained", None), classmethod):
                self._wrap(monkeypatch, owner)

    def _wrap(self, monkeypatch, owner):
        original = inspect.getattr_static(owner, "from_pretrained").__func__
        loaders = self

        def from_pretrained(cls, model, *args, **kwargs):
            if loaders.depth:
                return original(cls, model, *args, **kwargs)
            loaders.calls.append((cls.__name__, model, dict(kwargs)))
            kwargs.pop("revision", None)
            kwargs.pop("code_revision", None)
            loaders.depth += 1
            try:
                return original(cls, loaders.folders.get(model, model), *args, **kwargs)
            finally:
                loaders.depth -= 1

        monkeypatch.setattr(owner, "from_pretrained", classmethod(from_pretrained))

    def of(self, model):
        return [c for c in self.calls if c[1] == model]


@pytest.fixture
def loaders(monkeypatch, generated):
    return Loaders(monkeypatch, generated[1])


def resources():
    return {"torch": torch, "transformers": transformers}


def test_the_generated_file_lists_revisions_and_the_consenting_model_only(generated):
    cls = skill_class(generated[0], MODEL_TYPE)
    assert cls.REVISIONS == {CUSTOM: CUSTOM_COMMIT}
    assert cls.REMOTE_CODE_MODELS == (CUSTOM,)
    bert = skill_class(generated[0], "bert")
    assert bert.REVISIONS == {BERT: BERT_COMMIT} and bert.REMOTE_CODE_MODELS == ()
    assert not hasattr(cls, "TRUST_REMOTE_CODE")


def test_custom_code_loads_with_consent_and_every_load_carries_the_revision(generated, loaders):
    skill = skill_class(generated[0], MODEL_TYPE)(resources(), {})
    endpoint, _, handler, _, _ = skill.init_cpu(CUSTOM, "cpu", "cpu")
    result = handler("the capital of [MASK] is paris.")
    assert result["implementation_type"] == "REAL" and result["task"] == "fill_mask", result
    assert result["predictions"], result
    # The model class came from the folder's modeling_tiny.py.
    assert type(endpoint).__name__ == "TinyCustomForMaskedLM"
    assert getattr(inspect.getmodule(type(endpoint)), "CUSTOM_CODE_RAN", False)
    calls = loaders.of(CUSTOM)
    assert {c[0] for c in calls} >= {"AutoConfig", "AutoTokenizer", "AutoModelForMaskedLM"}, calls
    assert calls == loaders.calls, "a load of another model"
    for name, _, kwargs in calls:
        assert kwargs.get("trust_remote_code") is True, (name, kwargs)
        assert kwargs.get("revision") == CUSTOM_COMMIT, (name, kwargs)
        assert kwargs.get("code_revision") == CUSTOM_COMMIT, (name, kwargs)


def test_a_normal_model_gets_its_revision_and_no_remote_code(generated, loaders):
    skill = skill_class(generated[0], "bert")(resources(), {"trust_remote_code": True})
    handler = skill.init_cpu(BERT, "cpu", "cpu")[2]
    result = handler(["a b c", "hello world"])
    assert result["implementation_type"] == "REAL", result
    assert {c[0] for c in loaders.calls} >= {"AutoConfig", "AutoTokenizer", "AutoModel"}, loaders.calls
    for name, model, kwargs in loaders.calls:
        assert model == BERT and kwargs.get("revision") == BERT_COMMIT, (name, kwargs)
        assert kwargs.get("trust_remote_code") is False and "code_revision" not in kwargs, (name, kwargs)


def test_metadata_cannot_turn_remote_code_on_for_a_model_not_listed(generated, loaders):
    """The same custom-code folder under an id models.toml does not list: metadata asks for remote
    code, the file passes trust_remote_code=False (and no revision), and transformers refuses."""
    skill = skill_class(generated[0], MODEL_TYPE)(resources(), {"trust_remote_code": True})
    endpoint, _, handler, _, _ = skill.init_cpu(UNLISTED, "cpu", "cpu")
    result = handler("the capital of [MASK] is paris.")
    assert endpoint is None and result["implementation_type"] == "ERROR", result
    assert "trust_remote_code" in result["error"], result
    assert loaders.calls, "nothing was loaded"
    for name, model, kwargs in loaders.calls:
        assert model == UNLISTED and kwargs.get("trust_remote_code") is False, (name, kwargs)
        assert "revision" not in kwargs and "code_revision" not in kwargs, (name, kwargs)


def test_the_host_native_converters_are_not_given_a_pinned_model(generated, loaders):
    """Core ML / SNPE: the host's convert_model takes only a name, so a pinned model runs on CPU
    torch (labelled fallback) rather than converting another revision's weights."""
    converted = []

    class Utils:
        def convert_model(self, *args):
            converted.append(args)
            return True

    skill = skill_class(generated[0], "bert")(resources(), {})
    handler = skill._init_native(BERT, "apple:0", "apple", "coreml", Utils(), "cpu")[2]
    result = handler(["a b c"])
    assert converted == []
    assert result["implementation_type"] == "REAL" and result["backend"] == "torch", result
    assert BERT_COMMIT in result["fallback"], result
    for name, _, kwargs in loaders.calls:
        assert kwargs.get("revision") == BERT_COMMIT, (name, kwargs)
