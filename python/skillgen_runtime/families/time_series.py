"""The time series family: point and quantile forecasts of univariate series
(MODEL_FOR_TIME_SERIES_PREDICTION: TimesFM, TimesFM 2.5)."""

import math

from ..base import Skillset
from ..errors import SkillInputError

# Forecast options a prediction head's forward may take; each is passed only when the loaded
# model's forward names it (TimesFM takes `freq`, TimesFM 2.5 `force_flip_invariance`), else an error.
FORECAST_OPTIONS = ("freq", "window_size", "forecast_context_len", "truncate_negative", "force_flip_invariance")


class TimeSeries(Skillset):
    """Time series forecasting skillset: past values → the model's forecast over its horizon.

    Input: one series (a list of numbers, a 1-D array or tensor), a list of series (they may differ
    in length; a 2-D array is a batch of rows), or {"past_values": ..., option: value} with options
    `freq` (an int, or one per series), `window_size`, `forecast_context_len`, `truncate_negative`,
    `force_flip_invariance`, each only where the model's forward takes it. Each series runs alone:
    the heads pad a batch together and decide `truncate_negative` from the whole batch's minimum,
    so a forecast would otherwise depend on the other series. Result: {"mean_predictions":
    tensor [n, horizon], "full_predictions": tensor [n, horizon, 1 + len(quantiles)] (the mean,
    then the quantiles), "quantiles": [...], "horizon": h, "count": n}, the model's own outputs."""

    FAMILY = "time_series"

    def _load_processor(self, model, task, config):
        # The heads take raw values: no processor.
        return None

    def _sample_input(self, task):
        return [math.sin(i / 3.0) * 2.0 + i / 10.0 for i in range(48)]

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
        import inspect

        accepted = inspect.signature(model.forward).parameters
        refused = sorted(k for k in options if k not in accepted)
        if refused:
            raise SkillInputError("option(s) " + repr(refused) + " not taken by " + type(model).__name__)
        dtype = next(model.parameters()).dtype
        series = [self.torch.tensor(values, dtype=dtype, device=device) for values in batch]
        return {"series": series, "options": options}

    def _forward(self, task, model, inputs, options):
        outputs = []
        for i, series in enumerate(inputs["series"]):
            kwargs = dict(inputs["options"])
            if "freq" in kwargs:
                kwargs["freq"] = [kwargs["freq"][i]]
            outputs.append(model(past_values=[series], **kwargs))
        return outputs

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
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
        return {"mean_predictions": [[] for _ in batch], "full_predictions": [[] for _ in batch], "quantiles": [], "horizon": 0, "count": len(batch)}
