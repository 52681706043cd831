"""OpenVINO without optimum-intel: a family's torch model wrapped so that the calls the family makes
(`model(**inputs)`, `get_text_features(...)`, `get_image_features(...)`, ...) run OpenVINO compiled
models made by `openvino.convert_model(torch.export.export(...))` from the family's own preprocess
output. Each (method, input signature) is converted once, on its first call, with every input axis
left dynamic where torch.export allows; a call whose shapes the compiled model cannot take is
converted again for those shapes. The IR is cached (openvino.save_model) under the runtime's cache
directory, keyed by the model, its revision, the task, the method and the input signature. Outputs
come back in the torch model's own output structure (a transformers ModelOutput rebuilt from the
OpenVINO outputs by position), so the family's postprocess runs unchanged.

Generation (generate, generate_speech) is not converted: the proxy refuses it, and init_openvino
then falls back to CPU torch, labelled."""

import hashlib
import os

# Methods a family calls on its model that this path converts; others are the torch model's own
# attributes (config, dtype, device, ...), except generation, which must never run torch under an
# "openvino" label.
CONVERTED_METHODS = ("__call__", "get_text_features", "get_image_features", "get_audio_features", "get_video_features")
REFUSED = ("generate", "generate_speech", "forward")
# Part of every cache key: a change to how IRs are made never serves an IR made the old way.
FORMAT = "skillgen-convert-3"


class ConvertedModel:
    """A torch model whose forward and feature methods run on OpenVINO."""

    def __init__(self, torch_model, torch, core, device, ov_config, cache_dir):
        self._torch_model = torch_model
        self._torch = torch
        self._core = core
        self._device = device
        self._ov_config = dict(ov_config or {})
        self._cache_dir = cache_dir
        self._compiled = {}  # (method, signature) -> list of (compiled model, tree spec, leaf mask)
        self.conversions = []  # (method, seconds, from cache) per conversion, for the endpoint info

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in REFUSED:
            raise AttributeError(name + " is not converted to OpenVINO (generation runs only through optimum-intel)")
        if name in CONVERTED_METHODS:
            return lambda **kwargs: self._run(name, kwargs)
        return getattr(self._torch_model, name)

    def __call__(self, **kwargs):
        return self._run("__call__", kwargs)

    def parameters(self):
        return self._torch_model.parameters()

    # ---- conversion ----

    def _split(self, kwargs):
        torch = self._torch
        tensors = {k: v for k, v in kwargs.items() if isinstance(v, torch.Tensor)}
        static = {k: v for k, v in kwargs.items() if k not in tensors}
        for key, value in static.items():
            if not isinstance(value, (bool, int, float, str, type(None))):
                raise TypeError("cannot convert a call with a " + type(value).__name__ + " argument " + repr(key))
        return tensors, static

    def _run(self, method, kwargs):
        tensors, static = self._split(kwargs)
        names = tuple(sorted(tensors))
        signature = (method, names, tuple(str(tensors[k].dtype) + ":" + str(tensors[k].dim()) for k in names), tuple(sorted(static.items())))
        entry = None
        for candidate in self._compiled.get(signature, ()):
            if self._accepts(candidate[0], [tensors[names[i]] for i in candidate[3]]):
                entry = candidate
                break
        if entry is None:
            entry = self._convert(method, names, tensors, static, signature)
            self._compiled.setdefault(signature, []).append(entry)
        compiled, spec, leaves, order = entry
        values = [tensors[names[i]].detach().cpu().contiguous().numpy() for i in order]
        request = compiled.create_infer_request()
        request.infer(values)
        results = iter(self._torch.from_numpy(request.get_output_tensor(i).data.copy()) for i in range(len(compiled.outputs)))
        flat = [next(results) if is_tensor else value for is_tensor, value in leaves]
        from torch.utils import _pytree

        return _pytree.tree_unflatten(flat, spec)

    def _accepts(self, compiled, values):
        import openvino as ov

        for port, value in zip(compiled.inputs, values):
            if not port.get_partial_shape().compatible(ov.PartialShape(list(value.shape))):
                return False
        return True

    def _convert(self, method, names, tensors, static, signature):
        import time

        import openvino as ov
        from torch.utils import _pytree

        torch = self._torch
        start = time.time()
        target = self._torch_model if method == "__call__" else getattr(self._torch_model, method)
        with torch.no_grad():
            eager = target(**tensors, **static)
        flat, spec = _pytree.tree_flatten(eager)
        leaves = [(True, None) if isinstance(v, torch.Tensor) else (False, v) for v in flat]
        shapes = ";".join(k + str(tuple(tensors[k].shape)) for k in names)
        key = hashlib.sha1((FORMAT + repr(signature) + "|" + shapes).encode("utf-8")).hexdigest()[:16]
        path = os.path.join(self._cache_dir, ("forward" if method == "__call__" else method) + "-" + key + ".xml")
        cached = os.path.isfile(path) and os.path.isfile(path[:-4] + ".bin")
        if cached:
            ov_model = self._core.read_model(path)
        else:
            exported = self._export(target, names, tensors, static)
            ov_model = ov.convert_model(exported)
            # Axes torch.export specialised (fixed image sizes) and axes of size 1 in the example
            # (a batch of 1: torch.export may bake it into reshapes while leaving the input
            # dynamic) stay static in the IR: a call with other sizes converts again instead of
            # running a graph made for the example.
            examples = [tensors[k] for k in names]
            dims = [[1 if t.shape[j] == 1 else d for j, d in enumerate(ds)] for t, ds in zip(examples, self._input_dims(exported))]
            ov_model.reshape({port: ov.PartialShape(d) for port, d in zip(ov_model.inputs, [dims[i] for i in self._input_order(ov_model, len(names))])})
            tmp = path[:-4] + ".tmp" + str(os.getpid()) + ".xml"
            ov.save_model(ov_model, tmp, compress_to_fp16=False)
            os.replace(tmp[:-4] + ".bin", path[:-4] + ".bin")
            os.replace(tmp, path)
        if len(ov_model.outputs) != sum(1 for t, _ in leaves if t):
            raise RuntimeError("the converted " + method + " gives " + str(len(ov_model.outputs)) + " outputs, torch " + str(sum(1 for t, _ in leaves if t)))
        compiled = self._core.compile_model(ov_model, self._device, self._ov_config)
        self.conversions.append((method, round(time.time() - start, 3), cached))
        return compiled, spec, leaves, self._input_order(ov_model, len(names))

    def _input_order(self, ov_model, count):
        """Which of the call's tensors (by position in sorted-name order) feeds each IR input: the
        IR names its inputs after the exported placeholders args_<i>, and drops unused ones (a
        pixel_mask the model ignores)."""
        import re

        order = []
        for i, port in enumerate(ov_model.inputs):
            found = [int(m.group(1)) for name in port.get_names() for m in [re.fullmatch(r"args_(\d+)", name)] if m]
            order.append(found[0] if found else i)
        if any(i >= count for i in order):
            raise RuntimeError("the converted model's inputs do not match the call's tensors")
        return order

    def _input_dims(self, exported):
        """Per user input of the exported program: its dims, -1 where symbolic."""
        user = set(exported.graph_signature.user_inputs)
        out = []
        for node in exported.graph.nodes:
            if node.op == "placeholder" and node.name in user:
                out.append([d if isinstance(d, int) else -1 for d in node.meta["val"].shape])
        return out

    def _export(self, target, names, tensors, static):
        """torch.export of target(**tensors, **static) as a module over the tensors in `names` order,
        returning the flat tensor outputs; every axis dynamic where the model allows (Dim.AUTO)."""
        torch = self._torch
        from torch.utils import _pytree

        class Flat(torch.nn.Module):
            def __init__(self, fn):
                super().__init__()
                self.fn = fn
                self.inner = getattr(fn, "__self__", fn)

            def forward(self, *args):
                out = self.fn(**dict(zip(names, args)), **static)
                return tuple(v for v in _pytree.tree_flatten(out)[0] if isinstance(v, torch.Tensor))

        args = tuple(tensors[k] for k in names)
        auto = torch.export.Dim.AUTO
        dynamic = tuple({i: auto for i in range(t.dim())} for t in args)
        with torch.no_grad():
            try:
                return torch.export.export(Flat(target), args, dynamic_shapes=dynamic, strict=False)
            except Exception:
                # Some models cannot be traced with symbolic shapes: static shapes for this signature
                # (a call with other shapes converts again).
                return torch.export.export(Flat(target), args, strict=False)


def source_key(model):
    """For a local model directory: its config and weight files' sizes and times, so a rebuilt
    directory is never served an IR converted from the old weights."""
    if not isinstance(model, str) or not os.path.isdir(model):
        return ""
    parts = []
    for name in sorted(os.listdir(model)):
        if name.endswith((".json", ".safetensors", ".bin", ".pt")):
            stat = os.stat(os.path.join(model, name))
            parts.append(name + ":" + str(stat.st_size) + ":" + str(stat.st_mtime_ns))
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:12]
