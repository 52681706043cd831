"""Every generated skillset, treated the way the host treats it (../shared/skillset-contract.md)."""
import asyncio
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import SKILLSETS, host_worker_dir, load_bare, load_exec, load_package, model_type_of, skillset_files

FILES = skillset_files()
INIT_CALLS = {
    "init_cpu": ("m", "cpu", "cpu"),
    "init_cuda": ("m", "cuda:0", "cuda:0"),
    "init_rocm": ("m", "cuda:0", "rocm:0"),
    "init_apple": ("m", "mps", "apple:0"),
    "init_qualcomm": ("m", "qualcomm", "qualcomm:0"),
}


def test_there_are_skillsets():
    assert len(FILES) >= 1


def assert_ruff_passes(paths):
    """ruff's pyflakes rules and syntax errors (F, E9), with no project configuration."""
    result = subprocess.run(["ruff", "check", "--no-cache", "--isolated", "--select", "F,E9", *paths], capture_output=True, text=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]


SUPPORTED_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")


def assert_parses_on(version, paths):
    """Every file parses with that Python, found in pyenv or on PATH; its absence is a failure."""
    python = pythons().get(version)
    if python is None:
        pytest.fail("Python " + version + " was not found (pyenv's ~/.pyenv/versions/" + version + ".*, or python" + version
                    + " on PATH): the parse check needs every supported version; install it, e.g. `pyenv install " + version + "`")
    code = (
        "import ast, sys\n"
        "assert '%d.%d' % sys.version_info[:2] == sys.argv[1], sys.version\n"
        "for p in sys.argv[2:]:\n    ast.parse(open(p, encoding='utf-8').read(), p)\n"
    )
    result = subprocess.run([python, "-c", code, version, *paths], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-5000:]


def test_ruff_check_passes_on_every_generated_file():
    assert_ruff_passes([os.path.join(SKILLSETS, f) for f in FILES])


def pythons():
    """version -> interpreter: pyenv's (PYENV_ROOT, else ~/.pyenv) newest patch release, else
    pythonX.Y on PATH."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = {}
    for version in SUPPORTED_PYTHONS:
        candidates = glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version))
        newest = sorted(candidates, key=lambda p: [int(x) for x in p.split(os.sep)[-3].split(".") if x.isdigit()])
        found_here = newest[-1] if newest else shutil.which("python" + version)
        if found_here:
            found[version] = found_here
    return found


@pytest.mark.parametrize("version", SUPPORTED_PYTHONS)
def test_parses_on_every_supported_python(version):
    assert_parses_on(version, [os.path.join(SKILLSETS, f) for f in FILES])


@pytest.mark.parametrize("file_name", FILES)
def test_import_and_construct_without_torch(file_name):
    # A fresh interpreter, so torch imported by other tests cannot hide a top-level import.
    code = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("m", {os.path.join(SKILLSETS, file_name)!r})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
cls = getattr(m, "hf_" + {model_type_of(file_name)!r})
cls(None, None); cls({{}}, {{}})
heavy = [n for n in ("torch", "transformers", "numpy", "PIL", "librosa", "requests") if n in sys.modules]
assert not heavy, heavy
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("file_name", FILES)
def test_all_three_host_loaders_find_the_class(file_name, host_package):
    mt = model_type_of(file_name)
    class_name = "hf_" + mt.replace("-", "_").replace(".", "_")
    for module in (load_bare(file_name), load_package(host_package, file_name)):
        cls = getattr(module, "hf_" + mt)  # the host's lookup, hyphens kept
        assert cls is getattr(module, class_name)
        assert cls.MODEL_TYPE == mt and cls.FAMILY  # a runtime family class, not the stand-in
        cls(None, None)
    namespace = load_exec(file_name, host_worker_dir(host_package))
    assert namespace["hf_" + mt] is namespace[class_name]
    assert namespace[class_name].FAMILY and "_skillgen_base" not in namespace


@pytest.mark.parametrize("file_name", FILES)
def test_every_init_returns_five_values_in_mock_mode(file_name):
    cls = getattr(load_bare(file_name), "hf_" + model_type_of(file_name))
    skill = cls({}, {"mock": True})
    calls = dict(INIT_CALLS)
    calls["init_openvino"] = ("m", "text", "CPU", "openvino:0")
    for name, args in calls.items():
        endpoint, processor, handler, queue, batch_size = getattr(skill, name)(*args)
        assert isinstance(batch_size, int) and batch_size >= 1
        assert queue is not None and queue._maxsize >= 1
        result = handler(skill._sample_input(handler.task))
        assert isinstance(result, dict) and result["implementation_type"] == "MOCK", result
        json.dumps(result)


@pytest.mark.parametrize("file_name", FILES)
def test_init_openvino_binds_4_8_and_9_arguments(file_name):
    cls = getattr(load_bare(file_name), "hf_" + model_type_of(file_name))
    skill = cls({}, {"mock": True})

    def helper(*a, **k):
        return None

    for extra in ((), (helper,) * 4, (helper,) * 5):
        assert len(skill.init_openvino("m", "text", "CPU", "openvino:0", *extra)) == 5


def test_queue_has_the_methods_the_host_uses():
    skill = getattr(load_bare(FILES[0]), "hf_" + model_type_of(FILES[0]))()
    queue = skill._queue(2)
    assert queue._maxsize == 2 and queue.empty() and queue.qsize() == 0
    queue.put_nowait("a")
    queue.put_nowait("b")
    with pytest.raises(asyncio.QueueFull):
        queue.put_nowait("c")

    async def drain():
        items = [await queue.get(), await queue.get()]
        queue.task_done()
        queue.task_done()
        return items

    assert asyncio.run(drain()) == ["a", "b"]
    assert queue.empty()
    assert skill._queue(0)._maxsize == 1  # AnyioQueue(0) is unbuffered: never hand it out


def test_package_load_uses_the_host_queue(host_package):
    skill = getattr(load_package(host_package, FILES[0]), "hf_" + model_type_of(FILES[0]))()
    assert type(skill._queue(1)).__module__ == "hostpkg.worker.anyio_queue"


class _Opaque:
    pass


@pytest.mark.parametrize("file_name", FILES)
def test_bad_inputs_come_back_as_error_dicts_and_never_raise(file_name):
    # Input validation runs before the model in every family, so mock mode exercises it too.
    cls = getattr(load_bare(file_name), "hf_" + model_type_of(file_name))
    skill = cls({}, {"mock": True})
    _, _, handler, _, _ = skill.init_cpu("m", "cpu", "cpu")
    for bad in (None, [], _Opaque(), [_Opaque()], 3.5):
        result = handler(bad)
        assert isinstance(result, dict) and "error" in result, (bad, result)
        assert result["implementation_type"] == "ERROR"
        json.dumps(result)
