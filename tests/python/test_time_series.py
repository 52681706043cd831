"""time_series on tiny offline models (tests/fixtures/fixtures_ocr_series_keypoints.py), against
the heads' documented calls (transformers has no time-series pipeline). Forecasting
(MODEL_FOR_TIME_SERIES_PREDICTION: TimesFM, TimesFM 2.5): `model(past_values=[series], freq=...)`,
`mean_predictions` and `full_predictions`, one series per call. Classification / regression
(PatchTST, PatchTSMixer): `Head.from_pretrained(path)(past_values=windows)`, its logits (top label
by id2label) or regression_outputs. The skillsets are generated with the binary
(conftest.generated_skillset), over the runtime under test."""
import math
import os

import numpy as np
import pytest
import torch
import transformers

MODELS = {
    "timesfm": "google/timesfm-2.0-500m-pytorch", "timesfm2_5": "google/timesfm-2.5-200m-transformers",
    "patchtst": "ibm-granite/granite-timeseries-patchtst", "patchtsmixer": "ibm-granite/granite-timeseries-patchtsmixer",
}


def series():
    return [
        [math.sin(i / 3.0) * 2.0 for i in range(40)],
        [math.cos(i / 5.0) * 3.0 - 1.0 for i in range(70)],
        [float(i) for i in range(20)],
    ]


@pytest.fixture(scope="module")
def skillsets(generated_skillset, cpu_handler):
    loaded = {"generate": generated_skillset}
    for model_type in ("timesfm", "timesfm2_5"):
        loaded[model_type] = cpu_handler(MODELS[model_type], model_type, model_type)[:2]
    return loaded


def reference(path, values, **kwargs):
    model = transformers.AutoModelForTimeSeriesPrediction.from_pretrained(path).eval()
    with torch.no_grad():
        output = model(past_values=[torch.tensor(values, dtype=torch.float32)], **kwargs)
    return output.mean_predictions[0], output.full_predictions[0]


@pytest.mark.parametrize("model_type", ["timesfm", "timesfm2_5"])
def test_forecast_matches_the_model_call(fixtures, skillsets, model_type):
    skill, handler = skillsets[model_type]
    assert skill.FAMILY == "time_series" and handler.task == "time_series_forecasting"
    path = os.path.join(fixtures, model_type)
    result = handler(series())
    assert result["implementation_type"] == "REAL", result
    assert result["count"] == 3 and result["horizon"] == 16
    assert tuple(result["full_predictions"].shape) == (3, 16, 10) and len(result["quantiles"]) == 9
    for i, values in enumerate(series()):
        mean, full = reference(path, values)
        assert torch.allclose(result["mean_predictions"][i], mean, atol=1e-5)
        assert torch.allclose(result["full_predictions"][i], full, atol=1e-5)
    # Different series forecast differently.
    assert not torch.allclose(result["mean_predictions"][0], result["mean_predictions"][1], atol=1e-3)
    single = handler({"past_values": np.asarray(series()[2])})
    assert torch.allclose(single["mean_predictions"][0], result["mean_predictions"][2], atol=1e-6)
    assert skill.__test__(model_type, handler, "cpu")["ok"]


def test_timesfm_frequency_option_reaches_the_model(fixtures, skillsets):
    _, handler = skillsets["timesfm"]
    path = os.path.join(fixtures, "timesfm")
    result = handler({"past_values": series()[:2], "freq": [1, 2]})
    assert result["implementation_type"] == "REAL", result
    for i, freq in enumerate([1, 2]):
        mean, _ = reference(path, series()[i], freq=[freq])
        assert torch.allclose(result["mean_predictions"][i], mean, atol=1e-5)
    plain = handler(series()[:2])
    assert not torch.allclose(result["mean_predictions"], plain["mean_predictions"], atol=1e-4)


@pytest.mark.parametrize("bad", [None, [], 5, "abc", [1.0, float("nan")], [[1.0, 2.0], []], [[1.0], "x"], {"values": [1.0]},
                                 {"past_values": [1.0, 2.0], "freq": "high"}, {"past_values": [[1.0], [2.0]], "freq": [0]}, [True, False]])
def test_time_series_bad_input_is_an_error_dict(skillsets, bad):
    _, handler = skillsets["timesfm"]
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_an_option_the_model_does_not_take_is_an_error(skillsets):
    _, handler = skillsets["timesfm2_5"]
    result = handler({"past_values": [1.0, 2.0, 3.0], "freq": 0})
    assert result["implementation_type"] == "ERROR" and "freq" in result["error"], result


def load(skillsets, model_type, fixture):
    skill = skillsets["generate"](MODELS[model_type], model_type)({"torch": torch, "transformers": transformers}, {})
    return skill, skill.init_cpu(fixture, "cpu", "cpu")[2]


def windows(n=3):
    rng = np.random.RandomState(11)
    return rng.randn(n, 16, 2).round(3).tolist()


@pytest.mark.parametrize("model_type,fixture,head", [
    ("patchtst", "patchtst-cls", "PatchTSTForClassification"),
    ("patchtsmixer", "patchtsmixer-cls", "PatchTSMixerForTimeSeriesClassification"),
])
def test_classification_matches_the_head(fixtures, skillsets, model_type, fixture, head):
    path = os.path.join(fixtures, fixture)
    skill, handler = load(skillsets, model_type, path)
    assert skill.FAMILY == "time_series" and handler.task == "time_series_classification"
    result = handler({"past_values": windows(), "top_k": 3})
    assert result["implementation_type"] == "REAL", result
    model = getattr(transformers, head).from_pretrained(path).eval()
    with torch.no_grad():
        output = model(past_values=torch.tensor(windows(), dtype=torch.float32))
    logits = output.prediction_logits if hasattr(output, "prediction_logits") else output.prediction_outputs
    assert torch.allclose(result["logits"], logits, atol=1e-5)
    names = model.config.id2label
    for row, predictions in zip(logits, result["predictions"]):
        assert predictions[0]["label"] == names[int(row.argmax())] and len(predictions) == 3
        assert math.isclose(sum(p["score"] for p in predictions), 1.0, rel_tol=1e-5)
    # Different windows give different logits; one window (no batch dimension) is one row.
    assert not torch.allclose(result["logits"][0], result["logits"][1], atol=1e-3)
    single = handler(windows()[1])
    assert torch.allclose(single["logits"][0], result["logits"][1], atol=1e-5)


def test_regression_matches_the_head(fixtures, skillsets):
    path = os.path.join(fixtures, "patchtst-reg")
    _, handler = load(skillsets, "patchtst", path)
    assert handler.task == "time_series_regression"
    result = handler(np.asarray(windows()))
    assert result["implementation_type"] == "REAL", result
    model = transformers.PatchTSTForRegression.from_pretrained(path).eval()
    with torch.no_grad():
        want = model(past_values=torch.tensor(windows(), dtype=torch.float32)).regression_outputs
    assert tuple(result["regression_outputs"].shape) == (3, 2)
    assert torch.allclose(result["regression_outputs"], want, atol=1e-5)
    assert not torch.allclose(result["regression_outputs"][0], result["regression_outputs"][1], atol=1e-3)


def test_a_head_no_table_lists_is_refused_not_run_as_another_task(fixtures, skillsets):
    # PatchTSTForPrediction is in no auto table: loading it as the classification head would
    # answer from fresh, untrained weights.
    _, handler = load(skillsets, "patchtst", os.path.join(fixtures, "patchtst-forecast"))
    result = handler(windows(1)[0])
    assert result["implementation_type"] == "ERROR" and "PatchTSTForPrediction" in result["error"], result


@pytest.mark.parametrize("bad", [None, [], "abc", [[1.0, 2.0], [3.0]], [[float("inf"), 1.0]] * 16, {"values": windows(1)[0]},
                                 {"past_values": windows(1)[0], "top_k": 0}, [[1.0, 2.0]] * 9, [[1.0, 2.0, 3.0]] * 16])
def test_window_bad_input_is_an_error_dict(fixtures, skillsets, bad):
    _, handler = load(skillsets, "patchtst", os.path.join(fixtures, "patchtst-cls"))
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result
