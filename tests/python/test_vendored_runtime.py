"""A folder vendored by the real `skillgen vendor` (thin skillsets + skillgen_runtime beside them),
loaded in all three ways the host loads skillsets, with real handlers run on tiny models:

1. as package submodules (`hostpkg.worker.skillset.hf_bert`),
2. as bare files (`spec_from_file_location`),
3. exec()'d at import time by a worker.py that does what the real one does: every `hf_` file of
   its skillset/ folder, twice, in its own module namespace.

Also what happens when the runtime beside the skillsets is missing or of another API version: the
files still load (a module-level error would break the host's whole worker import) and every
init_* returns the host's 5-tuple with a handler that names both versions and the fix."""
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import ANYIO_QUEUE, ROOT

BINARY = os.environ.get("SKILLGEN_BIN", os.path.join(ROOT, "target", "debug", "skillgen"))
# (model_type, fixture folder, task): a hyphenated model_type included.
CASES = [
    ("bert", "bert", "text_embedding"),
    ("xlm-roberta", "roberta-cls", "text_classification"),
    ("gpt2", "gpt2", "text_generation"),
    ("vit", "vit-cls", "image_classification"),
]

WORKER = '''
import os

# What ipfs_accelerate_py/worker/worker.py does at import: exec() every skillset file of its
# skillset/ folder, twice, inside this module's own namespace (no try/except on the second pass).
_skillset_dir = os.path.join(os.path.dirname(__file__), "skillset")
for _pass in range(2):
    for _name in sorted(os.listdir(_skillset_dir)):
        if "hf_" in _name and _name.endswith(".py"):
            with open(os.path.join(_skillset_dir, _name), encoding="utf-8") as _f:
                exec(_f.read())
'''


def make_host(root, package):
    """hostpkg-like package: <package>/worker/{__init__,anyio_queue,worker}.py and an empty
    skillset/ package for `skillgen vendor` to fill."""
    worker = root / package / "worker"
    (worker / "skillset").mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (worker / "__init__.py").write_text("")
    (worker / "anyio_queue.py").write_text(ANYIO_QUEUE)
    (worker / "worker.py").write_text(WORKER)
    (worker / "skillset" / "__init__.py").write_text("")
    return worker / "skillset"


def vendor(skillset_dir):
    result = subprocess.run([BINARY, "vendor", "--into", str(skillset_dir)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def forget(package):
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".") or m.startswith("skillgen_runtime_")]:
        del sys.modules[name]


@pytest.fixture()
def vendored(tmp_path):
    package = "vhost" + str(abs(hash(str(tmp_path))) % 10**8)
    skillset_dir = make_host(tmp_path, package)
    vendor(skillset_dir)
    sys.path.insert(0, str(tmp_path))
    yield package, skillset_dir
    sys.path.remove(str(tmp_path))
    forget(package)


def load_bare(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(cls, fixture, task):
    skill = cls(None, {"task": task})
    endpoint, processor, handler, queue, batch_size = skill.init_cpu(fixture, "cpu", "cpu")
    sample = skill._sample_input(task)
    result = handler(sample)
    assert result.get("implementation_type") == "REAL" and "error" not in result, result
    assert queue._maxsize >= 1 and isinstance(batch_size, int)
    return result


def comparable(result):
    keep = {}
    for key in ("embeddings", "logits", "generated_token_ids", "predictions"):
        if key in result:
            value = result[key]
            keep[key] = value.tolist() if hasattr(value, "tolist") else value
    assert keep, result
    return keep


def test_vendor_installs_the_runtime_beside_the_skillsets(vendored):
    _, skillset_dir = vendored
    runtime = skillset_dir / "skillgen_runtime"
    assert (runtime / "__init__.py").is_file() and (runtime / "families" / "text_encoder.py").is_file()
    assert not [p for p in runtime.rglob("*") if "hf_" in p.name]
    for model_type, _, _ in CASES:
        assert (skillset_dir / ("hf_" + model_type + ".py")).is_file()


def test_three_loading_modes_run_real_handlers_from_the_vendored_folder(vendored, fixtures):
    package, skillset_dir = vendored
    worker = importlib.import_module(package + ".worker.worker")  # mode 3: exec() twice at import
    for model_type, fixture, task in CASES:
        fixture = os.path.join(fixtures, fixture)
        name = "hf_" + model_type
        by_package = getattr(importlib.import_module(package + ".worker.skillset." + name), name)
        by_file = getattr(load_bare(str(skillset_dir / (name + ".py")), name), name)
        by_exec = getattr(worker, name)
        results = []
        for cls in (by_package, by_file, by_exec):
            assert cls.MODEL_TYPE == model_type and cls.FAMILY, cls
            # The family class comes from the vendored runtime folder, not from this repo.
            family_module = sys.modules[type.mro(cls)[1].__module__]
            assert os.path.dirname(os.path.dirname(family_module.__file__)) == str(skillset_dir / "skillgen_runtime")
            results.append(comparable(run(cls, fixture, task)))
        assert results[0] == results[1] == results[2], model_type
    assert "_skillgen_base" not in vars(worker)


def test_package_mode_queue_is_the_hosts(vendored):
    package, _ = vendored
    cls = importlib.import_module(package + ".worker.skillset.hf_bert").hf_bert
    _, _, _, queue, _ = cls({}, {"mock": True}).init_cpu("m", "cpu", "cpu")
    assert type(queue).__module__ == package + ".worker.anyio_queue"


@pytest.mark.parametrize("damage", ["missing", "other_version"])
def test_without_a_compatible_runtime_files_load_and_handlers_say_why(tmp_path, damage):
    package = "skewhost" + damage
    skillset_dir = make_host(tmp_path, package)
    vendor(skillset_dir)
    runtime = skillset_dir / "skillgen_runtime"
    if damage == "missing":
        shutil.rmtree(runtime)
        expected = ["no skillgen_runtime", "skillgen vendor"]
    else:
        init = runtime / "__init__.py"
        text = init.read_text()
        current = re.search(r"\nAPI_VERSION = (\d+)\n", text).group(1)
        init.write_text(text.replace("\nAPI_VERSION = " + current + "\n", "\nAPI_VERSION = 99\n"))
        expected = ["API version 99", "needs " + current, "skillgen vendor"]
    # A fresh interpreter: the worker import (exec of every file, twice) must not raise.
    code = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        import {package}.worker.worker as worker
        skill = getattr(worker, "hf_xlm-roberta")(None, None)
        out = []
        for name, args in (("init_cpu", ("m", "cpu", "cpu")), ("init_cuda", ("m", "cuda:0", "cuda:0")),
                           ("init_openvino", ("m", "bert", "CPU", "openvino:0", None, None, None, None))):
            endpoint, processor, handler, queue, batch_size = getattr(skill, name)(*args)
            queue.put_nowait("x")
            out.append(handler("text"))
        print(json.dumps(out))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    import json

    for answer in json.loads(result.stdout):
        assert answer["implementation_type"] == "ERROR"
        for needle in expected:
            assert needle in answer["error"], answer
