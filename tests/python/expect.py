"""Assertions shared by the family tests (docs/testing.md).

- Floats: `close` compares with a tolerance relative to the reference's size (max |got - want| <=
  REL x max |want|), after checking both are finite and the reference is not all zeros, so a
  waveform of 1e-5 cannot pass against silence and NaN never passes.
- Input dependence: `differ` asserts that two inputs' outputs differ by far more than `close`'s
  tolerance (DIFFERENT x the scale), so a skillset that ignores its input cannot pass.
- Lists: `pairs` zips two lists after asserting they have the same, non-zero length, so a loop
  over an empty result never passes by doing nothing.
- Tokens: `cut_at_eos` cuts a reference row after its first end-of-sequence token; token lists are
  then compared with ==, lengths included.
- Whole results: `same_result` compares every leaf of two handler results (floats relative to the
  result's scale, everything else equal), for one backend against another.
"""
import math

import torch

REL = 1e-4
DIFFERENT = 1e-2


def tensor(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().float()
    return torch.as_tensor(value, dtype=torch.float32)


def finite(value, what="value"):
    t = tensor(value)
    assert t.numel() > 0, what + " is empty"
    assert bool(torch.isfinite(t).all()), what + " has NaN or infinite entries"
    return t


def close(got, want, what="value", rel=REL):
    """got equals want within rel x max |want|; both finite, same shape, want not all zero."""
    got, want = finite(got, what + " (skillset)"), finite(want, what + " (reference)")
    assert got.shape == want.shape, "%s: shape %s, reference %s" % (what, tuple(got.shape), tuple(want.shape))
    scale = float(want.abs().max())
    assert scale > 0, what + ": the reference is all zeros, so nothing would be compared"
    error = float((got - want).abs().max())
    assert error <= rel * scale, "%s: max |diff| %.3g > %g x scale %.3g" % (what, error, rel, scale)


def differ(a, b, what="outputs", share=DIFFERENT):
    """Two inputs' outputs differ by more than share x their scale (100 x close()'s tolerance)."""
    a, b = finite(a, what), finite(b, what)
    if a.shape != b.shape:
        return
    scale = max(float(a.abs().max()), float(b.abs().max()))
    assert scale > 0, what + " are all zeros"
    diff = float((a - b).abs().max())
    assert diff > share * scale, "%s of two different inputs differ by only %.3g (scale %.3g)" % (what, diff, scale)


def rows_differ(batch, what="rows"):
    """Every pair of rows of a batch differs (see differ)."""
    t = finite(batch, what)
    assert t.shape[0] >= 2, what + ": need at least two rows"
    for i in range(t.shape[0]):
        for j in range(i + 1, t.shape[0]):
            differ(t[i], t[j], "%s %d and %d" % (what, i, j))


def distinct(values, what="outputs"):
    """All values differ from each other (texts, token lists, label lists)."""
    values = list(values)
    assert len(values) >= 2, what + ": need at least two"
    reprs = [repr(v) for v in values]
    assert len(set(reprs)) == len(reprs), what + " of different inputs are equal: " + repr(values)[:300]


def pairs(got, want, what="results"):
    """zip(got, want) after asserting equal, non-zero lengths."""
    got, want = list(got), list(want)
    assert len(got) == len(want), "%s: %d entries, reference %d" % (what, len(got), len(want))
    assert want, what + ": the reference is empty, so nothing would be compared"
    return zip(got, want)


def scores(got, want, what="scores", abs_tol=1e-5):
    """Lists of probabilities equal within abs_tol (they are in [0, 1]), same length, finite."""
    assert len(got) == len(want), "%s: %d, reference %d" % (what, len(got), len(want))
    for g, w in zip(got, want):
        assert math.isfinite(g) and math.isfinite(w), what + ": NaN or infinite"
        assert abs(g - w) <= abs_tol, "%s: %r vs reference %r" % (what, got, want)


def same_map(got, want, what="map"):
    """Two integer maps (e.g. per-pixel label ids) are identical; reports how many entries differ
    (no element-by-element diff of a large nested list)."""
    got, want = torch.as_tensor(got), torch.as_tensor(want)
    assert got.shape == want.shape, "%s: shape %s, reference %s" % (what, tuple(got.shape), tuple(want.shape))
    assert want.numel() > 0, what + ": the reference is empty"
    wrong = int((got != want).sum())
    assert wrong == 0, "%s: %d of %d entries differ" % (what, wrong, want.numel())


def cut_at_eos(rows, eos):
    """Each row of new token ids up to and including its first end-of-sequence token."""
    eos = set(eos) if isinstance(eos, (list, tuple, set)) else {eos}
    out = []
    for row in (rows.tolist() if hasattr(rows, "tolist") else rows):
        kept = []
        for token in row:
            kept.append(token)
            if token in eos:
                break
        out.append(kept)
    return out


# Metadata of a handler result that differs between backends by design.
RESULT_METADATA = {"elapsed_time", "backend", "backend_note", "fallback", "device", "hardware_label", "embeddings_note", "implementation_type"}


def leaves(value, prefix="", skip=RESULT_METADATA):
    """(path, value) for every leaf of a result (tensors as lists), the top-level keys in `skip`
    (metadata) left out."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().float().tolist()
    if isinstance(value, dict):
        for k, v in value.items():
            if prefix or k not in skip:
                yield from leaves(v, prefix + "/" + str(k), skip)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from leaves(v, prefix + "/" + str(i), skip)
    else:
        yield prefix, value


def same_result(got, want, skip=(), rel=REL):
    """Every leaf of `want` is in `got`: floats within rel x the largest float of `want` (all finite,
    that scale non-zero), everything else (ids, labels, text) equal; some output beyond task/count is
    compared. Leaves under the `skip` prefixes are left out. Returns the worst relative difference."""
    skip = tuple(skip)
    got, want = dict(leaves(got)), dict(leaves(want))
    floats = [v for k, v in want.items() if isinstance(v, float) and not k.startswith(skip or ("\0",))]
    assert all(math.isfinite(v) for v in floats), "the reference result has NaN or infinite values"
    scale = max([abs(v) for v in floats] or [1.0])
    assert scale > 0, "the reference result's floats are all zero"
    worst, content = 0.0, 0
    for key, value in want.items():
        if skip and key.startswith(skip):
            continue
        assert key in got, key
        if isinstance(value, float):
            assert isinstance(got[key], float) and math.isfinite(got[key]), (key, got[key])
            worst = max(worst, abs(got[key] - value) / scale)
        else:
            assert got[key] == value, (key, got[key], value)
        content += key not in ("/task", "/count") and not key.startswith("/generation")
    assert content > 0, "nothing but task/count to compare"
    assert worst <= rel, "max difference %.3g x scale > %g" % (worst, rel)
    return worst


def rows_differ_somewhere(result, what="result"):
    """A batch result of two different inputs is not the same answer twice: some per-input output
    (a key whose value has one row per input) differs between its rows, by more than DIFFERENT x
    its scale for floats."""
    n = result.get("count")
    assert isinstance(n, int) and n >= 2, what + ": not a batch of two or more (count %r)" % (n,)
    for key, value in result.items():
        if key in RESULT_METADATA or not (hasattr(value, "detach") or isinstance(value, list)) or len(value) != n:
            continue
        rows = [[v for _, v in leaves(value[i])] for i in range(n)]
        if any(len(r) != len(rows[0]) for r in rows):
            return key
        floats = [abs(v) for r in rows for v in r if isinstance(v, float) and math.isfinite(v)]
        scale = max(floats or [0.0])
        for i in range(1, n):
            for a, b in zip(rows[0], rows[i]):
                if isinstance(a, float) and isinstance(b, float):
                    if abs(a - b) > DIFFERENT * scale:
                        return key
                elif a != b:
                    return key
    raise AssertionError(what + ": every per-input output is the same for different inputs: " + repr(result)[:300])


def random_image(seed, height=40, width=50):
    """A seeded random RGB picture (uniform noise), for the family tests' inputs."""
    import numpy as np
    from PIL import Image

    return Image.fromarray((np.random.RandomState(seed).rand(height, width, 3) * 255).astype("uint8"))


def page_image(lines, width=900, line_height=60):
    """A scanned-page stand-in that OCR can read: each line's text drawn in black on white with a
    large font (Pillow's bundled FreeType font), one line under another."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (width, line_height * (len(lines) + 1)), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=int(line_height * 0.6))
    for i, line in enumerate(lines):
        draw.text((30, line_height // 2 + i * line_height), line, fill="black", font=font)
    return page


def _image(seed, height=40, width=52):
    import numpy as np
    from PIL import Image

    return Image.fromarray(np.random.RandomState(seed).randint(0, 256, (height, width, 3)).astype(np.uint8))


def _waves():
    """A tone and noise of the same length: no padding in a batch (an exported OpenVINO CTC model
    takes no attention mask, so padded rows differ from torch's; docs/families.md)."""
    import numpy as np

    t = np.arange(16000) / 16000.0
    noise = 0.1 * np.random.RandomState(0).randn(16000)
    return [(0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), noise.astype(np.float32)]


def two_inputs(task, zero_shot=False):
    """One handler input holding two different inputs (a batch) for a task, for the tests that
    compare one backend's answer with another's: a skillset that ignores its input answers the
    same twice, which rows_differ_somewhere catches."""
    texts = ["The quick brown fox jumps over the lazy dog.", "Paris is the capital of France."]
    images = [_image(0), _image(1, 36, 60)]
    if task in ("text_embedding", "text_classification", "token_classification"):
        return texts
    if task == "fill_mask":
        return {"text": ["The capital of France is [MASK].", "A [MASK] sat on the mat."], "mask_placeholder": "[MASK]"}
    if task == "text_generation":
        return {"prompt": ["The quick brown fox", "Paris is the capital of France and"], "max_new_tokens": 8, "do_sample": False}
    if task == "text2text_generation":
        return {"text": texts, "max_new_tokens": 8, "do_sample": False}
    if task in ("image_classification", "image_embedding", "image_segmentation", "depth_estimation"):
        return images
    if task == "object_detection":
        request = {"image": images, "threshold": 0.0}
        if zero_shot:
            request["labels"] = ["a photo of a cat", "a dog"]
        return request
    if task == "speech_recognition":
        return {"audio": _waves()}
    if task == "audio_classification":
        return {"audio": _waves(), "top_k": 3}
    if task == "text_to_audio":
        return {"text": ["hello world", "the cat sat on the mat"], "minlenratio": 1.0}
    if task == "image_text_embedding":
        return {"image": images, "text": ["a photo of a cat", "a dog sat on the mat", "Paris"]}
    if task == "audio_text_embedding":
        return {"audio": _waves(), "text": ["a dog barking", "a piano playing", "rain on a roof"]}
    if task == "image_to_text":
        return {"image": images, "max_new_tokens": 6}
    if task == "image_text_to_text":
        return {"image": images, "prompt": "What is in this picture?", "max_new_tokens": 6}
    if task == "video_classification":
        return {"video": [[_image(10 + t) for t in range(4)], [_image(20 + t) for t in range(4)]]}
    if task == "video_text_embedding":
        return {"video": [[_image(10 + t) for t in range(4)], [_image(20 + t) for t in range(4)]], "text": texts}
    raise AssertionError("no two inputs for task " + repr(task))
