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
