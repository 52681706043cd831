#!/usr/bin/env python3
"""What a skillset folder adds to the host worker's import: ipfs_accelerate_py/worker/worker.py
exec()s every `hf_` file of its skillset/ folder, twice, in its own module namespace, whatever
models are used. This copies SKILLSET_DIR into a stand-in host package, imports its worker.py in a
fresh interpreter (no bytecode cache for exec'd text, as in the host), and reports the import time
minus that of the same worker over an empty skillset folder, plus the folder's size.

    python benches/worker_import.py SKILLSET_DIR [RUNS]

Medians over RUNS (default 5) fresh processes, interleaved with the empty-folder baseline.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

WORKER = '''
import os

_skillset_dir = os.path.join(os.path.dirname(__file__), "skillset")
for _pass in range(2):
    for _name in sorted(os.listdir(_skillset_dir)):
        if "hf_" in _name and _name.endswith(".py"):
            with open(os.path.join(_skillset_dir, _name), encoding="utf-8") as _f:
                exec(_f.read())
'''

TIMER = '''
import sys, time
sys.path.insert(0, sys.argv[1])
start = time.perf_counter()
import benchhost.worker.worker  # noqa: F401
print(time.perf_counter() - start)
'''


def host(root, source):
    worker = os.path.join(root, "benchhost", "worker")
    os.makedirs(worker)
    for d in (os.path.join(root, "benchhost"), worker):
        open(os.path.join(d, "__init__.py"), "w").close()
    with open(os.path.join(worker, "worker.py"), "w") as f:
        f.write(WORKER)
    skillset = os.path.join(worker, "skillset")
    if source:
        shutil.copytree(source, skillset, ignore=shutil.ignore_patterns("__pycache__", "*.tmp-skillgen"))
    else:
        os.makedirs(skillset)
    open(os.path.join(skillset, "__init__.py"), "a").close()
    return skillset


def size(folder):
    files, total = 0, 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith(".py"):
                files += 1
                total += os.path.getsize(os.path.join(dirpath, name))
    return files, total


def once(root):
    # -B: no bytecode written for the runtime either, so every run starts cold (the first worker
    # start on a host); a second start would reuse the runtime's __pycache__.
    out = subprocess.run([sys.executable, "-B", "-c", TIMER, root], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main():
    source = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as full_root, tempfile.TemporaryDirectory() as empty_root:
        skillset = host(full_root, source)
        host(empty_root, None)
        skillsets = len([n for n in os.listdir(skillset) if "hf_" in n and n.endswith(".py")])
        files, total = size(skillset)
        full, empty = [], []
        for _ in range(runs):
            full.append(once(full_root))
            empty.append(once(empty_root))
    added = [f - e for f, e in zip(full, empty)]
    print(
        "%s: %d skillsets, %d .py files, %.2f MB; worker import adds median %.3f s (%.3f-%.3f) over %.4f s bare, %d runs"
        % (source, skillsets, files, total / 1e6, statistics.median(added), min(added), max(added), statistics.median(empty), runs)
    )


if __name__ == "__main__":
    main()
