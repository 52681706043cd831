"""The detection table against the installed (newest) transformers, model type by model type.

For every model_type in the installed transformers' CONFIG_MAPPING_NAMES: a config.json written by
its own config class (`CONFIG_MAPPING[mt]()`, `save_pretrained`, so NaN/Infinity as transformers
writes them) with `architectures` = the head class the first detection rule's auto table gives it
(else its base model class), all run through one `skillgen generate`. Checks that the table is
this transformers' (data/transformers_auto.json), that enough model types generate, that every
other one fails with its reason, and that every model type whose head is in a table that a rule of
data/detection.toml maps to a task gets exactly that task."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

transformers = pytest.importorskip("transformers")
from transformers.models.auto import configuration_auto, modeling_auto  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the test venv is 3.11
    tomllib = None

# Share of the model types that generate a skillset from the synthetic configs (744 of 822 at
# 5.24.0; `skillgen coverage`: 745). The rest are parts of
# larger models with no class of their own (mask decoders, prompt encoders), base models whose
# input or output no family takes (latents, query embeddings,
# fusion towers), heads no rule serves yet (multiple choice, ...) and refused model types.
MIN_GENERATED = 0.90
# `skillgen coverage` (docs/model-types.md) counts a model type as generated when some checkpoint of
# it gets a skillset: 745 of 822 at 5.24.0. The synthetic configs above give each type one head (the
# first rule table listing it) and skip config classes that cannot be built offline, so they count
# a little lower (layoutlmv3 is served for document QA only; gemma4_assistant's config needs
# arguments).
MIN_COVERAGE = 0.90
# Config classes that cannot build a default config offline (required arguments).
MAX_UNCONSTRUCTIBLE = 0.03


def skillgen_bin():
    path = os.environ.get("SKILLGEN_BIN") or os.path.join(ROOT, "target", "debug", "skillgen")
    if not os.path.isfile(path):
        pytest.skip("no skillgen binary at " + path + " (tests/run.sh builds it; or set SKILLGEN_BIN)")
    return path


def detection_rules():
    with open(os.path.join(ROOT, "data", "detection.toml"), "rb") as f:
        return tomllib.load(f)


def head_for(model_type, rules):
    """(head class, the task its table defines or None) for a synthetic config of model_type."""
    for rule in rules["rule"]:
        table = getattr(modeling_auto, rule["table"], {})
        head = table.get(model_type)
        if isinstance(head, (list, tuple)):
            head = head[0] if head else None
        if head:
            return head, rule["task"]
    base = modeling_auto.MODEL_MAPPING_NAMES.get(model_type)
    if isinstance(base, (list, tuple)):
        base = base[0] if base else None
    return base, None


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Writes the configs and models.toml, runs generate; (cases, manifest, errors, skipped)."""
    if tomllib is None:
        pytest.skip("needs Python 3.11+ (tomllib)")
    binary = skillgen_bin()
    rules = detection_rules()
    root = tmp_path_factory.mktemp("newest")
    autoconfigs = root / "autoconfigs"
    cases, skipped = {}, {}
    import warnings

    transformers.logging.set_verbosity_error()

    for model_type in sorted(configuration_auto.CONFIG_MAPPING_NAMES):
        head, task = head_for(model_type, rules)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                config = configuration_auto.CONFIG_MAPPING[model_type]()
                config.architectures = [head] if head else None
                config.save_pretrained(str(autoconfigs / "newest" / model_type))
        except Exception as e:
            skipped[model_type] = type(e).__name__ + ": " + str(e)[:200]
            continue
        cases["newest/" + model_type] = (model_type, head, task)
    models = root / "models.toml"
    models.write_text("".join('[[model]]\nid = "' + i + '"\n' for i in cases), encoding="utf-8")
    run = subprocess.run([binary, "generate", "--models", str(models), "--autoconfigs", str(autoconfigs), "--out", str(root / "first")],
                         capture_output=True, text=True)
    errors = {}
    for line in run.stderr.splitlines():
        m = re.match(r"error: .*?model `([^`]+)`: (.*)", line)
        if m:
            errors[m.group(1)] = m.group(2)
    assert run.returncode == (1 if errors else 0), run.stderr[-2000:]
    # Generate is all-or-nothing: once more without the unsupported ones, for their tasks.
    ok = [i for i in cases if i not in errors]
    models.write_text("".join('[[model]]\nid = "' + i + '"\n' for i in ok), encoding="utf-8")
    run = subprocess.run([binary, "generate", "--models", str(models), "--autoconfigs", str(autoconfigs), "--out", str(root / "out")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    with open(root / "out" / "manifest.json", encoding="utf-8") as f:
        manifest = json.load(f)
    return cases, manifest, errors, skipped


def test_the_table_is_the_installed_transformers():
    with open(os.path.join(ROOT, "data", "transformers_auto.json"), encoding="utf-8") as f:
        table = json.load(f)
    assert table["transformers_version"] == transformers.__version__, (
        "data/transformers_auto.json is from transformers " + table["transformers_version"] + ", the test venv has "
        + transformers.__version__ + ": tests/python-env.sh python scripts/gen_transformers_table.py"
    )
    assert sorted(table["model_types"]) == sorted(configuration_auto.CONFIG_MAPPING_NAMES)


def test_most_model_types_generate_and_the_rest_say_why(synthetic):
    cases, manifest, errors, skipped = synthetic
    total = len(configuration_auto.CONFIG_MAPPING_NAMES)
    assert len(skipped) <= MAX_UNCONSTRUCTIBLE * total, sorted(skipped.items())[:10]
    assert set(manifest) | set(errors) == set(cases)
    generated = len(manifest)
    print("\n%d of %d model types generate (%.1f%%); %d unsupported; %d config classes not constructible"
          % (generated, total, 100.0 * generated / total, len(errors), len(skipped)))
    assert generated >= MIN_GENERATED * total, (generated, total)
    for model_id, why in errors.items():
        model_type = cases[model_id][0]
        assert model_type in why and len(why) > 40, (model_id, why)


def test_coverage_reaches_the_goal():
    run = subprocess.run([skillgen_bin(), "coverage"], capture_output=True, text=True, check=True)
    total = int(re.search(r"- (\d+) model types in", run.stdout).group(1))
    generated = int(re.search(r"- (\d+) generate a skillset", run.stdout).group(1))
    assert total == len(configuration_auto.CONFIG_MAPPING_NAMES)
    assert generated >= MIN_COVERAGE * total, (generated, total)


def test_every_model_type_whose_head_table_names_a_task_gets_that_task(synthetic):
    cases, manifest, errors, skipped = synthetic
    overrides = detection_rules().get("overrides", {})
    # [refused] model types get no skillset, whatever their head (the error says why).
    refused = detection_rules().get("refused", {})
    checked, wrong = 0, []
    for model_id, (model_type, head, task) in cases.items():
        if task is None or model_type in overrides:
            continue
        if model_type in refused:
            assert model_type in errors.get(model_id, "") and "gets no skillset" in errors[model_id], model_id
            continue
        checked += 1
        got = manifest.get(model_id, {}).get("task") or "error: " + errors.get(model_id, "?")
        if got != task:
            wrong.append(model_type + " (" + head + "): want " + task + ", got " + got)
    print("\n%d model types with a task-defining head; %d wrong" % (checked, len(wrong)))
    assert checked >= 400
    assert not wrong, "\n".join(wrong[:30])
