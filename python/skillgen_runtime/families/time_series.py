"""The time series family: point and quantile forecasts of univariate series
(MODEL_FOR_TIME_SERIES_PREDICTION: TimesFM, TimesFM 2.5), classification / regression of
fixed-length multivariate windows (MODEL_FOR_TIME_SERIES_CLASSIFICATION / _REGRESSION: PatchTST,
PatchTSMixer), and sampled probabilistic forecasts (the *ForPrediction heads of Autoformer,
Informer and the Time Series Transformer: `generate()` draws paths from a distribution head)."""

import math

from ..base import Skillset
from ..errors import SkillInputError
from ..labels import Labels

# Forecast options a prediction head's forward may take; each is passed only when the loaded
# model's forward names it (TimesFM takes `freq`, TimesFM 2.5 `force_flip_invariance`), else an error.
FORECAST_OPTIONS = ("freq", "window_size", "forecast_context_len", "truncate_negative", "force_flip_invariance")


# The output field holding a classification head's logits (PatchTST: prediction_logits,
# PatchTSMixer: prediction_outputs).
CLASSIFICATION_OUTPUTS = ("prediction_logits", "prediction_outputs")

# time_series_probabilistic_forecasting: the fields of one series (generate()'s arguments), its
# options, the seed torch's generator gets before each series' generate() when none is given, and
# the quantiles of the sampled paths reported when none are asked for.
PROBABILISTIC = "time_series_probabilistic_forecasting"
SERIES_FIELDS = ("past_values", "past_time_features", "future_time_features", "past_observed_mask",
                 "static_categorical_features", "static_real_features")
PROBABILISTIC_OPTIONS = ("seed", "quantiles", "return_samples")
DEFAULT_SEED = 0
DEFAULT_QUANTILES = (0.1, 0.5, 0.9)


class TimeSeries(Labels, Skillset):
    """Time series forecasting skillset: past values → the model's forecast over its horizon.

    Input: one series (a list of numbers, a 1-D array or tensor), a list of series (they may differ
    in length; a 2-D array is a batch of rows), or {"past_values": ..., option: value} with options
    `freq` (an int, or one per series), `window_size`, `forecast_context_len`, `truncate_negative`,
    `force_flip_invariance`, each only where the model's forward takes it. Each series runs alone:
    the heads pad a batch together and decide `truncate_negative` from the whole batch's minimum,
    so a forecast would otherwise depend on the other series. Result: {"mean_predictions":
    tensor [n, horizon], "full_predictions": tensor [n, horizon, 1 + len(quantiles)] (the mean,
    then the quantiles), "quantiles": [...], "horizon": h, "count": n}, the model's own outputs.

    time_series_probabilistic_forecasting (Autoformer, Informer, Time Series Transformer): one dict
    {"past_values": [t] (or [t][input_size]), "past_time_features": [t][f], "future_time_features":
    [prediction_length][f], "past_observed_mask" (optional, default all ones), "static_categorical_features",
    "static_real_features" (each exactly when the config has them), options "seed" (int, default 0),
    "quantiles" (default [0.1, 0.5, 0.9]), "return_samples" (bool)} or a list of such dicts, each
    run alone; t = context_length + max(lags_sequence), f = num_time_features +
    num_dynamic_real_features. A NaN in past_values is a missing value: 0 with mask 0, as the
    models' docs ask. Each series' `model.generate(...)` runs after torch.manual_seed(seed) (the
    global generator state is restored after), so a forecast is reproducible per seed and device
    and does not depend on the other series. Result: {"mean_predictions", "median_predictions":
    [n, prediction_length] (or [n, prediction_length, input_size]), "quantile_predictions": [n,
    prediction_length(, input_size), len(quantiles)], "quantiles", "samples" (with return_samples:
    [n, num_parallel_samples, prediction_length(, input_size)]), "num_samples", "seed", "horizon", "count"}.

    time_series_classification / time_series_regression: one window [time][channels] (a 1-D list
    is one univariate window), a list of windows ([batch][time][channels]), or {"past_values":
    ..., "top_k": k (classification)}; each window is the model's `context_length` long with its
    `num_input_channels` (the model says so otherwise). Classification: {"logits", "predictions":
    top-k labels per window from id2label}; regression: {"regression_outputs": [n, num_targets]}.
    A checkpoint whose `architectures` names a head this file does not serve (PatchTST's
    forecasting or pretraining heads, in no auto table) is refused at load, never run as another
    task."""

    FAMILY = "time_series"

    def _load_processor(self, model, task, config):
        # Called before _load_model: a head of another task (PatchTSTForPrediction: no auto table
        # lists it) would otherwise load as this task's head with fresh, untrained weights.
        heads = list(getattr(config, "architectures", None) or ())
        if heads and not self.metadata.get("task") and not any(head in self.HEAD_TASKS for head in heads):
            raise ValueError(
                repr(model) + " is a " + ", ".join(heads) + " checkpoint, a head this skillset does not serve (it serves "
                + ", ".join(sorted(self.HEAD_TASKS)) + "); pass metadata={'task': ...} to load it as one of " + repr(self.TASKS)
            )
        # The heads take raw values: no processor. The window's size shapes the sample input.
        length, channels = getattr(config, "context_length", None), getattr(config, "num_input_channels", None)
        if length and channels:
            self._sample_window = (int(length), int(channels))
        if task == PROBABILISTIC:
            self._forecaster = self._forecaster_sizes(config)
        return None

    @staticmethod
    def _forecaster_sizes(config):
        """What generate() needs of one series, from the config (transformers' own sizes:
        _past_length = context_length + max(lags_sequence); time features num_time_features +
        num_dynamic_real_features wide)."""
        lags = list(getattr(config, "lags_sequence", None) or [0])
        return {
            "past_length": int(config.context_length) + int(max(lags)),
            "prediction_length": int(config.prediction_length),
            "time_features": int(getattr(config, "num_time_features", 0) or 0) + int(getattr(config, "num_dynamic_real_features", 0) or 0),
            "input_size": int(getattr(config, "input_size", 1) or 1),
            "cardinality": [int(c) for c in (getattr(config, "cardinality", None) or [])][: int(getattr(config, "num_static_categorical_features", 0) or 0)],
            "static_real": int(getattr(config, "num_static_real_features", 0) or 0),
        }

    def _sample_input(self, task):
        if task == PROBABILISTIC:
            # Sized to the loaded model (mock mode has no config: a small univariate one).
            sizes = getattr(self, "_forecaster", None) or {"past_length": 10, "prediction_length": 2, "time_features": 1,
                                                          "input_size": 1, "cardinality": [], "static_real": 0}
            t, h, f, d = sizes["past_length"], sizes["prediction_length"], sizes["time_features"], sizes["input_size"]
            value = (lambda i: math.sin(i / 3.0) + 2.0) if d == 1 else (lambda i: [math.sin(i / 3.0 + c) + 2.0 for c in range(d)])
            item = {
                "past_values": [value(i) for i in range(t)],
                "past_time_features": [[(i + k) / (t + h) for k in range(f)] for i in range(t)],
                "future_time_features": [[(t + i + k) / (t + h) for k in range(f)] for i in range(h)],
            }
            if sizes["cardinality"]:
                item["static_categorical_features"] = [0] * len(sizes["cardinality"])
            if sizes["static_real"]:
                item["static_real_features"] = [0.0] * sizes["static_real"]
            return item
        if task != "time_series_forecasting":
            # Sized to the loaded model (mock mode has no config: 8 steps of one channel).
            length, channels = getattr(self, "_sample_window", (8, 1))
            return [[math.sin(i / 3.0 + c) for c in range(channels)] for i in range(length)]
        return [math.sin(i / 3.0) * 2.0 + i / 10.0 for i in range(48)]

    def _windows(self, x):
        """(windows [n][time][channels] as floats, single) for the classification/regression heads."""
        import numpy as np

        try:
            array = np.asarray(x.detach().cpu().float() if hasattr(x, "detach") else x, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise SkillInputError("past_values must be numbers in a [time][channels] window or a list of windows (" + str(e) + ")")
        if array.ndim not in (1, 2, 3) or array.size == 0:
            raise SkillInputError("past_values must be a non-empty [time], [time][channels] or [batch][time][channels] array; got shape " + str(array.shape))
        if not np.isfinite(array).all():
            raise SkillInputError("past_values holds a NaN or infinite value")
        single = array.ndim < 3
        if array.ndim == 1:
            array = array[:, None]
        return (array[None] if single else array), single

    def _series(self, x, index):
        if hasattr(x, "shape"):
            if len(x.shape) != 1:
                raise SkillInputError("series " + str(index) + " must be 1-D; got shape " + str(tuple(x.shape)))
            x = x.tolist()
        if not isinstance(x, (list, tuple)) or not x:
            raise SkillInputError("series " + str(index) + " must be a non-empty list of numbers")
        values = []
        for v in x:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SkillInputError("series " + str(index) + " holds " + repr(v) + ", not a finite number")
            values.append(float(v))
        return values

    def _split_input(self, task, x):
        if task == PROBABILISTIC:
            if isinstance(x, (list, tuple)):
                batch, single, options = self._dict_items(x, self._one_series, "'past_values', 'past_time_features' and 'future_time_features'")
            else:
                batch, single, options = self._one_series(x)
            return batch, single, self._probabilistic_options(options)
        if task != "time_series_forecasting":
            allowed = ("top_k",) if task == "time_series_classification" else ()
            x, options = self._dict_input(x, "past_values", allowed=allowed)
            if isinstance(x, (str, bytes, bool)) or x is None:
                raise SkillInputError("past_values must be numbers, not " + type(x).__name__)
            if task == "time_series_classification":
                self._check_top_k(options)
            windows, single = self._windows(x)
            return windows, single, options
        x, options = self._dict_input(x, "past_values", allowed=FORECAST_OPTIONS)
        if hasattr(x, "shape") and len(x.shape) == 2:
            x = [row for row in x]
        elif hasattr(x, "shape"):
            x = x.tolist() if len(x.shape) == 1 else x
        if not isinstance(x, (list, tuple)) or not x:
            raise SkillInputError("expected a series (list of numbers) or a list of series")
        single = not any(isinstance(item, (list, tuple)) or hasattr(item, "shape") for item in x)
        batch = [self._series(x, 0)] if single else [self._series(item, i) for i, item in enumerate(x)]
        freq = options.get("freq")
        if freq is not None:
            freqs = freq if isinstance(freq, (list, tuple)) else [freq] * len(batch)
            if len(freqs) != len(batch) or any(isinstance(f, bool) or not isinstance(f, int) for f in freqs):
                raise SkillInputError("freq must be an int or one int per series")
            options["freq"] = list(freqs)
        return batch, single, options

    def _preprocess(self, task, processor, batch, options, device, model):
        if task == PROBABILISTIC:
            sizes = self._forecaster_sizes(model.config)
            dtype = next(model.parameters()).dtype
            return [self._series_tensors(item, i, sizes, dtype, device) for i, item in enumerate(batch)]
        if task != "time_series_forecasting":
            dtype = next(model.parameters()).dtype
            return {"past_values": self.torch.tensor(batch, dtype=dtype, device=device)}
        import inspect

        accepted = inspect.signature(model.forward).parameters
        refused = sorted(k for k in options if k not in accepted)
        if refused:
            raise SkillInputError("option(s) " + repr(refused) + " not taken by " + type(model).__name__)
        dtype = next(model.parameters()).dtype
        series = [self.torch.tensor(values, dtype=dtype, device=device) for values in batch]
        return {"series": series, "options": options}

    def _forward(self, task, model, inputs, options):
        if task == PROBABILISTIC:
            # One generate() per series, each after the same seed: its samples depend on neither the
            # batch nor the calls before it. fork_rng restores the global generator afterwards.
            torch = self.torch
            seed = options.get("seed", DEFAULT_SEED)
            outputs = []
            for tensors in inputs:
                device = tensors["past_values"].device
                devices = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
                with torch.random.fork_rng(devices=devices):
                    torch.manual_seed(seed)
                    outputs.append(model.generate(**tensors))
            return outputs
        if task != "time_series_forecasting":
            # Windows are scaled one by one inside the heads: the batch runs as one.
            return model(past_values=inputs["past_values"])
        outputs = []
        for i, series in enumerate(inputs["series"]):
            kwargs = dict(inputs["options"])
            if "freq" in kwargs:
                kwargs["freq"] = [kwargs["freq"][i]]
            outputs.append(model(past_values=[series], **kwargs))
        return outputs

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        if task == PROBABILISTIC:
            return self._sampled_forecast(outputs, options)
        if task == "time_series_classification":
            logits = next(getattr(outputs, key) for key in CLASSIFICATION_OUTPUTS if getattr(outputs, key, None) is not None)
            return self._classification_result(model, logits, options)
        if task == "time_series_regression":
            values = outputs.regression_outputs
            if not hasattr(values, "shape"):
                # loss="nll" heads return distribution parameters, not a value per target.
                raise ValueError("this regression head outputs distribution parameters (loss=" + repr(getattr(model.config, "loss", None)) + "), not values; not served")
            return {"regression_outputs": values.float().cpu(), "count": int(values.shape[0])}
        torch = self.torch
        mean = torch.cat([output.mean_predictions for output in outputs]).float().cpu()
        full = torch.cat([output.full_predictions for output in outputs]).float().cpu()
        return {
            "mean_predictions": mean,
            "full_predictions": full,
            "quantiles": [float(q) for q in getattr(model.config, "quantiles", ())],
            "horizon": int(mean.shape[1]),
            "count": len(outputs),
        }

    def _mock_result(self, task, batch, single, options):
        # No forecast, for host tests without a model; labelled MOCK by the caller.
        if task == "time_series_classification":
            return self._mock_classification(len(batch), options)
        if task == "time_series_regression":
            return {"regression_outputs": [[] for _ in batch], "count": len(batch)}
        if task == PROBABILISTIC:
            return {"mean_predictions": [[] for _ in batch], "median_predictions": [[] for _ in batch], "quantile_predictions": [[] for _ in batch],
                    "quantiles": options["quantiles"], "seed": options["seed"], "num_samples": 0, "horizon": 0, "count": len(batch)}
        return {"mean_predictions": [[] for _ in batch], "full_predictions": [[] for _ in batch], "quantiles": [], "horizon": 0, "count": len(batch)}

    # ---- time_series_probabilistic_forecasting ----------------------------------------------------

    def _one_series(self, item):
        if not isinstance(item, dict):
            raise SkillInputError("expected {'past_values': ..., 'past_time_features': ..., 'future_time_features': ...}; got " + type(item).__name__)
        unknown = sorted(k for k in item if k not in SERIES_FIELDS + PROBABILISTIC_OPTIONS)
        missing = [k for k in SERIES_FIELDS[:3] if k not in item]
        if unknown or missing:
            raise SkillInputError("a series has the keys " + repr(SERIES_FIELDS) + " (the last three optional) and options "
                                  + repr(PROBABILISTIC_OPTIONS) + "; unknown " + repr(unknown) + ", missing " + repr(missing))
        series = {k: item[k] for k in SERIES_FIELDS if item.get(k) is not None}
        return [series], True, {k: item[k] for k in PROBABILISTIC_OPTIONS if k in item}

    @staticmethod
    def _probabilistic_options(options):
        seed = options.get("seed", DEFAULT_SEED)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SkillInputError("seed must be a non-negative int, not " + repr(seed))
        quantiles = options.get("quantiles", DEFAULT_QUANTILES)
        if isinstance(quantiles, (int, float)) and not isinstance(quantiles, bool):
            quantiles = [quantiles]
        if (not isinstance(quantiles, (list, tuple)) or not quantiles
                or any(isinstance(q, bool) or not isinstance(q, (int, float)) or not 0.0 <= q <= 1.0 for q in quantiles)):
            raise SkillInputError("quantiles must be a non-empty list of numbers in [0, 1], not " + repr(quantiles))
        return_samples = options.get("return_samples", False)
        if not isinstance(return_samples, bool):
            raise SkillInputError("return_samples must be true or false, not " + repr(return_samples))
        return {"seed": seed, "quantiles": [float(q) for q in quantiles], "return_samples": return_samples}

    @staticmethod
    def _array(value, name, index, shape, allow_nan=False):
        """value as a float64 array of `shape` (a trailing 1 may be left out), else a SkillInputError
        naming the field, the series and the expected shape."""
        import numpy as np

        where = name + " of series " + str(index)
        expected = "[" + "][".join(str(n) for n in shape) + "]"
        if isinstance(value, (str, bytes, bool, dict)):
            raise SkillInputError(where + " must be numbers shaped " + expected + ", not " + type(value).__name__)
        try:
            array = np.asarray(value.detach().cpu().double() if hasattr(value, "detach") else value, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise SkillInputError(where + " must be numbers shaped " + expected + " (" + str(e) + ")")
        if array.ndim == len(shape) - 1 and shape[-1] == 1:
            array = array[..., None]
        if array.shape != tuple(shape):
            raise SkillInputError(where + " has shape " + str(list(array.shape)) + "; this model needs " + expected)
        bad = ~np.isfinite(array) & ~(np.isnan(array) if allow_nan else np.zeros(array.shape, dtype=bool))
        if bad.any():
            raise SkillInputError(where + (" holds an infinite value" if allow_nan else " holds a NaN or infinite value"))
        return array

    def _series_tensors(self, item, index, sizes, dtype, device):
        """One series' generate() arguments as tensors with a batch of one, checked against the
        model's sizes (each error names the field and the length it needs)."""
        import numpy as np

        torch = self.torch
        t, h, f, d = sizes["past_length"], sizes["prediction_length"], sizes["time_features"], sizes["input_size"]
        value_shape = (t,) if d == 1 else (t, d)
        values = self._array(item["past_values"], "past_values", index, value_shape, allow_nan=True)
        if "past_observed_mask" in item:
            mask = self._array(item["past_observed_mask"], "past_observed_mask", index, value_shape)
            if not np.isin(mask, (0.0, 1.0)).all():
                raise SkillInputError("past_observed_mask of series " + str(index) + " must hold only 0 and 1")
        else:
            mask = np.ones(value_shape)
        # A NaN is a missing value: transformers' models take it as 0 with observed mask 0.
        missing = np.isnan(values)
        values, mask = np.where(missing, 0.0, values), np.where(missing, 0.0, mask)
        tensors = {
            "past_values": torch.tensor(values[None], dtype=dtype, device=device),
            "past_time_features": torch.tensor(self._array(item["past_time_features"], "past_time_features", index, (t, f))[None], dtype=dtype, device=device),
            "future_time_features": torch.tensor(self._array(item["future_time_features"], "future_time_features", index, (h, f))[None], dtype=dtype, device=device),
            "past_observed_mask": torch.tensor(mask[None], dtype=dtype, device=device),
        }
        cardinality = sizes["cardinality"]
        for field, count in (("static_categorical_features", len(cardinality)), ("static_real_features", sizes["static_real"])):
            if field in item and not count:
                raise SkillInputError("series " + str(index) + " has " + field + ", which this model does not take (its config has none)")
        if cardinality:
            if "static_categorical_features" not in item:
                raise SkillInputError("series " + str(index) + " needs static_categorical_features: " + str(len(cardinality)) + " ints, below " + repr(cardinality))
            codes = item["static_categorical_features"]
            codes = codes.tolist() if hasattr(codes, "tolist") else codes
            if (not isinstance(codes, (list, tuple)) or len(codes) != len(cardinality)
                    or any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n for c, n in zip(codes, cardinality))):
                raise SkillInputError("static_categorical_features of series " + str(index) + " must be " + str(len(cardinality))
                                      + " ints, each below its cardinality " + repr(cardinality) + "; got " + repr(codes))
            tensors["static_categorical_features"] = torch.tensor([list(codes)], dtype=torch.long, device=device)
        if sizes["static_real"]:
            if "static_real_features" not in item:
                raise SkillInputError("series " + str(index) + " needs static_real_features: " + str(sizes["static_real"]) + " numbers")
            real = self._array(item["static_real_features"], "static_real_features", index, (sizes["static_real"],))
            tensors["static_real_features"] = torch.tensor(real[None], dtype=dtype, device=device)
        return tensors

    def _sampled_forecast(self, outputs, options):
        torch = self.torch
        samples = torch.cat([output.sequences for output in outputs]).float().cpu()  # [n, S, H(, d)]
        quantiles = options.get("quantiles", list(DEFAULT_QUANTILES))
        levels = torch.tensor(quantiles, dtype=samples.dtype)
        result = {
            "mean_predictions": samples.mean(dim=1),
            "median_predictions": samples.quantile(0.5, dim=1),
            # torch.quantile puts the levels first: moved last ([n, H(, d), q]).
            "quantile_predictions": samples.quantile(levels, dim=1).movedim(0, -1),
            "quantiles": quantiles,
            "seed": options.get("seed", DEFAULT_SEED),
            "num_samples": int(samples.shape[1]),
            "horizon": int(samples.shape[2]),
            "count": int(samples.shape[0]),
        }
        if options.get("return_samples"):
            result["samples"] = samples
        return result
