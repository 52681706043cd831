"""The time series family: point and quantile forecasts of univariate series
(MODEL_FOR_TIME_SERIES_PREDICTION: TimesFM, TimesFM 2.5), and classification / regression of
fixed-length multivariate windows (MODEL_FOR_TIME_SERIES_CLASSIFICATION / _REGRESSION: PatchTST,
PatchTSMixer)."""

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
        return None

    def _sample_input(self, task):
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
        return {"mean_predictions": [[] for _ in batch], "full_predictions": [[] for _ in batch], "quantiles": [], "horizon": 0, "count": len(batch)}
