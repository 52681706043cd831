"""time_series_probabilistic_forecasting on tiny offline Autoformer, Informer and Time Series
Transformer forecasters built here (init_std 0.5, so the forecast depends on the history and the
time features), against the call their docs make: `torch.manual_seed(seed)` then
`model.generate(past_values=..., past_time_features=..., past_observed_mask=...,
static_categorical_features=..., static_real_features=..., future_time_features=...)`, its
`sequences` (the sampled paths) and their mean, one series per call. The skillsets are generated
with the binary (conftest.generated_skillset), over the runtime under test."""
import math

import numpy as np
import pytest
import torch
import transformers

MODELS = {
    "autoformer": "huggingface/autoformer-tourism-monthly",
    "informer": "huggingface/informer-tourism-monthly",
    "time_series_transformer": "huggingface/time-series-transformer-tourism-monthly",
}
COMMON = dict(prediction_length=4, context_length=8, lags_sequence=[1, 2, 3], num_time_features=2, d_model=16,
              encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
              encoder_ffn_dim=16, decoder_ffn_dim=16, num_parallel_samples=20, init_std=0.5)
# The Time Series Transformer takes static features too; the Informer is multivariate (2 variates).
CONFIGS = {
    "autoformer": ("AutoformerConfig", "AutoformerForPrediction", dict(label_length=4, moving_average=3)),
    "informer": ("InformerConfig", "InformerForPrediction", dict(input_size=2)),
    "time_series_transformer": ("TimeSeriesTransformerConfig", "TimeSeriesTransformerForPrediction",
                                dict(num_static_categorical_features=1, cardinality=[3], embedding_dimension=[2], num_static_real_features=1)),
}
PAST, HORIZON = 8 + 3, 4  # context_length + max(lags_sequence), prediction_length


@pytest.fixture(scope="module")
def forecasters(tmp_path_factory):
    """model_type -> (path, head class) of a tiny saved checkpoint; "autoformer-base": the base model."""
    made = {}
    for model_type, (config_class, head, extra) in CONFIGS.items():
        torch.manual_seed(0)
        config = getattr(transformers, config_class)(**COMMON, **extra)
        path = str(tmp_path_factory.mktemp(model_type))
        getattr(transformers, head)(config).save_pretrained(path)
        made[model_type] = (path, getattr(transformers, head))
    path = str(tmp_path_factory.mktemp("autoformer-base"))
    transformers.AutoformerModel(transformers.AutoformerConfig(**COMMON, **CONFIGS["autoformer"][2])).save_pretrained(path)
    made["autoformer-base"] = (path, transformers.AutoformerModel)
    return made


def handler_for(generated_skillset, forecasters, model_type, fixture=None):
    skill = generated_skillset(MODELS[model_type], model_type)({"torch": torch, "transformers": transformers}, {})
    return skill, skill.init_cpu(forecasters[fixture or model_type][0], "cpu", "cpu")[2]


def one_series(model_type, shift):
    """One series' fields for the model_type's fixture; `shift` makes a different history."""
    variates = 2 if model_type == "informer" else 1
    values = [[math.sin(i / 2.0 + c + shift) * 3.0 + shift + 5.0 for c in range(variates)] for i in range(PAST)]
    item = {
        "past_values": [row[0] for row in values] if variates == 1 else values,
        "past_time_features": [[i / 15.0, math.cos(i + shift)] for i in range(PAST)],
        "future_time_features": [[(PAST + i) / 15.0, math.cos(PAST + i + shift)] for i in range(HORIZON)],
    }
    if model_type == "time_series_transformer":
        item.update(static_categorical_features=[int(shift) % 3], static_real_features=[0.5 * shift])
    return item


def reference(forecasters, model_type, item, seed):
    """The documented call: the seed, then model.generate(...) on a batch of this one series."""
    path, head = forecasters[model_type]
    model = head.from_pretrained(path).eval()
    values = torch.tensor([item["past_values"]], dtype=torch.float32)
    mask = torch.tensor([item["past_observed_mask"]], dtype=torch.float32) if "past_observed_mask" in item else torch.ones_like(values)
    kwargs = dict(past_values=values, past_observed_mask=mask,
                  past_time_features=torch.tensor([item["past_time_features"]], dtype=torch.float32),
                  future_time_features=torch.tensor([item["future_time_features"]], dtype=torch.float32))
    if "static_categorical_features" in item:
        kwargs["static_categorical_features"] = torch.tensor([item["static_categorical_features"]])
        kwargs["static_real_features"] = torch.tensor([item["static_real_features"]], dtype=torch.float32)
    torch.manual_seed(seed)
    with torch.no_grad():
        return model.generate(**kwargs).sequences[0]  # [samples, horizon(, variates)]


@pytest.mark.parametrize("model_type", sorted(MODELS))
def test_sampled_forecast_matches_generate(generated_skillset, forecasters, model_type):
    skill, handler = handler_for(generated_skillset, forecasters, model_type)
    assert skill.FAMILY == "time_series" and handler.task == "time_series_probabilistic_forecasting"
    items = [one_series(model_type, 0.0), one_series(model_type, 1.0)]
    result = handler([dict(items[0], return_samples=True), items[1]])
    assert result["implementation_type"] == "REAL", result
    assert result["seed"] == 0 and result["count"] == 2 and result["horizon"] == HORIZON and result["num_samples"] == 20
    assert result["quantiles"] == [0.1, 0.5, 0.9]
    shape = (2, HORIZON) + ((2,) if model_type == "informer" else ())
    assert tuple(result["mean_predictions"].shape) == shape and tuple(result["quantile_predictions"].shape) == shape + (3,)
    for i, item in enumerate(items):
        samples = reference(forecasters, model_type, item, 0)
        assert torch.allclose(result["samples"][i], samples, atol=1e-5)
        assert torch.allclose(result["mean_predictions"][i], samples.mean(dim=0), atol=1e-5)
        assert torch.allclose(result["median_predictions"][i], samples.quantile(0.5, dim=0), atol=1e-5)
        assert torch.allclose(result["quantile_predictions"][i][..., 2], samples.quantile(0.9, dim=0), atol=1e-5)
    # Two histories forecast differently; one series alone gives its row of the batch (each runs
    # alone, after the same seed).
    assert not torch.allclose(result["mean_predictions"][0], result["mean_predictions"][1], atol=1e-2)
    single = handler(items[1])
    assert torch.allclose(single["mean_predictions"][0], result["mean_predictions"][1], atol=1e-6)
    assert "samples" not in single
    assert skill.__test__(model_type, handler, "cpu")["ok"]


def test_seed_option_changes_the_samples_reproducibly(generated_skillset, forecasters):
    _, handler = handler_for(generated_skillset, forecasters, "autoformer")
    item = one_series("autoformer", 0.0)
    state = torch.get_rng_state()
    seeded = handler(dict(item, seed=7, return_samples=True))
    assert seeded["implementation_type"] == "REAL" and seeded["seed"] == 7, seeded
    # The global generator is left as it was.
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.allclose(seeded["samples"][0], reference(forecasters, "autoformer", item, 7), atol=1e-5)
    default = handler(dict(item, return_samples=True))
    assert not torch.allclose(seeded["samples"], default["samples"], atol=1e-3)
    again = handler(dict(item, seed=7, return_samples=True))
    assert torch.equal(again["samples"], seeded["samples"])


def test_time_features_reach_the_model(generated_skillset, forecasters):
    _, handler = handler_for(generated_skillset, forecasters, "time_series_transformer")
    item = one_series("time_series_transformer", 0.0)
    moved = dict(item, future_time_features=[[v + 1.0 for v in row] for row in item["future_time_features"]])
    result = handler([item, moved])
    assert result["implementation_type"] == "REAL", result
    for i, want in enumerate([item, moved]):
        assert torch.allclose(result["mean_predictions"][i], reference(forecasters, "time_series_transformer", want, 0).mean(dim=0), atol=1e-5)
    assert not torch.allclose(result["mean_predictions"][0], result["mean_predictions"][1], atol=1e-3)


def test_missing_values_are_masked(generated_skillset, forecasters):
    # A NaN is a missing value: 0 with observed mask 0, as the models' docs ask.
    _, handler = handler_for(generated_skillset, forecasters, "informer")
    item = one_series("informer", 0.0)
    holes = [list(row) for row in item["past_values"]]
    holes[3][1] = float("nan")
    result = handler(dict(item, past_values=np.asarray(holes)))
    assert result["implementation_type"] == "REAL", result
    filled = [list(row) for row in item["past_values"]]
    filled[3][1] = 0.0
    mask = [[1.0, 1.0] for _ in range(PAST)]
    mask[3][1] = 0.0
    want = reference(forecasters, "informer", dict(item, past_values=filled, past_observed_mask=mask), 0)
    assert torch.allclose(result["mean_predictions"][0], want.mean(dim=0), atol=1e-5)
    # An explicit mask reaches the model as given.
    masked = handler(dict(item, past_observed_mask=mask))
    assert torch.allclose(masked["mean_predictions"][0], reference(forecasters, "informer", dict(item, past_observed_mask=mask), 0).mean(dim=0), atol=1e-5)


def test_a_base_model_checkpoint_is_refused(generated_skillset, forecasters):
    # AutoformerModel has no distribution head: loaded as the forecaster, its head would be untrained.
    _, handler = handler_for(generated_skillset, forecasters, "autoformer", "autoformer-base")
    result = handler(one_series("autoformer", 0.0))
    assert result["implementation_type"] == "ERROR" and "AutoformerModel" in result["error"], result


def bad_inputs():
    good = one_series("time_series_transformer", 0.0)
    return [
        (None, "expected"), ([], "empty"), (good["past_values"], "not a dict"),
        ({k: v for k, v in good.items() if k != "past_time_features"}, "past_time_features"),
        (dict(good, extra=1), "extra"),
        (dict(good, past_values=good["past_values"][1:]), "past_values of series 0 has shape [10]; this model needs [11]"),
        (dict(good, past_time_features=good["past_time_features"][:-1]), "past_time_features of series 0 has shape [10, 2]; this model needs [11][2]"),
        (dict(good, future_time_features=[row[:1] for row in good["future_time_features"]]), "future_time_features of series 0 has shape [4, 1]; this model needs [4][2]"),
        (dict(good, future_time_features=good["future_time_features"] + [[0.0, 0.0]]), "this model needs [4][2]"),
        (dict(good, past_values=["a"] * PAST), "past_values"),
        (dict(good, past_values=[float("inf")] + good["past_values"][1:]), "infinite"),
        (dict(good, past_time_features=[[float("nan"), 0.0]] + good["past_time_features"][1:]), "NaN"),
        (dict(good, past_observed_mask=[2.0] * PAST), "only 0 and 1"),
        ({k: v for k, v in good.items() if k != "static_categorical_features"}, "needs static_categorical_features"),
        (dict(good, static_categorical_features=[3]), "cardinality [3]"),
        (dict(good, static_real_features=[1.0, 2.0]), "static_real_features"),
        (dict(good, seed=-1), "seed"), (dict(good, seed="x"), "seed"),
        (dict(good, quantiles=[1.5]), "quantiles"), (dict(good, quantiles=[]), "quantiles"),
        (dict(good, return_samples="yes"), "return_samples"),
        ([good, "x"], "input 1"),
    ]


@pytest.mark.parametrize("bad,words", bad_inputs())
def test_probabilistic_bad_input_is_an_error_dict(generated_skillset, forecasters, bad, words):
    _, handler = handler_for(generated_skillset, forecasters, "time_series_transformer")
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and words in result["error"], result


def test_static_features_the_model_lacks_are_an_error(generated_skillset, forecasters):
    _, handler = handler_for(generated_skillset, forecasters, "autoformer")
    result = handler(dict(one_series("autoformer", 0.0), static_real_features=[1.0]))
    assert result["implementation_type"] == "ERROR" and "static_real_features" in result["error"], result
