"""OpenVINO without optimum-intel: a family's torch model wrapped so that the calls the family makes
(`model(**inputs)`, `get_text_features(...)`, `get_image_features(...)`, ...) run OpenVINO compiled
models made by `openvino.convert_model(torch.export.export(...))` from the family's own preprocess
output. Each (method, input signature) is converted once, on its first call, with every input axis
left dynamic where torch.export allows; a call whose shapes the compiled model cannot take is
converted again for those shapes. The IR is cached (openvino.save_model) under the runtime's cache
directory, keyed by the model, its revision, the task, the method and the input signature. Outputs
come back in the torch model's own output structure (a transformers ModelOutput rebuilt from the
OpenVINO outputs by position), so the family's postprocess runs unchanged. The proxy takes what
families pass: keyword or positional arguments (by the forward's parameter names; `forward` itself
has the torch forward's signature, for families that inspect it), scalars and lists of them as
constants of the graph, lists of tensors (one graph input each). Conversion runs with use_cache off
(a graph returns no KV cache), and its TorchScript fallback with transformers' mask builder made
traceable.

Generation (generate, generate_speech) is not converted as such: the proxy refuses it, as it
refuses any other method the model's own class defines and this path does not convert (the
sample check then falls back to CPU torch, labelled). For the generative families whose skillset
lists the torch submodules that do the compute per step (OPENVINO_GENERATION_MODULES: a vision
encoder and a decoder, or a whole captioner), those submodules' forward run on OpenVINO (converted
like the rest, one graph per input signature, the decoder without KV cache so the sequence axis is
dynamic) and transformers' own generation loop (generate with use_cache=False: the same logits
processors and stopping as the CPU path) drives them (ConvertedGenerator)."""

import contextlib
import hashlib
import os

# Methods a family calls on its model that this path converts (with the torch method's signature,
# positional arguments bound by it); submodules a family calls are converted as well. Other
# attributes are the torch model's own (config, dtype, device, and the generic methods of
# torch.nn.Module and transformers' PreTrainedModel), except generation and any other method the
# model's own class defines (model-specific compute): never torch compute under an "openvino" label.
CONVERTED_METHODS = ("__call__", "get_text_features", "get_image_features", "get_audio_features", "get_video_features",
                     "get_audio_embeds", "get_text_audio_embeds", "encode", "decode", "get_codebook_indices")
REFUSED = ("generate", "generate_speech")
# Part of every cache key: a change to how IRs are made never serves an IR made the old way.
FORMAT = "skillgen-convert-5"


class ConvertedModel:
    """A torch model whose forward, feature methods and called submodules run on OpenVINO."""

    def __init__(self, torch_model, torch, core, device, ov_config, cache_dir, forward=None, conversions=None):
        self._torch_model = torch_model
        self._torch = torch
        self._core = core
        self._device = device
        self._ov_config = dict(ov_config or {})
        self._cache_dir = cache_dir
        # What "__call__" converts: the module's own forward (kept here when the module's forward
        # is replaced by this proxy, ConvertedGenerator).
        self._forward = forward
        self._compiled = {}  # (method, signature) -> list of (compiled model, tree spec, leaf mask)
        self._submodules = {}  # attribute name -> ConvertedModel of that submodule
        # (method, seconds, from cache) per conversion, for the endpoint info (shared by the
        # submodules of one ConvertedGenerator).
        self.conversions = [] if conversions is None else conversions

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in REFUSED:
            raise AttributeError(name + " is not converted to OpenVINO (generation runs only through optimum-intel)")
        if name == "forward":
            # The converted forward, with the torch forward's signature: families inspect it
            # (which inputs the model takes) and call it positionally (vocoders).
            return _calling(self, self._forward or self._torch_model.forward)
        attribute = getattr(self._torch_model, name)
        if name in CONVERTED_METHODS:
            return _calling(lambda *args, **kwargs: self._run(name, _bound(attribute, args, kwargs)), attribute)
        if isinstance(attribute, self._torch.nn.Module):
            # A submodule (pe_audio's text_model, a quantizer): calling it converts it too; its
            # other attributes are the torch submodule's.
            if name not in self._submodules:
                self._submodules[name] = ConvertedModel(attribute, self._torch, self._core, self._device, self._ov_config,
                                                        os.path.join(self._cache_dir, name), conversions=self.conversions)
            return self._submodules[name]
        _refuse_model_method(self._torch_model, name)
        return attribute

    def __call__(self, *args, **kwargs):
        return self._run("__call__", _bound(self._forward or self._torch_model.forward, args, kwargs))

    def parameters(self):
        return self._torch_model.parameters()

    # ---- conversion ----

    def _split(self, kwargs):
        torch = self._torch
        tensors = {k: v for k, v in kwargs.items() if isinstance(v, torch.Tensor)}
        static = {k: v for k, v in kwargs.items() if k not in tensors}
        scalar = (bool, int, float, str, type(None))
        for key, value in static.items():
            if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
                # A list of tensors (TimesFM's past_values: one series each): one input per tensor,
                # put back into a list by _kwargs.
                tensors.update((key + "." + str(i), v) for i, v in enumerate(value))
                static[key] = TensorList(len(value))
            elif isinstance(value, (list, tuple)) and all(isinstance(v, scalar) for v in value):
                static[key] = tuple(value)  # e.g. EnCodec's audio_scales, [None] per row: hashable
            elif not isinstance(value, scalar):
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
        with _no_cache(self._torch_model):
            return self._build(method, names, tensors, static, signature)

    def _build(self, method, names, tensors, static, signature):
        import time

        import openvino as ov
        from torch.utils import _pytree

        torch = self._torch
        start = time.time()
        if method == "__call__":
            target = self._forward or self._torch_model
        else:
            target = getattr(self._torch_model, method)
        with torch.no_grad():
            eager = target(**_kwargs(tensors, static))
        flat, spec = _pytree.tree_flatten(eager)
        leaves = [(True, None) if isinstance(v, torch.Tensor) else (False, v) for v in flat]
        shapes = ";".join(k + str(tuple(tensors[k].shape)) for k in names)
        key = hashlib.sha1((FORMAT + repr(signature) + "|" + shapes).encode("utf-8")).hexdigest()[:16]
        path = os.path.join(self._cache_dir, ("forward" if method == "__call__" else method) + "-" + key + ".xml")
        cached = os.path.isfile(path) and os.path.isfile(path[:-4] + ".bin")
        if cached:
            ov_model = self._core.read_model(path)
        else:
            try:
                exported = self._export(target, names, tensors, static)
                ov_model = ov.convert_model(exported)
                # Axes torch.export specialised (fixed image sizes) and axes of size 1 in the
                # example (a batch of 1: torch.export may bake it into reshapes while leaving the
                # input dynamic) stay static in the IR: a call with other sizes converts again
                # instead of running a graph made for the example.
                examples = [tensors[k] for k in names]
                dims = [[1 if t.shape[j] == 1 else d for j, d in enumerate(ds)] for t, ds in zip(examples, self._input_dims(exported))]
            except Exception:
                # torch.export cannot trace shape logic computed from tensors (EnCodec's padding,
                # from tensor buffers): TorchScript tracing of this very call, every axis fixed.
                with _traceable_masks(torch):
                    ov_model = ov.convert_model(self._flat(target, names, static), example_input=tuple(tensors[k] for k in names))
                if len(ov_model.inputs) != len(names):
                    raise
                dims = [list(tensors[k].shape) for k in names]
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

    def _flat(self, target, names, static):
        """target(**tensors, **static) as a module over the tensors in `names` order, returning the
        flat tensor outputs."""
        torch = self._torch
        from torch.utils import _pytree

        class Flat(torch.nn.Module):
            def __init__(self, fn):
                super().__init__()
                self.fn = fn
                self.inner = getattr(fn, "__self__", fn)

            def forward(self, *args):
                out = self.fn(**_kwargs(dict(zip(names, args)), static))
                return tuple(v for v in _pytree.tree_flatten(out)[0] if isinstance(v, torch.Tensor))

        return Flat(target)

    def _export(self, target, names, tensors, static):
        """torch.export of _flat(...), every axis dynamic where the model allows (Dim.AUTO)."""
        torch = self._torch
        args = tuple(tensors[k] for k in names)
        auto = torch.export.Dim.AUTO
        dynamic = tuple({i: auto for i in range(t.dim())} for t in args)
        with torch.no_grad():
            try:
                # Flat.forward takes *args: its one input is the args tuple, so are the shapes.
                return torch.export.export(self._flat(target, names, static), args, dynamic_shapes=(dynamic,), strict=False)
            except Exception:
                # Some models cannot be traced with symbolic shapes: static shapes for this signature
                # (a call with other shapes converts again).
                return torch.export.export(self._flat(target, names, static), args, strict=False)


@contextlib.contextmanager
def _no_cache(model):
    """use_cache off in the model's configs (its own and its submodels') while it is converted: a
    graph returns no KV cache (it would be frozen at conversion time), and the cache's first
    concatenation with an empty tensor is what OpenVINO cannot convert (GPT-2 and PaliGemma
    layers: aten.cat of f32[0])."""
    configs = {id(c): c for m in model.modules() for c in [getattr(m, "config", None)] if c is not None and getattr(c, "use_cache", None)}
    for config in configs.values():
        config.use_cache = False
    try:
        yield
    finally:
        for config in configs.values():
            config.use_cache = True


@contextlib.contextmanager
def _traceable_masks(torch):
    """transformers 5.5's sdpa_mask reads a tensor q_length as the deprecated cache_position; under
    torch.jit.trace the sequence length it is given (a shape) is traced as a 0-d tensor, and every
    model that builds an attention mask fails (q_length.shape[0]: tuple index out of range). While
    tracing, a 0-d q_length is an int again: the trace fixes every axis anyway."""
    try:
        from transformers import masking_utils
    except ImportError:
        yield
        return
    mapping = getattr(masking_utils.ALL_MASK_ATTENTION_FUNCTIONS, "_global_mapping", {})
    original = masking_utils.sdpa_mask

    def sdpa_mask(*args, **kwargs):
        q_length = kwargs.get("q_length")
        if isinstance(q_length, torch.Tensor) and q_length.dim() == 0:
            kwargs["q_length"] = int(q_length)
        return original(*args, **kwargs)

    # The registry serves "sdpa"; eager_mask calls the module's own sdpa_mask.
    patched = {key for key, fn in mapping.items() if fn is original}
    masking_utils.sdpa_mask = sdpa_mask
    for key in patched:
        mapping[key] = sdpa_mask
    try:
        yield
    finally:
        masking_utils.sdpa_mask = original
        for key in patched:
            mapping[key] = original


class TensorList(tuple):
    """In a call's static part: this argument is a list of `count` tensors, passed as the inputs
    named <argument>.<i>."""

    def __new__(cls, count):
        return super().__new__(cls, (count,))

    def __repr__(self):
        return "TensorList(" + str(self[0]) + ")"


def _kwargs(tensors, static):
    """The call's keyword arguments from its tensor inputs and static part (TensorList regrouped)."""
    out = {k: v for k, v in tensors.items() if not isinstance(static.get(k.rpartition(".")[0]), TensorList)}
    for key, value in static.items():
        out[key] = [tensors[key + "." + str(i)] for i in range(value[0])] if isinstance(value, TensorList) else value
    return out


def _bound(method, args, kwargs):
    """kwargs with the positional args named by method's parameters (self already bound)."""
    if not args:
        return kwargs
    import inspect

    params = [n for n, p in inspect.signature(method).parameters.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(args) > len(params):
        raise TypeError(getattr(method, "__name__", "the method") + " takes " + str(len(params)) + " positional arguments, got " + str(len(args)))
    return dict(kwargs, **dict(zip(params, args)))


def _calling(proxy, original):
    """proxy(...) as a function with original's name and signature."""
    import functools

    @functools.wraps(original)
    def forward(*args, **kwargs):
        return proxy(*args, **kwargs)

    return forward


def _refuse_model_method(model, name):
    """AttributeError for a method the model's own class (or a custom-code class) defines and this
    path does not convert: calling it would run torch under the "openvino" label. The generic
    methods of torch and transformers' base classes (to, eval, parameters, can_generate,
    ...) are not compute a family serves, so they stay the torch model's."""
    import inspect

    for cls in type(model).__mro__:
        if name in vars(cls):
            defined = vars(cls)[name]
            module = cls.__module__ or ""
            generic = module.split(".")[0] in ("torch", "transformers") and not module.startswith("transformers.models.")
            if not generic and (inspect.isfunction(defined) or isinstance(defined, (staticmethod, classmethod))):
                raise AttributeError(type(model).__name__ + "." + name + " is not converted to OpenVINO (only " + ", ".join(CONVERTED_METHODS[1:])
                                     + " and called submodules are): it would run torch under the openvino label")
            return


class ConvertedGenerator:
    """A generative torch model whose listed submodules (paths, "" for the whole model; a path
    ending in a method name, e.g. "audio_encoder.decode", for a method other than forward) run on
    OpenVINO: each one's forward (or method) is replaced by a ConvertedModel of it, and generate /
    generate_speech run transformers' own loop over them without KV cache (use_cache=False: every
    step is one forward over the whole sequence so far, which a graph with a dynamic sequence axis
    takes). Other attributes (config, generation_config, dtype, ...) are the torch model's."""

    GENERATION_METHODS = ("generate", "generate_speech")

    def __init__(self, torch_model, paths, torch, core, device, ov_config, cache_dir):
        self._torch_model = torch_model
        self.conversions = []
        self.converted_modules = []
        for path in paths:
            module, method = torch_model, "forward"
            if path:
                head, _, tail = path.rpartition(".")
                try:
                    module = torch_model.get_submodule(path)
                except AttributeError:
                    module, method = (torch_model.get_submodule(head) if head else torch_model), tail
            forward = getattr(module, method)
            proxy = ConvertedModel(module, torch, core, device, ov_config, os.path.join(cache_dir, path or "model"), forward, self.conversions)
            # generate() checks its model_kwargs against the forward's signature: keep it.
            setattr(module, method, _calling(proxy, forward))
            self.converted_modules.append(path or "model")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.GENERATION_METHODS:
            method = getattr(self._torch_model, name)

            def generate(*args, **kwargs):
                kwargs["use_cache"] = False
                return method(*args, **kwargs)

            return generate
        attribute = getattr(self._torch_model, name)
        _refuse_model_method(self._torch_model, name)
        return attribute

    def parameters(self):
        return self._torch_model.parameters()


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
