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

Every fixture is checked with a skillset: the default models.toml output's hf_<model_type>.py, or,
for a family the default models.toml does not name, the skillset its family test generates
(GENERATED: the same models.toml entry, generated here with the skillgen binary, SKILLGEN_BIN).
A fixture with neither is either listed in EXCLUDED with the reason, or a failure ("unmapped").

Exit status: 0 when every fixture matches; 1 when any endpoint errors, raises, falls back to
CPU, differs in a token/label/string or is out of tolerance; 2 when there is nothing to check (no
CUDA device, torch missing, no skillsets or fixtures): never a silent pass.
"""
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKILLSETS = os.environ.get("SKILLGEN_SKILLSETS", os.path.join(ROOT, "target", "test-output", "skillsets"))
FIXTURES = os.environ.get("SKILLGEN_FIXTURES", os.path.join(ROOT, "target", "test-fixtures"))
REL_TOL = 2e-2  # fp16 vs fp32, relative to the scale of each group of float leaves
BINARY = os.environ.get("SKILLGEN_BIN", os.path.join(ROOT, "target", "debug", "skillgen"))
METADATA = {"elapsed_time", "device", "hardware_label", "backend", "backend_note", "fallback", "implementation_type"}

sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
import expect  # noqa: E402  (tests/python/expect.py: the suite's result comparison helpers)

# Fixtures whose family the default models.toml does not name: the [[model]] entry (id, model_type
# and, where models.toml must name it, task) their family test generates
# (tests/python/test_<family>.py), so the same skillset is checked here.
GENERATED = {
    "apertus1p5-vision-tokenizer": ("test/apertus1p5_vision_tokenizer", "apertus1p5_vision_tokenizer"),
    "bark": ("suno/bark-small", "bark"),  # test_text_to_waveform.py
    "chameleon-vqgan": ("test/chameleon_vqgan", "chameleon_vqgan"),
    "codec-dac": ("test/dac", "dac"),
    "codec-encodec": ("test/encodec", "encodec"),
    "codec-mimi": ("test/mimi", "mimi"),
    "codec-mimi_decoder": ("test/mimi_decoder", "mimi_decoder"),  # test_audio_codec_halves.py
    "codec-mimi_encoder": ("test/mimi_encoder", "mimi_encoder"),  # test_audio_codec_halves.py
    "codec-pocket_tts_audio_tokenizer": ("test/pocket_tts_audio_tokenizer", "pocket_tts_audio_tokenizer"),
    "codec-pocket_tts_audio_tokenizer_decoder": ("test/pocket_tts_audio_tokenizer_decoder", "pocket_tts_audio_tokenizer_decoder"),
    "codec-pocket_tts_audio_tokenizer_encoder": ("test/pocket_tts_audio_tokenizer_encoder", "pocket_tts_audio_tokenizer_encoder"),
    "codec-vibevoice_acoustic_tokenizer": ("test/vibevoice_acoustic_tokenizer", "vibevoice_acoustic_tokenizer"),
    "codec-vibevoice_acoustic_tokenizer_decoder": ("test/vibevoice_acoustic_tokenizer_decoder", "vibevoice_acoustic_tokenizer_decoder"),
    "codec-vibevoice_acoustic_tokenizer_encoder": ("test/vibevoice_acoustic_tokenizer_encoder", "vibevoice_acoustic_tokenizer_encoder"),  # test_audio_codec_halves.py
    "codec-wavtokenizer": ("test/wavtokenizer", "wavtokenizer"),
    "codec-wavtokenizer_encoder": ("test/wavtokenizer_encoder", "wavtokenizer_encoder"),
    "codec-xcodec": ("test/xcodec", "xcodec"),
    "colmodernvbert": ("test/colmodernvbert", "colmodernvbert"),
    "colpali": ("test/colpali", "colpali"),
    "colqwen2": ("test/colqwen2", "colqwen2"),
    "decision-transformer": ("test/decision_transformer", "decision_transformer"),
    "dpr-context": ("test/dpr", "dpr"),  # test_dpr_gemma3n.py
    "dpr-question": ("test/dpr", "dpr"),  # test_dpr_gemma3n.py
    "emu3-vqgan": ("test/emu3_vqgan", "emu3_vqgan"),
    "flava-codebook": ("test/flava_image_codebook", "flava_image_codebook"),
    "gemma3n-audio": ("test/gemma3n_audio", "gemma3n_audio"),  # test_dpr_gemma3n.py
    "janus-vqgan": ("test/janus_vqgan", "janus_vqgan"),
    "layoutlm-docqa": ("impira/layoutlm-document-qa", "layoutlm"),  # test_document_qa.py
    "layoutlmv3-docqa": ("microsoft/layoutlmv3-base", "layoutlmv3", "document_question_answering"),  # test_document_qa_layoutlmv3.py
    "lightglue": ("test/lightglue", "lightglue"),
    "llava_next": ("test/llava_next", "llava_next"),
    "musicgen": ("facebook/musicgen-small", "musicgen"),  # test_text_to_waveform.py
    "musicgen-wide": ("facebook/musicgen-small", "musicgen"),  # test_text_to_waveform.py
    "patchtsmixer-cls": ("test/patchtsmixer", "patchtsmixer"),
    "patchtst-cls": ("test/patchtst", "patchtst"),
    "patchtst-reg": ("test/patchtst", "patchtst"),
    "pe-audio": ("test/pe_audio", "pe_audio"),
    "pp-ocrv6-rec": ("test/pp_ocrv6_small_rec", "pp_ocrv6_small_rec"),
    "sam": ("facebook/sam-vit-base", "sam"),  # test_mask_generation.py
    "sam-wide": ("facebook/sam-vit-base", "sam"),  # test_mask_generation.py
    "slanext": ("test/slanext", "slanext"),
    "superglue": ("test/superglue", "superglue"),
    "superpoint": ("test/superpoint", "superpoint"),
    "swin2sr": ("caidas/swin2SR-classical-sr-x2-64", "swin2sr"),  # test_image_to_image.py
    "tapas-wtq": ("google/tapas-base-finetuned-wtq", "tapas"),  # test_table_qa.py
    "timesfm": ("test/timesfm", "timesfm"),
    "timesfm2_5": ("test/timesfm2_5", "timesfm2_5"),
    "transducer-nemotron3_5_asr": ("test/nemotron3_5_asr", "nemotron3_5_asr"),
    "transducer-nemotron_asr_streaming": ("test/nemotron_asr_streaming", "nemotron_asr_streaming"),
    "transducer-parakeet_rnnt": ("test/parakeet_rnnt", "parakeet_rnnt"),
    "transducer-parakeet_tdt": ("test/parakeet_tdt", "parakeet_tdt"),
    "vilt-vqa": ("dandelin/vilt-b32-finetuned-vqa", "vilt"),  # test_visual_qa.py
    "vitmatte": ("test/vitmatte", "vitmatte"),
    "vitpose": ("test/vitpose", "vitpose"),
    "vits": ("facebook/mms-tts-eng", "vits"),  # test_text_to_waveform.py
    "vocoder-fastspeech2_conformer_hifigan": ("test/fastspeech2_conformer_hifigan", "fastspeech2_conformer_hifigan"),
    "vocoder-qwen2_5_omni_bigvgan": ("test/qwen2_5_omni_bigvgan", "qwen2_5_omni_bigvgan"),
    "vocoder-speecht5_hifigan": ("test/speecht5_hifigan", "speecht5_hifigan"),
    "vocoder-univnet": ("test/univnet", "univnet"),
}
# Fixtures not checked on CUDA, each with the reason.
EXCLUDED = {
    "dpr-reader": "a DPRReader checkpoint: the dpr skillset serves only DPR's encoders and refuses it (test_dpr_gemma3n.py checks the refusal)",
    "patchtst-forecast": "a PatchTSTForPrediction checkpoint: no auto table lists that head, so the patchtst skillset refuses it (test_time_series.py checks the refusal)",
}


def fixture_model_type(name):
    with open(os.path.join(FIXTURES, name, "config.json")) as f:
        return json.load(f).get("model_type")


def generate(entries, work):
    """The GENERATED skillsets for these fixtures, written by the skillgen binary into work/out:
    {fixture: skillsets folder}. Raises RuntimeError when the binary is missing or fails."""
    if not os.path.isfile(BINARY):
        raise RuntimeError(f"no skillgen binary at {BINARY} (cargo build, or set SKILLGEN_BIN)")
    models = os.path.join(work, "models.toml")
    with open(models, "w") as f:
        f.writelines(f'[[model]]\nid = "{entry[0]}"\nmodel_type = "{entry[1]}"\n' + (f'task = "{entry[2]}"\n' if len(entry) > 2 else "") + "\n"
                     for entry in sorted(set(entries.values())))
    os.makedirs(os.path.join(work, "autoconfigs"), exist_ok=True)
    out = os.path.join(work, "out")
    done = subprocess.run([BINARY, "generate", "--models", models, "--autoconfigs", os.path.join(work, "autoconfigs"), "--out", out],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError("skillgen generate failed: " + (done.stderr or done.stdout).strip()[-300:])
    return {name: os.path.join(out, "skillsets") for name in entries}


def plan(names, work):
    """[(fixture, model_type, skillsets folder or None, why not checked or None)] for every fixture:
    its default skillset, its GENERATED one, its EXCLUDED reason, or "unmapped" (a failure)."""
    names = [n for n in (names or sorted(os.listdir(FIXTURES))) if os.path.isfile(os.path.join(FIXTURES, n, "config.json"))]
    wanted = {n: GENERATED[n] for n in names if n in GENERATED and n not in EXCLUDED}
    folders = generate(wanted, work) if wanted else {}
    rows = []
    for name in names:
        model_type = str(fixture_model_type(name))
        if name in EXCLUDED:
            rows.append((name, model_type, None, "excluded: " + EXCLUDED[name]))
            continue
        folder = folders.get(name, SKILLSETS)
        if name in GENERATED:
            model_type = GENERATED[name][1]
        if os.path.isfile(os.path.join(folder, "hf_" + model_type + ".py")):
            rows.append((name, model_type, folder, None))
        else:
            rows.append((name, model_type, None, f"unmapped: no hf_{model_type}.py in {folder}, and the fixture is in neither GENERATED nor EXCLUDED"))
    return rows


def load_class(model_type, folder=None):
    path = os.path.join(folder or SKILLSETS, "hf_" + model_type + ".py")
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
    if not os.path.isdir(SKILLSETS) or not os.path.isdir(FIXTURES):
        print("cuda_check: need generated skillsets at %s and fixtures at %s (bash tests/cuda_check.sh builds both)" % (SKILLSETS, FIXTURES))
        return 2
    with tempfile.TemporaryDirectory(prefix="cuda_check-") as work:
        return check(names, work)


def check(names, work):
    try:
        fixtures = plan(names, work)
    except RuntimeError as e:
        print(f"cuda_check: {e}: nothing checked")
        return 2
    unmapped = [(name, why) for name, _, _, why in fixtures if why and why.startswith("unmapped")]
    default = sum(1 for f in fixtures if f[2] == SKILLSETS)
    generated = sum(1 for f in fixtures if f[2] not in (None, SKILLSETS))
    excluded = sum(1 for f in fixtures if f[3] and f[3].startswith("excluded"))
    print(f"cuda_check: {len(fixtures)} fixtures: {default} with a default skillset, {generated} generated (GENERATED), "
          f"{excluded} excluded (EXCLUDED), {len(unmapped)} unmapped")
    for name, why in unmapped:
        print(f"cuda_check: FAIL {name}: {why}")
    try:
        import torch
        import transformers
    except Exception as e:
        print("cuda_check: torch/transformers not importable (%s): nothing checked" % e)
        return 1 if unmapped else 2
    if not torch.cuda.is_available():
        print("cuda_check: torch reports no CUDA device on this machine: nothing checked (run it on a GPU machine)")
        return 1 if unmapped else 2
    print("cuda_check: %s, torch %s, transformers %s" % (torch.cuda.get_device_name(0), torch.__version__, transformers.__version__))
    rows, failed = [], 0
    for name, model_type, folder, why in fixtures:
        if why:
            rows.append((name, model_type, "-", "-", "-", "-", "-", "-", ("FAIL: " if why.startswith("unmapped") else "") + why))
            failed += why.startswith("unmapped")
            continue
        path = os.path.join(FIXTURES, name)
        res = {"torch": torch, "transformers": transformers}
        try:
            cls = load_class(model_type, folder)
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
    print(f"cuda_check: {len(rows) - excluded} checked, {excluded} excluded, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
