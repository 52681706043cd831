"""CUDA check for a GPU machine: every fixture model's init_cuda endpoint against the same
skillset's init_cpu endpoint on the family's sample input, printed as a table.

    SKILLGEN_SKILLSETS=target/test-output/skillsets SKILLGEN_FIXTURES=target/test-fixtures \\
        python tests/cuda_check.py [fixture ...]

Models run in fp16 on the GPU (the families' HALF_PRECISION), so floats are compared with a
tolerance relative to the output's scale (REL_TOL); generated token ids are compared exactly and a
divergence is reported (tiny random-weight models have near-tied logits, so fp16 may pick another
token: counted as "diverged", not a failure, when the first generated token agrees). Exits 0 with
a message where torch sees no CUDA device; 1 when any endpoint errors, falls back to CPU or is
out of tolerance."""
import importlib.util
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKILLSETS = os.environ.get("SKILLGEN_SKILLSETS", os.path.join(ROOT, "target", "test-output", "skillsets"))
FIXTURES = os.environ.get("SKILLGEN_FIXTURES", os.path.join(ROOT, "target", "test-fixtures"))
REL_TOL = 2e-2  # fp16 vs fp32, relative to max |cpu value|
SKIP_KEYS = {"elapsed_time", "device", "hardware_label", "backend", "backend_note", "fallback", "implementation_type", "task"}


def load_class(model_type):
    path = os.path.join(SKILLSETS, "hf_" + model_type + ".py")
    spec = importlib.util.spec_from_file_location("hf_" + model_type, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "hf_" + model_type)


def leaves(value, prefix=""):
    """(path, value) for every tensor/number/str leaf of a result."""
    if hasattr(value, "detach"):
        value = value.detach().float().cpu().tolist()
    if isinstance(value, dict):
        for k, v in value.items():
            if prefix or k not in SKIP_KEYS:
                yield from leaves(v, prefix + "/" + str(k))
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        yield prefix, list(value)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from leaves(v, prefix + "/" + str(i))
    else:
        yield prefix, value


def compare(cpu, gpu):
    """(max relative float diff, token verdict, problems)."""
    a, b = dict(leaves(cpu)), dict(leaves(gpu))
    worst, tokens, problems = 0.0, "-", []
    for key, want in a.items():
        if key not in b:
            problems.append("missing " + key)
            continue
        got = b[key]
        if "token_ids" in key:
            if got == want:
                tokens = "equal" if tokens in ("-", "equal") else tokens
            elif got[:1] == want[:1]:
                tokens = "diverged"
            else:
                tokens = "first differs"
                problems.append(key + " first token differs")
        elif isinstance(want, list) and want and all(isinstance(v, float) for v in want):
            if len(got) != len(want):
                problems.append(key + " shape")
                continue
            scale = max(1e-6, max(abs(v) for v in want))
            worst = max(worst, max(abs(x - y) for x, y in zip(got, want)) / scale)
    if worst > REL_TOL:
        problems.append("max rel diff %.3g > %g" % (worst, REL_TOL))
    return worst, tokens, problems


def main(names):
    try:
        import torch
        import transformers
    except Exception as e:
        print("cuda_check: torch/transformers not importable (%s); nothing to check" % e)
        return 0
    if not torch.cuda.is_available():
        print("cuda_check: torch reports no CUDA device on this machine; nothing to check (run it on a GPU machine)")
        return 0
    if not os.path.isdir(SKILLSETS) or not os.path.isdir(FIXTURES):
        print("cuda_check: need generated skillsets at %s and fixtures at %s" % (SKILLSETS, FIXTURES))
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
            rows.append((name, str(model_type), "-", "-", "-", "-", "-", "-", "SKIP: no skillset"))
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
        problems = []
        if "error" in cpu or "error" in gpu:
            problems.append("error: " + str(cpu.get("error") or gpu.get("error"))[:80])
            worst, tokens = float("nan"), "-"
        else:
            worst, tokens, problems = compare(cpu, gpu)
        if gpu.get("fallback") or not str(gpu.get("device", "")).startswith("cuda"):
            problems.append("not on CUDA: " + str(gpu.get("fallback") or gpu.get("device")))
        failed += bool(problems)
        rows.append((name, model_type, cpu_handler.task, str(gpu.get("device")), "%.2e" % worst, tokens,
                     "%.1f/%.1f" % (cpu_s * 1000, gpu_s * 1000), str(batch), "ok" if not problems else "FAIL " + "; ".join(problems)))
    header = ("fixture", "model_type", "task", "device", "max rel diff", "tokens", "cpu/gpu ms", "batch", "verdict")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header) - 1)]
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    print("cuda_check: %d checked, %d failed" % (len(rows), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
