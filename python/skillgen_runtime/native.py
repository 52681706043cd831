"""Apple (MPS, or Core ML through the host's apple_coreml_utils) and Qualcomm (SNPE through the
host's qualcomm_snpe_utils): the host converts and runs; the family preprocesses and the handler
returns raw outputs."""

import os
import time

from .errors import SkillInputError


class NativeModel:
    """Stands in for the torch model in a family's preprocess when a native runtime (Core ML,
    SNPE) runs the model: its config, float32 inputs, the CPU."""

    def __init__(self, config, torch):
        self.config = config
        self.generation_config = None
        self.dtype = torch.float32
        self.device = torch.device("cpu")
        self._torch = torch

    def parameters(self):
        return iter((self._torch.zeros(1),))


class Native:
    """Mixin: init_apple, init_qualcomm and the generic Core ML / SNPE handler."""

    def init_apple(self, model=None, device="mps", apple_label="apple:0"):
        """MPS through torch when torch has it; else Core ML through the host's
        apple_coreml_utils.get_coreml_utils() when it is importable and is_available(); else CPU."""
        if self._mock_requested():
            return self._mock_endpoint(model, apple_label, "apple")
        reason = self._mps_unavailable()
        if reason is None:
            return self._init_endpoint(model, "mps", apple_label, "apple")
        utils, why = self._native_utils("apple_coreml_utils", "get_coreml_utils")
        if utils is not None:
            return self._init_native(model, apple_label, "apple", "coreml", utils, device)
        return self._init_endpoint(model, "cpu", apple_label, "apple", fallback="apple MPS unavailable (" + reason + ") and Core ML unavailable (" + why + "); ran on CPU")

    def init_qualcomm(self, model=None, device="qualcomm", qualcomm_label="qualcomm:0"):
        """SNPE through the host's qualcomm_snpe_utils.get_snpe_utils() when it is importable and
        is_available(); else CPU torch, labelled."""
        if self._mock_requested():
            return self._mock_endpoint(model, qualcomm_label, "qualcomm")
        utils, why = self._native_utils("qualcomm_snpe_utils", "get_snpe_utils")
        if utils is not None:
            return self._init_native(model, qualcomm_label, "qualcomm", "snpe", utils, device)
        return self._init_endpoint(model, "cpu", qualcomm_label, "qualcomm", fallback="qualcomm SNPE unavailable (" + why + "); ran on CPU with torch")

    def _mps_unavailable(self):
        try:
            self.init()
            mps = getattr(self.torch.backends, "mps", None)
            if mps is not None and mps.is_available():
                return None
            return "torch.backends.mps reports no device"
        except Exception as e:
            return type(e).__name__ + ": " + str(e)

    # ---- Core ML / SNPE: the host converts and runs; this file preprocesses and returns raw outputs ----

    def _init_native(self, model, label, hardware, kind, utils, device):
        """A generic handler over the host's Core ML or SNPE runtime: the family's preprocess (on
        CPU, torch tensors as numpy arrays) -> utils.run_inference(model, inputs) -> the raw outputs
        as lists under "outputs" (no task-specific postprocess; generation is one forward pass).
        A model with a models.toml revision or remote code runs on CPU torch instead (labelled
        fallback): the host's convert_model takes only a name and would convert another revision."""
        model = model or self.DEFAULT_MODEL
        batch_size = self._batch_size("cpu")
        notes = []
        try:
            self.init()
            refusal = self._host_helper_refusal(model)
            if refusal:
                raise RuntimeError(refusal)
            config = self.transformers.AutoConfig.from_pretrained(model, **self._hub_kwargs(model))
            task = self._task_for(model, config)
            processor = self._load_processor(model, task, config)
            path = os.path.join(self._cache_dir(kind, model, self.REVISIONS.get(model)), "model" + (".mlpackage" if kind == "coreml" else ".dlc"))
            converted = utils.convert_model(model, task, path)
            if converted is False:
                raise RuntimeError(kind + " convert_model returned False")
            if isinstance(converted, str):
                path = converted
            if kind == "snpe":
                optimized = utils.optimize_for_device(path, self.metadata.get("qualcomm_device") or device)
                if isinstance(optimized, str):
                    path = optimized
            runtime = utils.load_model(path)
            if runtime is None:
                raise RuntimeError(kind + " load_model returned None for " + path)
        except Exception as e:
            notes.append(kind + " failed: " + type(e).__name__ + ": " + str(e))
            return self._init_endpoint(model, "cpu", label, hardware, fallback=hardware + " " + kind + " unavailable (" + "; ".join(notes) + "); ran on CPU with torch")
        stand_in = NativeModel(config, self.torch)

        def handler(x=None):
            return self._handle_native(task, runtime, utils, processor, stand_in, label, kind, x)

        handler.task = task
        self.endpoints[label] = {"model": model, "task": task, "device": kind, "backend": kind, "path": path}
        return (runtime, processor, handler, self._queue(batch_size), batch_size)

    def _handle_native(self, task, runtime, utils, processor, stand_in, label, kind, x):
        start = time.time()
        try:
            batch, single, options = self._split_input(task, x)
            inputs = self._preprocess(task, processor, batch, options, "cpu", stand_in)
            arrays = {}
            self._numpy_inputs(inputs, arrays)
            outputs = utils.run_inference(runtime, arrays)
            if outputs is None:
                raise RuntimeError(kind + " run_inference returned None")
            result = {"outputs": self._as_lists(outputs), "count": len(batch), "note": "raw " + kind + " outputs of one forward pass"}
        except SkillInputError as e:
            result = {"error": str(e)}
        except Exception as e:
            result = {"error": type(e).__name__ + ": " + str(e)}
        result["implementation_type"] = "ERROR" if "error" in result else "REAL"
        result.update({"task": task, "device": kind, "hardware_label": label, "backend": kind, "elapsed_time": time.time() - start})
        return result

    def _numpy_inputs(self, value, out):
        if hasattr(value, "items"):
            for key, item in value.items():
                if hasattr(item, "detach"):
                    out[key] = item.detach().cpu().numpy()
                elif hasattr(item, "items"):
                    self._numpy_inputs(item, out)

    def _as_lists(self, value):
        if hasattr(value, "items"):
            return {str(k): self._as_lists(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._as_lists(v) for v in value]
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        if hasattr(value, "tolist"):
            return value.tolist()
        return value

