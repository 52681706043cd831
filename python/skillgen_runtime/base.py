"""The skillset base class: construction, task choice, loading, the handler skeleton
(preprocess -> forward -> postprocess), mock mode and __test__. A family subclasses it
(families/<family>.py) and a generated hf_<model_type>.py subclasses the family with its data."""

import time

from .errors import SkillInputError
from .gpu import Gpu
from .host import Host, skillset_package
from .native import Native
from .openvino import OpenVINO
from .queues import make_queue

HARDWARE_PATHS = ("cpu", "cuda", "rocm", "openvino", "apple", "qualcomm")


class Skillset(OpenVINO, Native, Gpu, Host):
    """A skillset: construction is cheap (no torch import, no model load); every init_* method
    returns the host's 5-tuple (endpoint, tokenizer_or_processor, handler, queue, batch_size).
    Handlers take one input or a list and return a dict with "implementation_type" ("REAL",
    "MOCK" or "ERROR"), never raising: errors come back as {"error": ...}.

    A family class sets FAMILY, TASKS and its own constants; the generated class sets the data of
    its model_type (the attributes below that are None or empty here)."""

    # Set by the generated class (the data of one model_type, from models.toml and the tables).
    MODEL_TYPE = None
    DEFAULT_TASK = None
    DEFAULT_MODEL = None
    MODEL_IDS = ()
    # Task per model id listed in models.toml, and per head class of this model_type.
    MODEL_TASKS = {}
    HEAD_TASKS = {}
    # Head class -> transformers task, for this model_type's heads of tasks skillgen does not serve
    # (data/detection.toml [[unserved]]): such a checkpoint is refused, never run as another task.
    UNSERVED_HEADS = {}
    HARDWARE = HARDWARE_PATHS
    # models.toml, per listed model id: the revision every from_pretrained of that model gets, and
    # the models whose custom code may run (each consented to there, pinned unless it opted out).
    # Nothing else turns remote code on: not metadata, not a model passed by path or another id.
    REVISIONS = {}
    REMOTE_CODE_MODELS = ()
    # task -> transformers Auto class name that loads it (data/tasks.toml).
    AUTO_CLASSES = {}
    # The transformers whose auto tables detected this model_type (data/transformers_auto.json).
    TRANSFORMERS_VERSION = None
    # Set by the family class.
    FAMILY = None
    TASKS = ()
    HALF_PRECISION = False
    # The tokenizer/processor Auto class, for families that load it with one class.
    PROCESSOR_CLASS = None

    def __init_subclass__(cls, **kwargs):
        # The hand-written skillsets' handler factories, create_<hardware>_<task>_endpoint_handler,
        # one per hardware path and task of the family.
        super().__init_subclass__(**kwargs)
        for hardware in HARDWARE_PATHS:
            for task in cls.TASKS:
                name = "create_" + hardware + "_" + task + "_endpoint_handler"
                if name not in cls.__dict__:
                    setattr(cls, name, _handler_factory(hardware, task))

    def __init__(self, resources=None, metadata=None):
        self.resources = resources if isinstance(resources, dict) else {}
        self.metadata = metadata if isinstance(metadata, dict) else {}
        self.torch = self.resources.get("torch")
        self.transformers = self.resources.get("transformers")
        self.np = self.resources.get("numpy", self.resources.get("np"))
        self.endpoints = {}

    def init(self):
        """Imports torch, transformers and numpy unless the host passed them in resources."""
        if self.torch is None:
            import torch
            self.torch = torch
        if self.transformers is None:
            import transformers
            self.transformers = transformers
        if self.np is None:
            import numpy
            self.np = numpy
        return self

    def init_cpu(self, model=None, device="cpu", cpu_label="cpu"):
        return self._init_endpoint(model, "cpu", cpu_label, "cpu")


    def _queue(self, size):
        return make_queue(size, skillset_package(type(self)))

    # ---- loading: the model through its task's Auto class, the processor through one class ----

    def _hub_kwargs(self, model, code_revision=True):
        """The keyword arguments of every from_pretrained of `model`: trust_remote_code (True only
        for a model id in REMOTE_CODE_MODELS), its models.toml revision (REVISIONS), and for remote
        code code_revision (the same commit; code_revision=False for loaders outside transformers'
        Auto classes, which do not take it: the revision pins their code too)."""
        listed = isinstance(model, str)
        trust = listed and model in self.REMOTE_CODE_MODELS
        kwargs = {"trust_remote_code": trust}
        revision = self.REVISIONS.get(model) if listed else None
        if revision:
            kwargs["revision"] = revision
            if trust and code_revision:
                kwargs["code_revision"] = revision
        return kwargs

    def _host_helper_refusal(self, model):
        """Why the host's helpers (they take only a model name) may not load `model`: they cannot
        be given its revision or its remote-code consent, so they would load other weights or code.
        None when they may."""
        if not isinstance(model, str) or (model not in self.REVISIONS and model not in self.REMOTE_CODE_MODELS):
            return None
        what = "revision " + repr(self.REVISIONS[model]) if model in self.REVISIONS else "remote-code consent"
        return "the host's helpers take only a model name and cannot be given models.toml's " + what + " for " + repr(model)

    def _load_model(self, model, task, config):
        auto = self._transformers_class(self.AUTO_CLASSES[task])
        return auto.from_pretrained(model, config=config, **self._hub_kwargs(model))

    def _transformers_class(self, name):
        """A transformers class by name: exported (`AutoModel`, `AlignVisionModel`), or by its path
        under transformers for a model class only its module has
        (`models.kosmos2.modeling_kosmos2.Kosmos2VisionModel`, a tower no auto table lists)."""
        module, _, attr = name.rpartition(".")
        if not module:
            return getattr(self.transformers, name)
        import importlib

        package = getattr(self.transformers, "__name__", "transformers")
        return getattr(importlib.import_module(package + "." + module), attr)

    def _load_processor(self, model, task, config):
        auto = getattr(self.transformers, self.PROCESSOR_CLASS)
        return auto.from_pretrained(model, **self._hub_kwargs(model))

    def _speech_processor(self, model, what):
        """AutoProcessor, refused unless it pairs a feature extractor with a tokenizer (`what` names
        the tokenizer in the error)."""
        processor = self.transformers.AutoProcessor.from_pretrained(model, **self._hub_kwargs(model))
        if getattr(processor, "tokenizer", None) is None or getattr(processor, "feature_extractor", None) is None:
            raise ValueError(repr(model) + " has no feature extractor + " + what + " pair (AutoProcessor gave " + type(processor).__name__ + ")")
        return processor

    def _dict_items(self, x, split_one, what):
        """Inputs given as a list of dicts: each split by `split_one` (-> (items, single, options)),
        the items concatenated and the options merged; `what` names the keys in the error."""
        if not x:
            raise SkillInputError("the input list is empty")
        items, options = [], {}
        for i, item in enumerate(x):
            if not isinstance(item, dict):
                raise SkillInputError("input " + str(i) + " is " + type(item).__name__ + ", not a dict with " + what)
            found, _, item_options = split_one(item)
            items += found
            options.update(item_options)
        return items, False, options

    def _dict_input(self, x, key, allowed=None):
        """(input, options) from a dict {key: input, option: value, ...}; any other x is the input
        itself, with no options. allowed: the option names (None: any), others raise."""
        if not isinstance(x, dict):
            return x, {}
        if key not in x:
            raise SkillInputError("a dict input needs '" + key + "'")
        if allowed is not None:
            unknown = sorted(k for k in x if k != key and k not in allowed)
            if unknown:
                raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr((key,) + tuple(allowed)))
        return x[key], {k: v for k, v in x.items() if k != key}

    def _mock_requested(self):
        return bool(self.metadata.get("mock") or self.resources.get("mock"))

    def _init_endpoint(self, model, device, label, backend, fallback=None, gpu_utils=None):
        model = model or self.DEFAULT_MODEL
        if self._mock_requested():
            return self._mock_endpoint(model, label, backend)
        try:
            self.init()
            endpoint, processor, task = self._load(model, device)
        except Exception as e:
            batch_size = self._batch_size("cpu")
            message = "could not load " + repr(model) + " on " + device + ": " + type(e).__name__ + ": " + str(e)
            skew = self._version_skew(model, e)
            if skew:
                message = skew + " (" + message + ")"
            handler = self._error_handler(message, label)
            return (None, None, handler, self._queue(batch_size), batch_size)
        note = None
        if gpu_utils is not None:
            try:
                optimized = gpu_utils.optimize_cuda_memory(endpoint, device, bool(self.HALF_PRECISION))
                if optimized is not None:
                    endpoint = optimized
                note = "host cuda_utils.optimize_cuda_memory applied"
            except Exception as e:
                note = "host cuda_utils.optimize_cuda_memory failed (" + type(e).__name__ + ": " + str(e) + "); model used as loaded"
        batch_size = self._batch_size(device)
        handler = self._make_handler(task, endpoint, processor, device, label, "REAL", fallback, backend="torch", note=note)
        self.endpoints[label] = {"model": model, "task": task, "device": device, "backend": "torch", "hardware": backend}
        return (endpoint, processor, handler, self._queue(batch_size), batch_size)

    def _load(self, model, device):
        config = self.transformers.AutoConfig.from_pretrained(model, **self._hub_kwargs(model))
        task = self._task_for(model, config)
        processor = self._load_processor(model, task, config)
        endpoint = self._load_model(model, task, config)
        if device.startswith("cuda") and self.HALF_PRECISION:
            endpoint = endpoint.half()
        endpoint = endpoint.to(device)
        endpoint.eval()
        return endpoint, processor, task

    def _version_skew(self, model, error):
        """Why a load failed when the installed transformers does not know this model_type or a class
        this file loads (it is older than the transformers the file was generated from), else None."""
        if self.TRANSFORMERS_VERSION is None or self.transformers is None or model in self.REMOTE_CODE_MODELS:
            return None
        installed = str(getattr(self.transformers, "__version__", "unknown"))
        text = str(error)
        # A class the error names (or a class path, which only a model_type's own tower uses) that
        # the installed transformers lacks.
        missing = [name for name in self._class_names() if ("." in name or name in text) and not self._has_class(name)]
        mapping = getattr(self.transformers, "CONFIG_MAPPING", None)
        try:
            unknown_type = mapping is not None and self.MODEL_TYPE not in mapping
        except Exception:
            unknown_type = False
        if not unknown_type and not missing:
            # transformers' own words for a model_type or a head it has no class for.
            unknown_type = "does not recognize this architecture" in text or "Unrecognized configuration class" in text
        if not unknown_type and not missing:
            return None
        what = "model_type " + repr(self.MODEL_TYPE) if unknown_type else "transformers." + ", transformers.".join(missing)
        age = "is too old" if _older(installed, self.TRANSFORMERS_VERSION) else "does not have it"
        return (
            "the installed transformers " + installed + " does not know " + what + ": this skillset was generated from"
            " transformers " + self.TRANSFORMERS_VERSION + "'s tables, and the installed one " + age
            + "; install transformers>=" + self.TRANSFORMERS_VERSION
        )

    def _has_class(self, name):
        try:
            self._transformers_class(name)
            return True
        except Exception:
            return False

    def _class_names(self):
        """The transformers classes this file's tasks load (AUTO_CLASSES and the processor class)."""
        names = [name for name in self.AUTO_CLASSES.values() if name]
        if self.PROCESSOR_CLASS:
            names.append(self.PROCESSOR_CLASS)
        return names

    def _task_for(self, model, config):
        """metadata["task"], else the task models.toml gave this model, else the loaded head's."""
        task = self.metadata.get("task")
        if task:
            if task not in self.TASKS:
                raise SkillInputError("task " + repr(task) + " is not one of " + repr(self.TASKS))
            return task
        if model in self.MODEL_TASKS:
            return self.MODEL_TASKS[model]
        for arch in getattr(config, "architectures", None) or ():
            if arch in self.HEAD_TASKS:
                return self._head_task(self.HEAD_TASKS[arch], config)
            if arch in self.UNSERVED_HEADS:
                raise SkillInputError(
                    repr(model) + " is a " + arch + " checkpoint, a head for transformers' " + repr(self.UNSERVED_HEADS[arch])
                    + " task, which this skillset does not serve; pass metadata={'task': ...} (one of " + repr(self.TASKS)
                    + ") to use its base model deliberately"
                )
        return self.DEFAULT_TASK

    def _head_task(self, task, config):
        """The task of a recognised head (a family may refine it from the config)."""
        return task

    # ---- mock mode: only when asked for (metadata/resources "mock"), always labelled MOCK ----

    def _mock_endpoint(self, model, label, backend):
        task = self.metadata.get("task") if self.metadata.get("task") in self.TASKS else self.DEFAULT_TASK
        batch_size = self._batch_size("cpu")
        handler = self._make_handler(task, None, None, "cpu", label, "MOCK")
        return ("mock:" + str(model or self.DEFAULT_MODEL), None, handler, self._queue(batch_size), batch_size)

    # ---- handlers: preprocess -> forward -> postprocess ----
    def _make_handler(self, task, endpoint, processor, device, label, implementation, fallback=None, backend=None, note=None):
        backend = backend or ("mock" if implementation == "MOCK" else "torch")

        def handler(x=None):
            result = self._handle(task, endpoint, processor, device, label, implementation, fallback, x)
            result["backend"] = backend
            if note:
                result["backend_note"] = note
            return result

        handler.task = task
        return handler

    def _error_handler(self, message, label):
        def handler(x=None):
            return {"error": message, "implementation_type": "ERROR", "hardware_label": label}

        handler.task = None
        return handler

    def _handle(self, task, endpoint, processor, device, label, implementation, fallback, x):
        start = time.time()
        try:
            batch, single, options = self._split_input(task, x)
            if implementation == "MOCK":
                result = self._mock_result(task, batch, single, options)
            else:
                inputs = self._preprocess(task, processor, batch, options, device, endpoint)
                with self.torch.no_grad():
                    outputs = self._forward(task, endpoint, inputs, options)
                result = self._postprocess(task, endpoint, processor, inputs, outputs, single, options)
        except SkillInputError as e:
            result = {"error": str(e)}
        except Exception as e:
            result = {"error": type(e).__name__ + ": " + str(e)}
        result["implementation_type"] = "ERROR" if "error" in result else implementation
        result["task"] = task
        result["device"] = device
        result["hardware_label"] = label
        if fallback:
            result["fallback"] = fallback
        result["elapsed_time"] = time.time() - start
        return result

    def _text_batch(self, x, expected):
        """A str or a list of str as (batch, single); anything else raises SkillInputError."""
        if isinstance(x, str):
            batch, single = [x], True
        elif isinstance(x, (list, tuple)):
            batch, single = list(x), False
        else:
            raise SkillInputError("expected " + expected + "; got " + type(x).__name__)
        if not batch:
            raise SkillInputError("the input list is empty")
        for i, item in enumerate(batch):
            if not isinstance(item, str):
                raise SkillInputError("input " + str(i) + " is " + type(item).__name__ + ", not str")
        return batch, single

    def __test__(self, endpoint_model, endpoint_handler, endpoint_label, tokenizer=None):
        """Runs the task's sample input through the handler (no network) and reports timing."""
        task = getattr(endpoint_handler, "task", None) or self.DEFAULT_TASK
        start = time.time()
        try:
            result = endpoint_handler(self._sample_input(task))
            import inspect  # lazily, like asyncio: module import stays cheap

            if inspect.iscoroutine(result):
                import asyncio

                result = asyncio.run(result)
        except Exception as e:
            result = {"error": type(e).__name__ + ": " + str(e)}
        if not isinstance(result, dict):
            result = {"error": "handler returned " + type(result).__name__ + ", not a dict"}
        return {
            "model": endpoint_model,
            "label": endpoint_label,
            "task": task,
            "ok": "error" not in result,
            "error": result.get("error"),
            "implementation_type": result.get("implementation_type"),
            "elapsed_time": time.time() - start,
        }


def _older(installed, wanted):
    """installed < wanted, comparing the leading numeric release parts ("5.5.4" < "5.24.0")."""

    def release(version):
        parts = []
        for piece in str(version).split("."):
            digits = ""
            for ch in piece:
                if not ch.isdigit():
                    break
                digits += ch
            if not digits:
                break
            parts.append(int(digits))
        return tuple(parts)

    got, want = release(installed), release(wanted)
    return bool(got) and bool(want) and got < want


def _handler_factory(hardware, task):
    def create_handler(self, endpoint_model=None, device="cpu", hardware_label=hardware, endpoint=None, tokenizer=None):
        """A handler for the task over an already-loaded endpoint on the hardware."""
        if endpoint is None:
            return self._error_handler("no endpoint loaded for " + repr(endpoint_model), hardware_label)
        kind = type(endpoint)
        backend = "openvino" if kind.__module__.startswith("optimum.intel") or kind.__name__ == "ConvertedModel" else "torch"
        if backend == "openvino":
            device = "cpu"
        return self._make_handler(task, endpoint, tokenizer, device, hardware_label, "REAL", backend=backend)

    create_handler.__name__ = "create_" + hardware + "_" + task + "_endpoint_handler"
    return create_handler
