"""CUDA check for a GPU machine: every fixture model's init_cuda endpoint against the same
skillset's init_cpu endpoint on the family's sample input, printed as a table.

    bash tests/cuda_check.sh                      # builds the skillsets and fixtures, then this
    SKILLGEN_SKILLSETS=target/test-output/skillsets SKILLGEN_FIXTURES=target/test-fixtures \\
        tests/python-env.sh python tests/cuda_check.py [fixture ...]

Every leaf of the two results is compared (tests/python/expect.py's leaves: tensors as lists):
- strings, labels, ids, token ids, counts and lengths must be equal: any token divergence fails;
- floats (embeddings, logits, scores, boxes, waveforms) must be finite on both sides and within
  REL_TOL of their group's scale: the largest |CPU value| among the leaves of the same key path
  with indices left out (all "/detections/*/*/box/*" together, all ".../score" together), so a
  box's pixels and a probability each get a tolerance of their own size;
- the GPU result must have exactly the CPU result's keys, ran on CUDA (no fallback) and no error.
Models run in fp16 on the GPU where the family sets HALF_PRECISION, hence REL_TOL 2e-2.

Exit status: 0 when every fixture matches; 1 when any endpoint errors, raises, falls back to
CPU, differs in a token/label/string or is out of tolerance; 2 when there is nothing to check (no
CUDA device, torch missing, no skillsets or fixtures): never a silent pass.
"""
import importlib.util
import json
import math
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKILLSETS = os.environ.get("SKILLGEN_SKILLSETS", os.path.join(ROOT, "target", "test-output", "skillsets"))
FIXTURES = os.environ.get("SKILLGEN_FIXTURES", os.path.join(ROOT, "target", "test-fixtures"))
REL_TOL = 2e-2  # fp16 vs fp32, relative to the scale of each group of float leaves
METADATA = {"elapsed_time", "device", "hardware_label", "backend", "backend_note", "fallback", "implementation_type"}

sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
import expect  # noqa: E402  (tests/python/expect.py: the suite's result comparison helpers)


def load_class(model_type):
    path = os.path.join(SKILLSETS, "hf_" + model_type + ".py")
    spec = importlib.util.spec_from_file_location("hf_" + model_type, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "hf_" + model_type)


def leaves(value):
    """(path, value) for every leaf of a result: tensors as lists, top-level metadata left out."""
    return expect.leaves(value, skip=METADATA)


def group_of(path):
    return re.sub(r"/\d+(?=/|$)", "/*", path)


def compare(cpu, gpu):
    """(max relative float difference, token verdict, problems): every leaf compared."""
    a, b = dict(leaves(cpu)), dict(leaves(gpu))
    problems = []
    extra = sorted(set(b) - set(a))
    if extra:
        problems.append("keys only on GPU: " + ", ".join(extra[:3]))
    tokens = "diverged" if any("token_ids" in key for key in extra) else "-"
    scales = {}
    for key, want in a.items():
        if isinstance(want, float) and math.isfinite(want):
            group = group_of(key)
            scales[group] = max(scales.get(group, 0.0), abs(want))
    worst, mismatched = 0.0, []
    for key, want in a.items():
        if key not in b:
            problems.append("missing on GPU: " + key)
            tokens = "diverged" if "token_ids" in key else tokens
            continue
        got = b[key]
        if "token_ids" in key:
            tokens = "equal" if tokens in ("-", "equal") and got == want else tokens
        if isinstance(want, float):
            if not (isinstance(got, (int, float)) and not isinstance(got, bool)):
                problems.append(key + ": %r on GPU, %r on CPU" % (got, want))
            elif not (math.isfinite(want) and math.isfinite(got)):
                problems.append(key + ": not finite (GPU %r, CPU %r)" % (got, want))
            else:
                scale = scales.get(group_of(key), 0.0) or 1.0
                worst = max(worst, abs(got - want) / scale)
        elif got != want:
            mismatched.append(key)
            if "token_ids" in key:
                tokens = "diverged"
    if mismatched:
        problems.append("%d leaves differ (tokens, labels, strings or counts), first %s: GPU %r, CPU %r"
                        % (len(mismatched), mismatched[0], b[mismatched[0]], a[mismatched[0]]))
    if worst > REL_TOL:
        problems.append("max rel diff %.3g > %g" % (worst, REL_TOL))
    return worst, tokens, problems


def main(names):
    try:
        import torch
        import transformers
    except Exception as e:
        print("cuda_check: torch/transformers not importable (%s): nothing checked" % e)
        return 2
    if not torch.cuda.is_available():
        print("cuda_check: torch reports no CUDA device on this machine: nothing checked (run it on a GPU machine)")
        return 2
    if not os.path.isdir(SKILLSETS) or not os.path.isdir(FIXTURES):
        print("cuda_check: need generated skillsets at %s and fixtures at %s (bash tests/cuda_check.sh builds both)" % (SKILLSETS, FIXTURES))
        return 2
    print("cuda_check: %s, torch %s, transformers %s" % (torch.cuda.get_device_name(0), torch.__version__, transformers.__version__))
    rows, failed = [], 0
    for name in names or sorted(os.listdir(FIXTURES)):
        config_path = os.path.join(FIXTURES, name, "config.json")
        if not os.path.isfile(config_path):
            continue
        with open(config_path) as f:
            model_type = json.load(f).get("model_type")
        if not os.path.isfile(os.path.join(SKILLSETS, "hf_" + str(model_type) + ".py")):
            rows.append((name, str(model_type), "-", "-", "-", "-", "-", "-", "FAIL: no skillset for this fixture"))
            failed += 1
            continue
        path = os.path.join(FIXTURES, name)
        cls = load_class(model_type)
        res = {"torch": torch, "transformers": transformers}
        try:
            cpu_skill, gpu_skill = cls(res, {}), cls(res, {})
            _, _, cpu_handler, _, _ = cpu_skill.init_cpu(path, "cpu", "cpu")
            _, _, gpu_handler, _, batch = gpu_skill.init_cuda(path, "cuda:0", "cuda:0")
            sample = cpu_skill._sample_input(cpu_handler.task)
            start = time.time()
            cpu = cpu_handler(sample)
            cpu_s = time.time() - start
            gpu_handler(sample)  # warm-up (kernels, allocator)
            torch.cuda.synchronize()
            start = time.time()
            gpu = gpu_handler(sample)
            torch.cuda.synchronize()
            gpu_s = time.time() - start
        except Exception as e:  # a skillset must not raise: that is a failure too
            rows.append((name, model_type, "-", "-", "-", "-", "-", "-", "FAIL raised " + type(e).__name__ + ": " + str(e)[:60]))
            failed += 1
            continue
        if "error" in cpu or "error" in gpu:
            problems = ["error: " + str(cpu.get("error") or gpu.get("error"))[:80]]
            worst, tokens = float("nan"), "-"
        else:
            worst, tokens, problems = compare(cpu, gpu)
        if gpu.get("fallback") or not str(gpu.get("device", "")).startswith("cuda"):
            problems.append("not on CUDA: " + str(gpu.get("fallback") or gpu.get("device")))
        if cpu.get("implementation_type") != "REAL" or gpu.get("implementation_type") != "REAL":
            problems.append("implementation_type CPU %s, GPU %s" % (cpu.get("implementation_type"), gpu.get("implementation_type")))
        failed += bool(problems)
        rows.append((name, model_type, cpu_handler.task, str(gpu.get("device")), "%.2e" % worst, tokens,
                     "%.1f/%.1f" % (cpu_s * 1000, gpu_s * 1000), str(batch), "ok" if not problems else "FAIL " + "; ".join(problems)))
    if not rows:
        print("cuda_check: no fixture matched %r: nothing checked" % (names,))
        return 2
    header = ("fixture", "model_type", "task", "device", "max rel diff", "tokens", "cpu/gpu ms", "batch", "verdict")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header) - 1)]
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    print("cuda_check: %d checked, %d failed" % (len(rows), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
