"""tests/cuda_check.py's comparison, without a GPU: every leaf is compared, a token, label, string or
count that differs fails, NaN fails, floats are within REL_TOL of their own group's scale; every
fixture has a skillset (default or GENERATED) or a listed exclusion, an unmapped one fails, and the
CPU side of every fixture's check gives a real result; no CUDA device is "nothing checked" (exit 2),
never a pass."""
import importlib.util
import os

import pytest
import torch
import transformers

from conftest import ROOT

spec = importlib.util.spec_from_file_location("cuda_check", os.path.join(ROOT, "tests", "cuda_check.py"))
cuda_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cuda_check)

CPU = {
    "generated_token_ids": [[5, 6, 7], [8, 9]],
    "generated_text": ["a b c", "d e"],
    "detections": [[{"label": "cat", "label_id": 0, "score": 0.9, "box": [1.0, 2.0, 50.0, 40.0]}]],
    "embeddings": torch.tensor([[0.5, -0.25], [0.125, 1.0]]),
    "lengths": [192, 384],
    "count": 2,
    "implementation_type": "REAL",
    "device": "cpu",
    "elapsed_time": 0.1,
}


def gpu(**changes):
    result = {**CPU, "device": "cuda:0", "elapsed_time": 0.01}
    result.update(changes)
    return result


def test_identical_results_pass():
    worst, tokens, problems = cuda_check.compare(CPU, gpu())
    assert (worst, tokens, problems) == (0.0, "equal", [])


def test_floats_within_their_groups_scale_pass():
    boxes = [[{"label": "cat", "label_id": 0, "score": 0.905, "box": [1.5, 2.0, 50.0, 40.0]}]]
    worst, _, problems = cuda_check.compare(CPU, gpu(detections=boxes, embeddings=CPU["embeddings"] + 0.01))
    assert not problems and 0 < worst <= cuda_check.REL_TOL


@pytest.mark.parametrize("changes,words", [
    ({"generated_token_ids": [[5, 6, 4], [8, 9]]}, "leaves differ"),  # divergence after the first token
    ({"generated_token_ids": [[5, 6], [8, 9]]}, "missing on GPU"),  # shorter
    ({"generated_text": ["a b x", "d e"]}, "leaves differ"),
    ({"detections": [[{"label": "dog", "label_id": 0, "score": 0.9, "box": [1.0, 2.0, 50.0, 40.0]}]]}, "leaves differ"),
    ({"detections": [[{"label": "cat", "label_id": 0, "score": 0.8, "box": [1.0, 2.0, 50.0, 40.0]}]]}, "max rel diff"),
    ({"detections": [[{"label": "cat", "label_id": 0, "score": 0.9, "box": [5.0, 2.0, 50.0, 40.0]}]]}, "max rel diff"),
    ({"detections": []}, "missing on GPU"),
    ({"embeddings": torch.tensor([[0.5, float("nan")], [0.125, 1.0]])}, "not finite"),
    ({"embeddings": torch.tensor([[0.5, -0.25], [0.125, 1.2]])}, "max rel diff"),
    ({"lengths": [192, 380]}, "leaves differ"),
    ({"extra": 1}, "keys only on GPU"),
])
def test_any_difference_fails(changes, words):
    _, _, problems = cuda_check.compare(CPU, gpu(**changes))
    assert any(words in p for p in problems), problems


def test_token_verdict():
    assert cuda_check.compare(CPU, gpu(generated_token_ids=[[5, 6, 4], [8, 9]]))[1] == "diverged"
    assert cuda_check.compare(CPU, gpu(generated_token_ids=[[5, 6], [8, 9]]))[1] == "diverged"
    assert cuda_check.compare(CPU, gpu(generated_token_ids=[[5, 6, 7, 1], [8, 9]]))[1] == "diverged"


def test_nan_on_the_cpu_side_fails_too():
    cpu = {**CPU, "embeddings": torch.tensor([[float("nan"), 0.0], [0.0, 1.0]])}
    _, _, problems = cuda_check.compare(cpu, gpu())
    assert any("not finite" in p for p in problems), problems


def test_no_cuda_device_is_nothing_checked_not_a_pass(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: this checks the no-GPU answer")
    assert cuda_check.main([]) == 2
    assert "nothing checked" in capsys.readouterr().out


@pytest.fixture(scope="module")
def planned(fixtures, tmp_path_factory):
    return cuda_check.plan([], str(tmp_path_factory.mktemp("cuda_check")))


def test_every_fixture_has_a_skillset_or_a_listed_exclusion(fixtures, planned):
    names = sorted(n for n in os.listdir(fixtures) if os.path.isfile(os.path.join(fixtures, n, "config.json")))
    assert [row[0] for row in planned] == names
    assert [row for row in planned if row[3] and not row[3].startswith("excluded: ")] == []
    assert all(reason.strip() for reason in cuda_check.EXCLUDED.values())
    # A stale entry (a fixture renamed or removed) would hide a new fixture's missing mapping.
    assert set(cuda_check.GENERATED) | set(cuda_check.EXCLUDED) <= set(names)


def test_an_unmapped_fixture_fails(monkeypatch, tmp_path, capsys):
    monkeypatch.delitem(cuda_check.GENERATED, "vits")
    [(name, model_type, folder, why)] = cuda_check.plan(["vits"], str(tmp_path))
    assert (name, model_type, folder) == ("vits", "vits", None) and why.startswith("unmapped"), why
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: this checks the exit status without one")
    assert cuda_check.check(["vits"], str(tmp_path)) == 1
    assert "FAIL vits: unmapped" in capsys.readouterr().out


def test_an_excluded_fixture_is_listed_with_its_reason(monkeypatch, tmp_path):
    monkeypatch.setitem(cuda_check.EXCLUDED, "vits", "a reason")
    assert cuda_check.plan(["vits"], str(tmp_path)) == [("vits", "vits", None, "excluded: a reason")]


def test_the_cpu_side_of_every_fixture_is_real(fixtures, planned):
    """What the GPU result is compared with: each fixture's init_cpu endpoint on the sample input."""
    for name, model_type, folder, why in planned:
        if why:
            continue
        skill = cuda_check.load_class(model_type, folder)({"torch": torch, "transformers": transformers}, {})
        _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, name), "cpu", "cpu")
        result = handler(skill._sample_input(handler.task))
        assert result.get("implementation_type") == "REAL" and "error" not in result, (name, result)
