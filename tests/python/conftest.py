"""Shared fixtures: where the generated skillsets and the tiny fixture models are, the three
ways the host loads a skillset file (package submodule, bare file, exec into globals), and
skillsets generated for one model with the built binary (`generated_skillset`)."""
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKILLSETS = os.environ.get("SKILLGEN_SKILLSETS", os.path.join(ROOT, "target", "test-output", "skillsets"))
FIXTURES = os.environ.get("SKILLGEN_FIXTURES", os.path.join(ROOT, "target", "test-fixtures"))
# The built binary: SKILLGEN_BIN, else cargo's debug build (CARGO_TARGET_DIR when set).
BINARY = os.environ.get("SKILLGEN_BIN") or os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "debug", "skillgen")


# ---- skips fail the run unless listed here, with a reason that holds on this machine ----------


def _torch_reports(what):
    import torch

    return torch.cuda.is_available() if what == "cuda" else torch.backends.mps.is_available()


# (start of the skip reason, why it is allowed, the check that it holds here)
ALLOWED_SKIPS = [
    ("a GPU is present", "the CPU-fallback tests of init_cuda/init_rocm need a machine without CUDA", lambda: _torch_reports("cuda")),
    ("MPS is present", "the CPU-fallback tests of init_apple need a machine without MPS", lambda: _torch_reports("mps")),
    ("SKILLGEN_COVERAGE not set", "tests/run.sh sets it; a partial run by hand may not", lambda: not os.environ.get("SKILLGEN_COVERAGE")),
]
_UNEXPLAINED = []


def _skip_reason(report):
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason


def pytest_collectreport(report):
    # A module-level skip (pytest.importorskip at import) is a collection report, not a test's.
    pytest_runtest_logreport(report)


def pytest_runtest_logreport(report):
    if not report.skipped:
        return
    reason = "xfail" if hasattr(report, "wasxfail") else _skip_reason(report)
    for start, _, holds in ALLOWED_SKIPS:
        if reason.startswith(start) and holds():
            return
    _UNEXPLAINED.append((report.nodeid, reason))


def pytest_terminal_summary(terminalreporter):
    if _UNEXPLAINED:
        terminalreporter.section("skips that fail this run (not in conftest.ALLOWED_SKIPS, or their reason does not hold here)")
        for nodeid, reason in _UNEXPLAINED:
            terminalreporter.line(nodeid + ": " + reason)


def pytest_sessionfinish(session, exitstatus):
    if _UNEXPLAINED and session.exitstatus == 0:
        session.exitstatus = 1


def skillset_files():
    if not os.path.isdir(SKILLSETS):
        raise RuntimeError("no generated skillsets at " + SKILLSETS + "; run tests/run.sh")
    return sorted(f for f in os.listdir(SKILLSETS) if f.startswith("hf_") and f.endswith(".py"))


def model_type_of(file_name):
    return file_name[len("hf_"):-len(".py")]


def load_bare(file_name):
    """The host's spec_from_file_location path: no parent package."""
    mt = model_type_of(file_name)
    spec = importlib.util.spec_from_file_location("hf_" + mt, os.path.join(SKILLSETS, file_name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def worker_namespace(worker_dir, package="hostpkg.worker"):
    """A module namespace like worker.py's own: the real worker exec()s every skillset inside it,
    so __file__ is worker.py (beside the skillset/ folder) and __package__ the worker package."""
    return {
        "__name__": package + ".worker",
        "__package__": package,
        "__file__": os.path.join(str(worker_dir), "worker.py"),
        "__builtins__": __builtins__,
    }


def load_exec(file_name, worker_dir, namespace=None):
    """The host's exec-into-globals path: the file's text exec()'d in worker.py's namespace."""
    namespace = worker_namespace(worker_dir) if namespace is None else namespace
    path = os.path.join(str(worker_dir), "skillset", file_name)
    with open(path, encoding="utf-8") as f:
        exec(compile(f.read(), path, "exec"), namespace)
    return namespace


ANYIO_QUEUE = '''
import anyio

class AnyioQueue:
    """Test double with the host AnyioQueue's surface."""
    def __init__(self, maxsize=0):
        self._maxsize = maxsize
        self.send, self.recv = anyio.create_memory_object_stream(max_buffer_size=maxsize)
        self._count = 0
    def qsize(self):
        return self._count
    def empty(self):
        return self._count == 0
    def put_nowait(self, item):
        self.send.send_nowait(item)
        self._count += 1
    async def get(self):
        item = await self.recv.receive()
        self._count -= 1
        return item
    def task_done(self):
        pass
'''


@pytest.fixture(scope="session")
def host_package(tmp_path_factory):
    """A stand-in host package `hostpkg.worker.skillset` holding every generated file, with the
    host's `worker/anyio_queue.py`, so `from ..anyio_queue import AnyioQueue` resolves."""
    root = tmp_path_factory.mktemp("host")
    skill = root / "hostpkg" / "worker" / "skillset"
    skill.mkdir(parents=True)
    (root / "hostpkg" / "__init__.py").write_text("")
    (root / "hostpkg" / "worker" / "__init__.py").write_text("")
    (root / "hostpkg" / "worker" / "anyio_queue.py").write_text(ANYIO_QUEUE)
    (skill / "__init__.py").write_text("")
    for f in skillset_files():
        shutil.copy(os.path.join(SKILLSETS, f), skill / f)
    shutil.copytree(os.path.join(SKILLSETS, "skillgen_runtime"), skill / "skillgen_runtime", ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(root))
    yield "hostpkg.worker.skillset"
    sys.path.remove(str(root))


def host_worker_dir(package):
    """The worker folder of the stand-in host package (where worker.py would be)."""
    return os.path.dirname(importlib.import_module(package.rsplit(".", 1)[0]).__file__)


def load_package(package, file_name):
    """The host's package-submodule path (a hyphenated file name is still a valid module name
    for import_module, which is how the host's loader reaches it)."""
    return importlib.import_module(package + "." + file_name[:-3])


@pytest.fixture(scope="session")
def fixtures():
    if not os.path.isdir(FIXTURES):
        raise RuntimeError("no fixture models at " + FIXTURES + "; run tests/run.sh")
    return FIXTURES


def generate_skillset(folder, model_id, model_type):
    """The skillset class of `model_type`, generated with the built binary into `folder` from a
    models.toml naming only `model_id` and its model_type (no cached config: the model types
    outside the default models.toml). The runtime beside it is the one under test: with
    SKILLGEN_SKILLSETS set, a copy of that folder's skillgen_runtime/ (so the mutation check's
    broken copy is what runs), else the one the binary vendors."""
    folder = str(folder)
    models = os.path.join(folder, "models.toml")
    with open(models, "w", encoding="utf-8") as f:
        f.write('[[model]]\nid = "%s"\nmodel_type = "%s"\n' % (model_id, model_type))
    os.makedirs(os.path.join(folder, "autoconfigs"), exist_ok=True)
    out = os.path.join(folder, "out")
    run = subprocess.run([BINARY, "generate", "--models", models, "--autoconfigs", os.path.join(folder, "autoconfigs"), "--out", out],
                         capture_output=True, text=True)
    assert run.returncode == 0, "skillgen generate failed: " + run.stderr[-2000:]
    skillsets = os.path.join(out, "skillsets")
    if os.environ.get("SKILLGEN_SKILLSETS"):
        shutil.rmtree(os.path.join(skillsets, "skillgen_runtime"))
        shutil.copytree(os.path.join(SKILLSETS, "skillgen_runtime"), os.path.join(skillsets, "skillgen_runtime"),
                        ignore=shutil.ignore_patterns("__pycache__"))
    name = "hf_" + model_type
    spec = importlib.util.spec_from_file_location(name, os.path.join(skillsets, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name.replace("-", "_"))


@pytest.fixture(scope="session")
def generated_skillset(tmp_path_factory):
    """generated_skillset(model_id, model_type) -> the skillset class (generate_skillset), made
    once per session."""
    made = {}

    def make(model_id, model_type):
        if (model_id, model_type) not in made:
            made[model_id, model_type] = generate_skillset(tmp_path_factory.mktemp(model_type), model_id, model_type)
        return made[model_id, model_type]

    return make


@pytest.fixture(scope="session")
def cpu_handler(generated_skillset, fixtures):
    """cpu_handler(model_id, model_type, fixture) -> (skill, handler, fixture path): the skillset
    generated for that models.toml entry, constructed as the host does, and its init_cpu handler on
    the tiny fixture."""
    import torch
    import transformers

    def make(model_id, model_type, fixture):
        skill = generated_skillset(model_id, model_type)({"torch": torch, "transformers": transformers}, {})
        path = os.path.join(fixtures, fixture)
        _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
        return skill, handler, path

    return make
