#!/usr/bin/env python3
"""Mutation check: breaks the generated skillsets on purpose, family by family, and runs that
family's tests against each broken copy. Every mutant must be killed (some test fails).

    tests/python-env.sh python tests/mutation_check.py --skillsets DIR --fixtures DIR [--work DIR]
        [--family NAME ...] [--mutant NAME ...] [--jobs N] [--list]

(tests/mutation_check.sh builds the skillsets and fixtures and calls this.) For each family it
copies the generated skillsets (thin files + skillgen_runtime/) into WORK/<family>/<mutant>/,
appends one breakage to the copy's skillgen_runtime/families/<family>.py (a wrapper around one
method of the family class: the working tree's python/ sources are never touched), checks that
the broken class loads and carries the mutant, and runs the family's tests (SELECTIONS) with
SKILLGEN_SKILLSETS pointing at the copy. Before the mutants, the same tests must pass on an
unbroken copy (the baseline), without skips. One worker process per family runs its baseline
and mutants with pytest.main() in-process (torch is imported once per family).

The breakages (MUTANTS) are the ones an audit of the suite used: ignore the input (zeros for
pixels/audio features, a fixed text for text), swap batch rows, truncate generation, drop a label
or box, return silence, skip the processor's normalisation; and for the tasks issue 12 added:
ignore the prompt / boxes / question, drop a mask, image or answer, a span off by one, long
contexts without their windows or overlap, candidate labels mixed up. One mutant per entry
(constant_mutant: ignore_input, else ignore_text, or the one CONSTANT names) makes the skillset's
output constant with respect to its input; for it every selected test must fail, not just one (a
test that passes against a constant output shows nothing). Entries that are a task of another
family put their mutants into that family's module (RUNTIME_FAMILY).

Prints one line per mutant (killed by which test and why, or SURVIVED) and, last,
"N killed, M survived". Exit status 0 only when every mutant is killed and every baseline passed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests", "python")

# ---- what each mutant does, as code appended to the family module (class name in {cls}) -------

PRELUDE = '''

# ---- skillgen mutation check: mutant {name!r} -----------------------------------------------
def _mutant_wrap(cls, method, make):
    original = getattr(cls, method)
    setattr(cls, method, make(original))
    cls._SKILLGEN_MUTANT = {name!r}


# Pixels, audio, spectrograms (vocoders), series (time_series), trajectories (decision transformer).
MEDIA_KEYS = ("pixel_values", "input_features", "input_values", "spectrograms", "past_values", "series", "states", "actions", "returns_to_go")


def _mutant_zero_media(value):
    """Zeroes the model's media tensors (pixels, audio features) wherever they sit in the inputs."""
    if hasattr(value, "keys") and not hasattr(value, "shape"):
        for key in list(value.keys()):
            item = value[key]
            if key in MEDIA_KEYS and hasattr(item, "is_floating_point"):
                value[key] = item * 0
            elif key in MEDIA_KEYS and isinstance(item, list) and all(hasattr(v, "is_floating_point") for v in item):
                value[key] = [v * 0 for v in item]  # one tensor per input (series, spectrograms)
            else:
                _mutant_zero_media(item)
    elif isinstance(value, (list, tuple)):  # per-input encodings (image_to_image, mask_generation)
        for item in value:
            _mutant_zero_media(item)
'''

# A processor step switched off for one call (do_normalize, do_rescale).
SKIP_STEP = '''
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        parts = [p for p in (processor, getattr(processor, "image_processor", None), getattr(processor, "feature_extractor", None))
                 if p is not None and getattr(p, "STEP", None) is True]
        assert parts, "mutant: this processor has no STEP step"
        for part in parts:
            part.STEP = False
        try:
            return original(self, task, processor, batch, options, device, model)
        finally:
            for part in parts:
                part.STEP = True
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
'''

MUTANTS = {
    "ignore_input": (
        "ignores the input: pixels / audio / spectrograms / series / trajectories zeroed after preprocessing",
        '''
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        inputs = original(self, task, processor, batch, options, device, model)
        _mutant_zero_media(inputs)
        return inputs
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "ignore_text": (
        "ignores the input text: every text / prompt / conversation replaced by a fixed one",
        '''
def _mutant_fixed(item):
    if isinstance(item, str):
        return "the"
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], list):  # table QA: (columns, queries)
        return (item[0], ["the"] * len(item[1]))
    if isinstance(item, tuple):  # pairs: (image, question), (question, context), (question, words, boxes)
        return tuple("the" if isinstance(v, str) else v for v in item)
    if isinstance(item, list):  # a chat conversation
        return [{{"role": "user", "content": "the"}}]
    if isinstance(item, dict):  # image_text_to_text items
        item = dict(item)
        if "prompt" in item:
            item["prompt"] = "the"
        if "messages" in item:
            item["messages"] = [{{"role": "user", "content": [{{"type": "image"}}] * len(item["images"]) + [{{"type": "text", "text": "the"}}]}}]
        return item
    return item


def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        if isinstance(batch, dict):  # dual encoders, video: {{media, "texts"}}
            batch = dict(batch)
            if batch.get("texts") is not None:
                batch["texts"] = ["the"] * len(batch["texts"])
        else:
            batch = [_mutant_fixed(item) for item in batch]
        if options.get("prompt"):  # image_to_text keeps its prompt in the options
            options = dict(options, prompt="the")
        return original(self, task, processor, batch, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "swap_rows": (
        "swaps batch rows: every per-input output of a batch in reverse order",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        n = result.get("count")
        for key, value in list(result.items()):
            if key in ("image_sizes", "truncated", "count") or not isinstance(n, int) or n < 2:
                continue
            if hasattr(value, "flip") and getattr(value, "ndim", 0) >= 1 and value.shape[0] == n:
                result[key] = value.flip(0)
            elif isinstance(value, list) and len(value) == n:
                result[key] = value[::-1]
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "truncate_generation": (
        "truncates generation: generate() runs with at most 2 new tokens (options still reported as asked)",
        '''
def _make(original):
    def _forward(self, task, model, inputs, options):
        inputs = dict(inputs)
        generation = dict(inputs["generation"])
        generation["max_new_tokens"] = min(2, generation.get("max_new_tokens") or 2)
        inputs["generation"] = generation
        return original(self, task, model, inputs, options)
    return _forward


_mutant_wrap({cls}, "_forward", _make)
''',
    ),
    "drop_label": (
        "drops a label, box or answer: the last prediction / detection / label present / mask token / answer of every input",
        '''
def _mutant_drop(rows):
    out = []
    for row in rows:
        if isinstance(row, list) and row and all(isinstance(m, dict) and "tokens" in m for m in row):
            row = [dict(m, tokens=m["tokens"][:-1]) for m in row]  # fill-mask: per mask position
        elif isinstance(row, list):
            row = row[:-1]
        elif isinstance(row, dict) and isinstance(row.get("labels"), list):  # zero-shot classification
            row = dict(row, labels=row["labels"][:-1], scores=row["scores"][:-1])
        out.append(row)
    return out


def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        for key in ("predictions", "detections", "labels", "answers"):
            if isinstance(result.get(key), list):
                result[key] = _mutant_drop(result[key])
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "drop_cell": (
        "drops a cell: the last selected cell (and its coordinates) of every table QA answer",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        for answer in result.get("answers") or []:
            if isinstance(answer, dict) and answer.get("cells"):
                answer["cells"] = answer["cells"][:-1]
                answer["coordinates"] = answer["coordinates"][:-1]
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "drop_character": (
        "drops a label: the last character of every transcription",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        if isinstance(result.get("text"), list):
            result["text"] = [text[:-1] for text in result["text"]]
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "silence": (
        "returns silence: every waveform all zeros (lengths kept)",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        if "audio" in result:  # audio_codec returns audio only when asked to reconstruct
            result["audio"] = result["audio"] * 0
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "truncate_audio": (
        "truncates the audio: every waveform cut to its first half",
        '''
def _make(original):
    def _forward(self, task, model, inputs, options):
        outputs = original(self, task, model, inputs, options)
        outputs["waves"] = [wave.reshape(-1)[: max(1, wave.numel() // 2)] for wave in outputs["waves"]]
        return outputs
    return _forward


_mutant_wrap({cls}, "_forward", _make)
''',
    ),
    "skip_normalization": (
        "skips the processor's normalisation (do_normalize off on the image processor / feature extractor)",
        SKIP_STEP.replace("STEP", "do_normalize"),
    ),
    "skip_rescale": (
        "skips the processor's rescaling of pixel values to [0, 1] (do_rescale off; for processors without do_normalize)",
        SKIP_STEP.replace("STEP", "do_rescale"),
    ),
    "skip_l2_normalization": (
        "skips the L2 normalisation of embeddings (the normalize option read as false)",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        return original(self, task, model, processor, inputs, outputs, single, dict(options, normalize=False))
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "ignore_prompt": (
        "ignores the prompt: every point / box prompt replaced by a fixed one (mask generation)",
        '''
def _mutant_fixed_prompt(prompt):
    prompt = dict(prompt)
    if "points" in prompt:
        prompt["points"], prompt["labels"] = [[8.0, 8.0]] * len(prompt["points"]), [1] * len(prompt["points"])
    if "boxes" in prompt:
        prompt["boxes"] = [[0.0, 0.0, 16.0, 16.0]] * len(prompt["boxes"])
    return prompt


def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        return original(self, task, processor, [(image, _mutant_fixed_prompt(p)) for image, p in batch], options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "swap_xy": (
        "swaps x and y of every point and box corner (mask generation)",
        '''
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        swapped = []
        for image, prompt in batch:
            prompt = dict(prompt)
            if "points" in prompt:
                prompt["points"] = [[y, x] for x, y in prompt["points"]]
            if "boxes" in prompt:
                prompt["boxes"] = [[y0, x0, y1, x1] for x0, y0, x1, y1 in prompt["boxes"]]
            swapped.append((image, prompt))
        return original(self, task, processor, swapped, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "drop_mask": (
        "drops a mask: the last mask (and its score) of every prompt",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        result["masks"] = [masks[:, :-1] for masks in result["masks"]]
        result["scores"] = [scores[:, :-1] for scores in result["scores"]]
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "drop_image": (
        "drops an output: the last image of every batch (count and sizes kept)",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        result["images"] = result["images"][:-1]
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "ignore_boxes": (
        "ignores the page layout: every word box zeroed (document question answering)",
        '''
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        inputs = original(self, task, processor, batch, options, device, model)
        for span in inputs.get("spans", ()):
            if "bbox" in span.get("feed", {{}}):
                span["feed"]["bbox"] = span["feed"]["bbox"] * 0
        return inputs
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "ignore_document": (
        "ignores the whole input: question, words and boxes replaced by fixed ones, the page image dropped (document question answering)",
        '''
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        batch = [("the", ["the"] * len(words), [[0, 0, 10, 10]] * len(boxes), None) for _, words, boxes, _ in batch]
        return original(self, task, processor, batch, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "misread_page": (
        "misreads the page: the first word (and its box) OCR reads is dropped (document question answering from an image)",
        '''
def _make(original):
    def _ocr(self, image, x):
        words, boxes = original(self, image, x)
        return words[1:], boxes[1:]
    return _ocr


_mutant_wrap({cls}, "_ocr", _make)
''',
    ),
    "wrong_span": (
        "wrong span: every answer span ends one token later (start..end+1)",
        '''
def _make(original):
    def _best_spans(self, p_start, p_end, allowed, top_k, max_answer_len):
        last = int(p_end.shape[0]) - 1
        return [(s, min(e + 1, last), score) for s, e, score in original(self, p_start, p_end, allowed, top_k, max_answer_len)]
    return _best_spans


_mutant_wrap({cls}, "_best_spans", _make)
''',
    ),
    "first_window_only": (
        "drops the windows of long contexts: only the first window of each question is searched",
        '''
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        inputs = original(self, task, processor, batch, options, device, model)
        if isinstance(inputs, dict) and "spans" in inputs:
            seen, keep = set(), []
            for i, span in enumerate(inputs["spans"]):
                owner = span.get("pair", span.get("item"))
                if owner not in seen:
                    seen.add(owner)
                    keep.append(i)
            inputs["spans"] = [inputs["spans"][i] for i in keep]
            if "encoded" in inputs:
                inputs["encoded"] = {{k: v[keep] for k, v in inputs["encoded"].items()}}
        return inputs
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "no_overlap": (
        "drops the overlap of long-context windows (doc_stride 1 instead of the default)",
        '''
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        return original(self, task, processor, batch, dict(options, doc_stride=1), device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
''',
    ),
    "mix_labels": (
        "mixes up the candidate labels: their order reversed against the scores (zero-shot classification)",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        options = dict(options)
        for key in ("candidate_labels", "labels"):
            if isinstance(options.get(key), list) and len(options[key]) > 1:
                options[key] = options[key][::-1]
        return original(self, task, model, processor, inputs, outputs, single, options)
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),
    "ignore_multi_label": (
        "ignores multi_label: labels always scored against each other (softmax), never alone",
        '''
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        if "multi_label" in options:
            options = dict(options, multi_label=False)
        return original(self, task, model, processor, inputs, outputs, single, options)
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
''',
    ),

    "drop_point": (
        "drops a point: the last keypoint (score, descriptor) of every image, the last match of every pair, the last keypoint of every person",
        """
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        for key in ("keypoints", "scores", "descriptors", "matches"):
            if isinstance(result.get(key), list):
                result[key] = [row[:-1] for row in result[key]]
        for people in result.get("poses") or []:
            for person in people:
                for key in ("keypoints", "scores", "labels"):
                    person[key] = person[key][:-1]
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
""",
    ),
    "swap_sizes": (
        "swaps x and y of the sizes post-processing scales or crops to ((height, width) read as (width, height))",
        """
def _mutant_swap(size):
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) for v in size):
        return type(size)(size[::-1])
    return [_mutant_swap(item) for item in size]


def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        inputs = original(self, task, processor, batch, options, device, model)
        inputs["sizes"] = [_mutant_swap(size) for size in inputs["sizes"]]
        return inputs
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "ignore_person_boxes": (
        "ignores the person boxes: every box replaced by the whole image (pose estimation)",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        batch = [(image, [[0.0, 0.0, float(image.width), float(image.height)]] * len(boxes)) for image, boxes in batch]
        return original(self, task, processor, batch, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "swap_box_xy": (
        "swaps x and y of every person box ([x, y, w, h] read as [y, x, h, w])",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        batch = [(image, [[y, x, h, w] for x, y, w, h in boxes]) for image, boxes in batch]
        return original(self, task, processor, batch, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "ignore_queries": (
        "ignores the queries: every retrieval query replaced by a fixed one (document retrieval)",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        batch = [dict(item, queries=["the"] * len(item["queries"])) for item in batch]
        return original(self, task, processor, batch, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "swap_pages": (
        "swaps pages: the image embeddings (and the score columns) in reverse page order (document retrieval)",
        """
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        if len(result.get("image_embeddings", [])) > 1:
            result["image_embeddings"] = result["image_embeddings"][::-1]
            if "scores" in result:
                result["scores"] = result["scores"].flip(1)
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
""",
    ),
    "ignore_trimap": (
        "ignores the trimap: every trimap replaced by an all-unknown one (128) of its size",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        from PIL import Image

        batch = [(image, Image.new("L", trimap.size, 128)) for image, trimap in batch]
        return original(self, task, processor, batch, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "shift_forecast": (
        "shifts the forecast: every predicted horizon rolled one step (mean, median and quantiles)",
        """
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        for key in ("mean_predictions", "full_predictions", "median_predictions", "quantile_predictions"):
            if hasattr(result.get(key), "roll"):
                result[key] = result[key].roll(1, dims=1)
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
""",
    ),
    "ignore_freq": (
        "ignores the freq option: forecasts always at the model's default frequency",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        options = {{k: v for k, v in options.items() if k != "freq"}}
        return original(self, task, processor, batch, options, device, model)
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "ignore_seed": (
        "ignores the seed option: every sampled forecast drawn after the default seed (the result still reports the one asked)",
        """
def _make(original):
    def _forward(self, task, model, inputs, options):
        options = {{k: v for k, v in options.items() if k != "seed"}}
        return original(self, task, model, inputs, options)
    return _forward


_mutant_wrap({cls}, "_forward", _make)
""",
    ),
    "ignore_time_features": (
        "ignores the time features: past and future time features zeroed after preprocessing (sampled forecasts)",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        inputs = original(self, task, processor, batch, options, device, model)
        found = False
        for tensors in inputs if isinstance(inputs, list) else []:
            for key in ("past_time_features", "future_time_features"):
                if isinstance(tensors, dict) and key in tensors:
                    tensors[key] = tensors[key] * 0
                    found = True
        assert found or task != "time_series_probabilistic_forecasting", "mutant: no time features in the inputs"
        return inputs
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "ignore_returns": (
        "ignores the returns-to-go: every return replaced by 1.0 (trajectory)",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        inputs = original(self, task, processor, batch, options, device, model)
        for tensors in inputs:
            tensors["returns_to_go"] = tensors["returns_to_go"] * 0 + 1
        return inputs
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "ignore_timesteps": (
        "ignores the timesteps: every step at timestep 0 (trajectory)",
        """
def _make(original):
    def _preprocess(self, task, processor, batch, options, device, model):
        inputs = original(self, task, processor, batch, options, device, model)
        for tensors in inputs:
            tensors["timesteps"] = tensors["timesteps"] * 0
        return inputs
    return _preprocess


_mutant_wrap({cls}, "_preprocess", _make)
""",
    ),
    "drop_codebook": (
        "wrong codebooks: the last quantizer's codes of every input dropped (shapes still reported whole)",
        """
def _make(original):
    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = original(self, task, model, processor, inputs, outputs, single, options)
        if isinstance(result.get("codes"), list):
            # [quantizers, frames], or EnCodec's [chunks, quantizers, frames].
            result["codes"] = [[chunk[:-1] for chunk in codes] if len(shape) == 3 else codes[:-1]
                               for codes, shape in zip(result["codes"], result["code_shapes"])]
        if isinstance(result.get("latents"), list):  # a continuous tokenizer: the last latent dimension
            result["latents"] = [[frame[:-1] for frame in latents] for latents in result["latents"]]
        return result
    return _postprocess


_mutant_wrap({cls}, "_postprocess", _make)
""",
    ),
}
# Constant-output mutants made of two others: media zeroed and text fixed; image zeroed and prompt fixed.
MUTANTS["ignore_all"] = ("ignores the whole input: ignore_input and ignore_text together", MUTANTS["ignore_input"][1] + MUTANTS["ignore_text"][1])
MUTANTS["ignore_image_and_prompt"] = ("ignores the whole input: ignore_input and ignore_prompt together", MUTANTS["ignore_input"][1] + MUTANTS["ignore_prompt"][1])

# ---- families: class, the tests that serve them, and their mutants ---------------------------

MEDIA = ["ignore_input", "swap_rows", "drop_label", "skip_normalization"]
GENERATION = ["swap_rows", "truncate_generation"]
FAMILIES = {
    "text_encoder": ("TextEncoder", ["ignore_text", "swap_rows", "drop_label", "drop_cell", "skip_l2_normalization"]),
    "text_decoder": ("TextDecoder", ["ignore_text"] + GENERATION),
    "text_encoder_decoder": ("TextEncoderDecoder", ["ignore_text"] + GENERATION),
    "vision_encoder": ("VisionEncoder", MEDIA),
    "object_detection": ("ObjectDetection", MEDIA),
    "image_segmentation": ("ImageSegmentation", MEDIA),
    "speech_ctc": ("SpeechCtc", ["ignore_input", "swap_rows", "drop_character", "skip_normalization"]),
    "speech_seq2seq": ("SpeechSeq2seq", ["ignore_input"] + GENERATION),
    "audio_classification": ("AudioClassification", MEDIA),
    "text_to_audio": ("TextToAudio", ["ignore_text", "swap_rows", "silence", "truncate_audio"]),
    "vision_text_dual_encoder": ("VisionTextDualEncoder", MEDIA + ["ignore_text", "skip_l2_normalization", "mix_labels"]),
    # No skip_l2_normalization: CLAP's get_*_features already return unit vectors (an equivalent mutant).
    "audio_text_dual_encoder": ("AudioTextDualEncoder", ["ignore_input", "ignore_text", "swap_rows", "drop_label", "mix_labels"]),
    "image_to_text": ("ImageToText", ["ignore_input", "ignore_text", "skip_normalization"] + GENERATION),
    "image_text_to_text": ("ImageTextToText", ["ignore_input", "ignore_text", "skip_normalization"] + GENERATION),
    "video": ("Video", MEDIA + ["ignore_text", "skip_l2_normalization"]),
    # The tasks issue 12 added: families of their own, and tasks of the families above (each an
    # entry here, run against its own tests; RUNTIME_FAMILY names the module the mutant goes into).
    "visual_question_answering": ("VisualQuestionAnswering", ["ignore_all", "ignore_input", "ignore_text", "swap_rows", "drop_label", "skip_normalization"]),
    "visual_question_answering_blip": ("ImageToText", ["ignore_all", "ignore_input", "ignore_text", "swap_rows", "drop_label", "truncate_generation", "skip_normalization"]),
    "image_to_image": ("ImageToImage", ["ignore_input", "swap_rows", "drop_image", "skip_rescale"]),
    "mask_generation": ("MaskGeneration", ["ignore_image_and_prompt", "ignore_input", "ignore_prompt", "swap_xy", "swap_rows", "drop_mask", "skip_normalization"]),
    "document_question_answering": ("TextEncoder", ["ignore_document", "ignore_text", "ignore_boxes", "swap_rows", "drop_label", "wrong_span", "first_window_only", "misread_page"]),
    "question_answering": ("TextEncoder", ["ignore_text", "swap_rows", "drop_label", "wrong_span", "first_window_only", "no_overlap"]),
    "zero_shot_classification": ("TextEncoder", ["ignore_text", "swap_rows", "drop_label", "mix_labels", "ignore_multi_label"]),
    # The families issue 13 added.
    "text_recognition": ("TextRecognition", ["ignore_input", "swap_rows", "drop_character", "skip_normalization"]),
    # SuperPoint / SuperGlue / LightGlue processors rescale but do not normalise.
    "keypoints": ("Keypoints", ["ignore_input", "swap_rows", "drop_point", "swap_sizes", "skip_rescale"]),
    "pose_estimation": ("PoseEstimation", ["ignore_input", "swap_rows", "drop_point", "ignore_person_boxes", "swap_box_xy", "skip_normalization"]),
    "image_matting": ("ImageMatting", ["ignore_input", "swap_rows", "ignore_trimap", "swap_sizes", "skip_normalization"]),
    "time_series": ("TimeSeries", ["ignore_input", "swap_rows", "drop_label", "shift_forecast", "ignore_freq", "ignore_seed", "ignore_time_features"]),
    "trajectory": ("Trajectory", ["ignore_input", "swap_rows", "ignore_returns", "ignore_timesteps"]),
    "audio_codec": ("AudioCodec", ["ignore_input", "swap_rows", "drop_codebook", "silence"]),
    "speech_transducer": ("SpeechTransducer", ["ignore_input", "swap_rows", "drop_character"]),
    "image_tokenizer": ("ImageTokenizer", ["ignore_input", "swap_rows", "skip_normalization"]),
    "document_retrieval": ("DocumentRetrieval", ["ignore_input", "ignore_queries", "swap_pages", "skip_normalization"]),
}
# Entries that are a task of another runtime family: the family module their mutants go into.
RUNTIME_FAMILY = {
    "visual_question_answering_blip": "image_to_text",
    "document_question_answering": "text_encoder",
    "question_answering": "text_encoder",
    "zero_shot_classification": "text_encoder",
}
# The mutant whose skillset's output does not depend on its input (every selected test must fail
# against it): ignore_input, else ignore_text, unless named here.
CONSTANT = {
    "visual_question_answering": "ignore_all",
    "visual_question_answering_blip": "ignore_all",
    "mask_generation": "ignore_image_and_prompt",
    "document_question_answering": "ignore_document",
    "question_answering": "ignore_text",
    "zero_shot_classification": "ignore_text",
}
# The tests that serve each family: (file in tests/python, -k expression). These compare the
# family's CPU handler with transformers on the fixtures; bad-input and mock tests are left out.
SELECTIONS = {
    # test_pipeline_parity.py: each family's heads against transformers.pipeline().
    "text_encoder": [("test_text_encoder.py", "matches_transformers or normalize_gives or overrides_the_head or truncated_with or real_minilm"),
                     ("test_table_qa.py", "matches_the_pipeline or depend_on_the_table"),
                     ("test_pipeline_parity.py", "fill_mask or text_classification or token_classification"),
                     ("test_dpr_gemma3n.py", "dpr_encoders")],
    "text_decoder": [("test_text_generation.py", "decoder_matches or left_padded or defaults_from or per_call or chat_messages"),
                     ("test_pipeline_parity.py", "text_generation_greedy")],
    "text_encoder_decoder": [("test_text_generation.py", "seq2seq_matches")],
    "vision_encoder": [("test_vision.py", "classification_matches or embedding_matches or image_form or pooling_that"),
                       ("test_pipeline_parity.py", "image_classification"),
                       ("test_vision_towers.py", "embeds or matches")],
    "object_detection": [("test_vision.py", "detection_matches"), ("test_pipeline_parity.py", "object_detection")],
    "image_segmentation": [("test_vision.py", "segmentation_matches or depth_estimation_matches"), ("test_pipeline_parity.py", "depth_estimation")],
    # hf_wav2vec2 serves a wav2vec2 classification checkpoint through this family too.
    "speech_ctc": [("test_audio.py", "ctc_transcription or ctc_wav or serves_a_classification or (audio_classification_matches and not spectrogram)"),
                   ("test_pipeline_parity.py", "speech_recognition_ctc")],
    "speech_seq2seq": [("test_audio.py", "whisper_greedy or whisper_flags or whisper_language")],
    "audio_classification": [("test_audio.py", "audio_classification_matches and spectrogram"), ("test_pipeline_parity.py", "audio_classification"),
                             ("test_dpr_gemma3n.py", "gemma3n_audio")],
    "text_to_audio": [("test_audio.py", "speecht5_speech"), ("test_text_to_waveform.py", "vits_matches or musicgen_matches or bark_matches")],
    "vision_text_dual_encoder": [("test_multimodal.py", "dual_encoder_matches or dual_encoder_accepts"),
                                 ("test_zero_shot_dual.py", "zero_shot_image_classification_matches"),
                                 ("test_paired_encoders.py", "matches_the_zero_shot_pipeline")],
    "audio_text_dual_encoder": [("test_multimodal.py", "clap_matches"), ("test_zero_shot_dual.py", "zero_shot_audio_classification_matches"),
                                ("test_pe_audio.py", "match_the_model or one_tower")],
    "image_to_text": [("test_multimodal.py", "captions_match")],
    "image_text_to_text": [("test_multimodal.py", "llava_prompt or llava_messages")],
    "video": [("test_multimodal.py", "videomae_classification or xclip_matches")],
    "visual_question_answering": [("test_visual_qa.py", "vilt_matches")],
    "visual_question_answering_blip": [("test_visual_qa.py", "blip_vqa_head")],
    "image_to_image": [("test_image_to_image.py", "matches_the_pipeline")],
    "mask_generation": [("test_mask_generation.py", "match_the_documented_use")],
    "document_question_answering": [("test_document_qa.py", "matches_the_pipeline or long_page or reads_the_page"),
                                    ("test_document_qa_layoutlmv3.py", "matches_the_pipeline or matches_the_direct_call or long_page or reads_the_page")],
    "question_answering": [("test_text_heads.py", "question_answering_matches or long_context or impossible_answer")],
    "zero_shot_classification": [("test_text_heads.py", "zero_shot_classification_matches")],
    "text_recognition": [("test_text_recognition.py", "matches_the_processor_recipe")],
    "keypoints": [("test_keypoints.py", "matches_the")],
    "pose_estimation": [("test_pose_estimation.py", "top_down_recipe or threshold_drops")],
    "image_matting": [("test_image_matting.py", "docs_recipe")],
    "time_series": [("test_time_series.py", "forecast_matches or frequency_option or classification_matches or regression_matches"),
                    ("test_time_series_probabilistic.py", "sampled_forecast_matches or seed_option or time_features_reach or missing_values_are")],
    "trajectory": [("test_trajectory.py", "matches_the_model_call")],
    "audio_codec": [("test_audio_codec.py", "documented_encode_decode or codes_alone or vocoder_matches"),
                    ("test_audio_codec_halves.py", "parent_extractor or documented_call")],
    "image_tokenizer": [("test_image_tokenizer.py", "match_the_model or match_encode or matches_its_docs or per_image_size")],
    "document_retrieval": [("test_document_retrieval.py", "docs_recipe or one_side_alone")],
    "speech_transducer": [("test_speech_transducer.py", "match_the_pipeline")],
}


def runtime_family(family):
    return RUNTIME_FAMILY.get(family, family)


def constant_mutant(family):
    mutants = FAMILIES[family][1]
    return CONSTANT.get(family) or ("ignore_input" if "ignore_input" in mutants else "ignore_text")


def mutant_source(family, name):
    cls = FAMILIES[family][0]
    description, code = MUTANTS[name]
    return PRELUDE.format(name=name) + code.format(cls=cls)


# ---- the worker: one family, in-process pytest runs ------------------------------------------


class Collector:
    """pytest plugin: the outcome of every test phase."""

    def __init__(self):
        self.failed, self.passed, self.skipped = [], [], []

    def pytest_runtest_logreport(self, report):
        if report.failed:
            message = ""
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:
                message = crash.message.strip().splitlines()[0] if crash.message.strip() else ""
            elif report.longrepr is not None:
                message = str(report.longrepr).strip().splitlines()[-1]
            self.failed.append((report.nodeid, message[:160]))
        elif report.skipped:
            self.skipped.append(report.nodeid)
        elif report.when == "call":
            self.passed.append(report.nodeid)


def run_tests(skillsets, family, exitfirst):
    import pytest

    os.environ["SKILLGEN_SKILLSETS"] = skillsets
    # Fresh test modules for every run: they read SKILLGEN_SKILLSETS at import and cache handlers.
    for name in list(sys.modules):
        if name in ("conftest", "expect") or name.startswith("test_"):
            del sys.modules[name]
    collector = Collector()
    code = 0
    for file_name, expression in SELECTIONS[family]:
        args = [os.path.join(TESTS, file_name), "-k", expression, "-q", "-p", "no:cacheprovider", "-W", "ignore", "--rootdir", ROOT]
        if exitfirst:
            args.append("-x")
        code = max(code, int(pytest.main(args, plugins=[collector])))
        if exitfirst and collector.failed:
            break
    return code, collector


def copy_skillsets(source, dest):
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def loaded_mutant(skillsets, family):
    """The _SKILLGEN_MUTANT marker of the family class in the copy's runtime (None: not applied)."""
    import importlib.util
    import zlib

    folder = os.path.join(skillsets, "skillgen_runtime")
    name = "skillgen_runtime_%08x" % zlib.crc32(os.path.realpath(folder).encode("utf-8", "replace"))
    runtime = sys.modules.get(name)
    if runtime is None:
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        runtime = sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runtime)
    return getattr(runtime.family(runtime_family(family)), "_SKILLGEN_MUTANT", None)


def worker(args):
    family = args.worker
    out = open(args.results, "a", encoding="utf-8")

    def record(**entry):
        entry["family"] = family
        out.write(json.dumps(entry) + "\n")
        out.flush()

    os.environ["SKILLGEN_FIXTURES"] = args.fixtures
    base = os.path.join(args.work, family)
    start = time.time()
    clean = copy_skillsets(args.skillsets, os.path.join(base, "baseline"))
    code, collector = run_tests(clean, family, exitfirst=False)
    problem = None
    if collector.failed:
        problem = "baseline fails: " + "; ".join(n + " " + m for n, m in collector.failed[:3])
    elif collector.skipped:
        problem = "baseline skips: " + ", ".join(collector.skipped[:3])
    elif not collector.passed:
        problem = "baseline selects no tests (pytest exit %d)" % code
    record(mutant="baseline", status="error" if problem else "ok", detail=problem or "%d tests pass" % len(collector.passed),
           tests=len(collector.passed), seconds=round(time.time() - start, 1))
    if problem:
        return 1
    selected = set(collector.passed)
    for name in FAMILIES[family][1]:
        if args.mutant and name not in args.mutant:
            continue
        start = time.time()
        copy = copy_skillsets(args.skillsets, os.path.join(base, name))
        with open(os.path.join(copy, "skillgen_runtime", "families", runtime_family(family) + ".py"), "a", encoding="utf-8") as f:
            f.write(mutant_source(family, name))
        try:
            marker = loaded_mutant(copy, family)
        except Exception as e:
            marker = None
            detail = "the mutated runtime does not load: " + type(e).__name__ + ": " + str(e)
        else:
            detail = "the mutant is not in the loaded family class"
        if marker != name:
            record(mutant=name, status="error", detail=detail, seconds=round(time.time() - start, 1))
            continue
        constant = name == constant_mutant(family)
        code, collector = run_tests(copy, family, exitfirst=not constant)
        failed = [n for n, _ in collector.failed]
        if constant:
            # A constant-output skillset: every selected test must fail.
            passing = sorted(selected - set(failed))
            status = "killed" if collector.failed and not passing else "survived"
            detail = ("all %d tests fail; first: %s (%s)" % (len(selected), collector.failed[0][0], collector.failed[0][1])
                      if status == "killed" else "still passing: " + ", ".join(passing[:6]))
        else:
            status = "killed" if collector.failed else "survived"
            detail = "%s (%s)" % collector.failed[0] if collector.failed else "%d tests pass" % len(collector.passed)
        record(mutant=name, status=status, detail=detail, seconds=round(time.time() - start, 1))
        if not args.keep:
            shutil.rmtree(copy, ignore_errors=True)
    return 0


# ---- the driver ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skillsets", default=os.path.join(ROOT, "target", "test-output", "skillsets"))
    parser.add_argument("--fixtures", default=os.path.join(ROOT, "target", "test-fixtures"))
    parser.add_argument("--work", default=os.path.join(ROOT, "target", "mutation-check"))
    parser.add_argument("--family", action="append", help="only this family (repeatable)")
    parser.add_argument("--mutant", action="append", help="only this mutant (repeatable)")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 8), help="families checked in parallel (default: one per core, at most 8)")
    parser.add_argument("--keep", action="store_true", help="keep the mutated copies under --work")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--results", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    families = args.family or list(FAMILIES)
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        parser.error("unknown family " + ", ".join(unknown) + "; one of " + ", ".join(FAMILIES))
    if args.list:
        for family in families:
            for name in FAMILIES[family][1]:
                print("%-30s %-23s %s" % (family, name, MUTANTS[name][0]))
        return 0
    for path in (args.skillsets, args.fixtures):
        if not os.path.isdir(path):
            parser.error(path + " does not exist (tests/mutation_check.sh builds it)")
    os.makedirs(args.work, exist_ok=True)
    results = os.path.join(args.work, "results.jsonl")
    open(results, "w").close()
    start = time.time()
    pending = list(families)
    running = []
    env = dict(os.environ)
    if args.jobs > 1:
        # One torch thread per worker: parallel families, not parallel kernels. On the tiny models
        # torch's intra-op threads cost more than they give (2 cores, 154 mutants: 2 jobs took 348 s
        # with torch's default threads, 287 s with one; 1 job 573 s).
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    while pending or running:
        while pending and len(running) < max(1, args.jobs):
            family = pending.pop(0)
            log = open(os.path.join(args.work, family + ".log"), "w")
            command = [sys.executable, os.path.abspath(__file__), "--worker", family, "--results", results,
                       "--skillsets", os.path.abspath(args.skillsets), "--fixtures", os.path.abspath(args.fixtures),
                       "--work", os.path.abspath(args.work)] + sum((["--mutant", m] for m in args.mutant or ()), [])
            if args.keep:
                command.append("--keep")
            running.append((family, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env), log))
        time.sleep(0.5)
        for item in list(running):
            family, process, log = item
            if process.poll() is not None:
                log.close()
                running.remove(item)
                print_family(results, family, process.returncode, os.path.join(args.work, family + ".log"))
    killed = survived = errors = 0
    with open(results, encoding="utf-8") as f:
        entries = [json.loads(line) for line in f if line.strip()]
    for entry in entries:
        if entry["mutant"] == "baseline":
            errors += entry["status"] != "ok"
        elif entry["status"] == "killed":
            killed += 1
        elif entry["status"] == "survived":
            survived += 1
        else:
            errors += 1
    expected = sum(len([m for m in FAMILIES[f][1] if not args.mutant or m in args.mutant]) for f in families)
    missing = expected - killed - survived - (errors - sum(1 for e in entries if e["mutant"] == "baseline" and e["status"] != "ok"))
    print("mutation check: %d families, %d mutants, %.0f s" % (len(families), expected, time.time() - start))
    if errors or missing:
        print("%d errors (baseline failures or mutants that did not apply), %d mutants not run" % (errors, max(0, missing)))
    print("%d killed, %d survived" % (killed, survived))
    return 0 if survived == 0 and errors == 0 and missing <= 0 else 1


def print_family(results, family, returncode, log):
    with open(results, encoding="utf-8") as f:
        entries = [e for e in (json.loads(line) for line in f if line.strip()) if e["family"] == family]
    if not entries or returncode not in (0, 1):
        print("%-30s worker exited %s; see %s" % (family, returncode, log))
    for e in entries:
        label = {"killed": "killed", "survived": "SURVIVED", "ok": "baseline", "error": "ERROR"}[e["status"]]
        print("%-30s %-23s %-8s %5.1fs  %s" % (family, e["mutant"], label, e.get("seconds", 0), e["detail"]), flush=True)


if __name__ == "__main__":
    sys.exit(main())
