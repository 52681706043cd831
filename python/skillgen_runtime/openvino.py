"""OpenVINO: the host's helper callables first, then optimum-intel's OVModelFor... classes (they keep
the transformers API, so a family's preprocess/forward/postprocess run unchanged), else a labelled
CPU fallback."""

import os
import time


class OpenVINO:
    """Mixin: init_openvino and openvino_skill_convert."""

    # task -> optimum-intel OVModelFor... class, and task -> optimum export task (`optimum-cli
    # export openvino --task ...`), for the tasks that have one (data/tasks.toml; set by the
    # generated class).
    OPENVINO_CLASSES = {}
    OPENVINO_EXPORT_TASKS = {}
    # torch model class name -> the submodules (paths; "" the whole model) whose forward a generative
    # family's generation loop calls per step, converted for OpenVINO when optimum-intel has no
    # model for it (set by the generative families).
    OPENVINO_GENERATION_MODULES = {}
    # torch model class name -> why its family's computation cannot be converted with equal results.
    OPENVINO_NOT_CONVERTED = {}
    OPENVINO_HELPERS = ("get_optimum_openvino_model", "get_openvino_model", "get_openvino_pipeline_type", "openvino_cli_convert")

    def init_cpu(self, model=None, device="cpu", cpu_label="cpu"):
        return self._init_endpoint(model, "cpu", cpu_label, "cpu")

    def init_cuda(self, model=None, device="cuda:0", cuda_label="cuda:0"):
        return self._init_gpu(model, device, cuda_label, "cuda")

    def init_rocm(self, model=None, device="cuda:0", rocm_label="rocm:0"):
        return self._init_gpu(model, device, rocm_label, "rocm")

    def init_openvino(self, model=None, model_type=None, device="CPU", openvino_label="openvino:0", *helpers):
        """OpenVINO through optimum-intel's OVModelFor... classes (they keep the transformers API, so
        the family's preprocess/forward/postprocess run unchanged). Binds the worker's 4, 8 (helpers
        get_optimum_openvino_model, get_openvino_model, get_openvino_pipeline_type,
        openvino_cli_convert) and 9 (get_openvino_genai_pipeline first) positional arguments.
        Order: the host's get_optimum_openvino_model, then get_openvino_model (used only when it
        returns an optimum-style model), then openvino_cli_convert into the cache dir, then an
        own export with OVModelFor....from_pretrained(model, export=True). A helper that is None,
        returns None or raises is noted (result["backend_note"]) and skipped; for a model with a
        models.toml revision or remote code the helpers are not used at all (they take only a name,
        so they would load another revision). The loaded model runs the task's sample once; if
        anything fails, CPU torch runs instead, labelled "fallback"."""
        if self._mock_requested():
            return self._mock_endpoint(model, openvino_label, "openvino")
        model = model or self.DEFAULT_MODEL
        names = self.OPENVINO_HELPERS if len(helpers) <= 4 else ("get_openvino_genai_pipeline",) + self.OPENVINO_HELPERS
        helper_map = {name: h for name, h in zip(names, helpers) if callable(h)}
        notes = []
        try:
            self.init()
            config = self.transformers.AutoConfig.from_pretrained(model, **self._hub_kwargs(model))
            task = self._task_for(model, config)
        except Exception as e:
            # The CPU path reports the same load error through its error handler.
            notes.append(type(e).__name__ + ": " + str(e))
            task = None
        endpoint = None
        if task is not None:
            if task not in self.OPENVINO_CLASSES:
                notes.append("optimum-intel has no OpenVINO model class for task " + task)
            endpoint = self._openvino_model(model, model_type, task, device, openvino_label, helper_map, notes)
            endpoint, processor, handler = self._openvino_checked(model, task, config, endpoint, openvino_label, notes)
            if endpoint is None:
                # No optimum-intel model (or it failed): the family's torch module(s) converted
                # with openvino.convert_model, on the family's own preprocessed sample.
                converted = self._openvino_converted(model, task, config, device, openvino_label, notes)
                endpoint, processor, handler = self._openvino_checked(model, task, config, converted, openvino_label, notes)
        if endpoint is None:
            reason = "; ".join(notes) or "no OpenVINO model"
            return self._init_endpoint(model, "cpu", openvino_label, "openvino", fallback="openvino unavailable (" + reason + "); ran on CPU with torch")
        batch_size = self._batch_size("cpu")
        info = self.endpoints.get(openvino_label, {})
        info.update({"model": model, "task": task, "device": self._openvino_device(device), "backend": "openvino", "notes": notes})
        self.endpoints[openvino_label] = info
        return (endpoint, processor, handler, self._queue(batch_size), batch_size)

    def _openvino_checked(self, model, task, config, endpoint, label, notes):
        """(endpoint, processor, handler) when the OpenVINO endpoint runs the task's sample input,
        else (None, None, None) with a note."""
        if endpoint is None:
            return None, None, None
        try:
            processor = self._load_processor(model, task, config)
            self._openvino_shim(endpoint)
            note = "; ".join(notes) or None
            handler = self._make_handler(task, endpoint, processor, "cpu", label, "REAL", backend="openvino", note=note)
            check = handler(self._sample_input(task))
            if "error" in check:
                raise RuntimeError("the OpenVINO model failed on the sample input: " + str(check["error"]))
            return endpoint, processor, handler
        except Exception as e:
            notes.append(type(e).__name__ + ": " + str(e))
            return None, None, None

    def _openvino_converted(self, model, task, config, device, label, notes):
        """The task's torch model wrapped as a ConvertedModel (openvino_convert.py), its IR cached
        under the cache dir keyed by model, revision, task and the local weights; None (noted) when
        openvino or the model does not load."""
        try:
            import openvino as ov

            from .openvino_convert import ConvertedGenerator, ConvertedModel, source_key

            torch_model = self._load_model(model, task, config).to("cpu")
            torch_model.eval()
            refused = self.OPENVINO_NOT_CONVERTED.get(type(torch_model).__name__)
            if refused:
                notes.append("openvino.convert_model not used: " + refused)
                return None
            key = "|".join((str(self.REVISIONS.get(model) or ""), task, source_key(model)))
            cache = self._cache_dir("openvino-convert", model, key)
            args = (self.torch, ov.Core(), self._openvino_device(device), self._openvino_config(), cache)
            paths = self.OPENVINO_GENERATION_MODULES.get(type(torch_model).__name__)
            if paths is not None:
                converted = ConvertedGenerator(torch_model, paths, *args)
            else:
                converted = ConvertedModel(torch_model, *args)
        except Exception as e:
            notes.append("openvino.convert_model path unavailable: " + type(e).__name__ + ": " + str(e))
            return None
        self.endpoints[label] = {"source": "openvino.convert_model", "path": cache, "conversions": converted.conversions}
        return converted

    def _openvino_device(self, device):
        text = str(device or "CPU")
        return "CPU" if text.lower().startswith(("cpu", "openvino")) else text.upper()

    def _openvino_model(self, model, model_type, task, device, label, helpers, notes):
        """An optimum-intel OV model for the task, from the host's helpers or an own export; None
        (with notes) when there is none."""
        ask = model_type or self.OPENVINO_EXPORT_TASKS.get(task) or task
        refusal = self._host_helper_refusal(model)
        if refusal and helpers:
            notes.append("host helpers not used: " + refusal)
            helpers = {}
        for name in ("get_optimum_openvino_model", "get_openvino_model"):
            if name not in helpers:
                continue
            got = self._call_helper(notes, name, helpers[name], model, ask, label)
            if got is not None and callable(got) and hasattr(got, "config"):
                self.endpoints[label] = {"source": name}
                return got
            if got is not None:
                notes.append(name + " returned a " + type(got).__name__ + ", not an optimum-intel model; not used")
        if "get_openvino_pipeline_type" in helpers:
            pipeline = self._call_helper(notes, "get_openvino_pipeline_type", helpers["get_openvino_pipeline_type"], model, ask)
            if pipeline is not None:
                notes.append("host pipeline type " + repr(pipeline))
        if task not in self.OPENVINO_CLASSES:
            return None
        ov_class = self._optimum_class(task, notes)
        if ov_class is None:
            return None
        # optimum-intel passes the revision on to the export (transformers loads the code from it).
        kwargs = {"device": self._openvino_device(device), "ov_config": self._openvino_config(), **self._hub_kwargs(model, code_revision=False)}
        if "openvino_cli_convert" in helpers and not self._has_openvino_ir(model):
            dst = self._cache_dir("openvino", model, self.REVISIONS.get(model))
            self._call_helper(
                notes, "openvino_cli_convert", helpers["openvino_cli_convert"], model,
                model_dst_path=dst, task=self.OPENVINO_EXPORT_TASKS[task], weight_format="fp32",
            )
            if self._has_openvino_ir(dst):
                try:
                    endpoint = ov_class.from_pretrained(dst, **kwargs)
                    self.endpoints[label] = {"source": "openvino_cli_convert", "path": dst}
                    return endpoint
                except Exception as e:
                    notes.append("loading openvino_cli_convert's output failed: " + type(e).__name__ + ": " + str(e))
        start = time.time()
        try:
            endpoint = ov_class.from_pretrained(model, export=not self._has_openvino_ir(model), **kwargs)
        except Exception as e:
            notes.append(ov_class.__name__ + " export failed: " + type(e).__name__ + ": " + str(e))
            return None
        self.endpoints[label] = {"source": ov_class.__name__ + ".from_pretrained", "convert_seconds": time.time() - start}
        return endpoint

    def _openvino_config(self):
        # f32 by default: OpenVINO picks bf16 on CPUs with AMX/AVX512-BF16, which changes results.
        # metadata {"openvino_precision": "bf16" | "f16"} trades accuracy for speed.
        return {"INFERENCE_PRECISION_HINT": str(self.metadata.get("openvino_precision") or "f32")}

    def _call_helper(self, notes, name, helper, *args, **kwargs):
        try:
            got = helper(*args, **kwargs)
        except Exception as e:
            notes.append("host " + name + " raised " + type(e).__name__ + ": " + str(e))
            return None
        if got is None:
            notes.append("host " + name + " returned None")
        return got

    def _optimum_class(self, task, notes):
        try:
            import optimum.intel as optimum_intel
        except Exception as e:
            notes.append("optimum-intel not importable (" + type(e).__name__ + ": " + str(e) + ")")
            return None
        ov_class = getattr(optimum_intel, self.OPENVINO_CLASSES[task], None)
        if ov_class is None:
            notes.append("optimum-intel has no " + self.OPENVINO_CLASSES[task])
        return ov_class

    def _has_openvino_ir(self, path):
        return isinstance(path, str) and os.path.isfile(os.path.join(path, "openvino_model.xml"))

    def _openvino_shim(self, endpoint):
        """Torch-side attributes the families read from a model (dtype for inputs, device); an OV
        model takes float32 inputs on the host CPU."""
        torch = self.torch
        if not hasattr(endpoint, "parameters"):
            endpoint.parameters = lambda: iter((torch.zeros(1),))
        missing = {}
        for name, value in (("dtype", torch.float32), ("device", torch.device("cpu"))):
            try:
                getattr(endpoint, name)
            except Exception:
                try:
                    setattr(endpoint, name, value)
                except Exception:
                    missing[name] = value
        if missing:
            # A read-only property that raises (optimum-intel 2.2's OVModelForVisualCausalLM.dtype
            # reads an input_dtypes it never sets): a subclass with plain values instead.
            try:
                endpoint.__class__ = type(type(endpoint).__name__, (type(endpoint),), dict(missing, __module__=type(endpoint).__module__))
            except Exception:
                pass
        if type(endpoint).__name__ == "OVModelForSeq2SeqLM":
            self._openvino_rowwise_generate(endpoint)
        if type(endpoint).__name__ in ("_OVLlavaNextForCausalLM", "_OVLlavaNextVideoForCausalLM"):
            self._openvino_llava_next_packing(endpoint)

    def _openvino_llava_next_packing(self, endpoint):
        """optimum-intel 2.2's LLaVA-NeXT packs an image's anyres tiles with the grid's height and
        width swapped (`num_patch_width, num_patch_height = get_anyres_image_grid_shape(...)`, which
        returns (height, width)): every image whose best grid is not square fails ("Number of
        elements of source < number of ones in mask") or could be laid out transposed. transformers'
        own packing (the CPU path's) runs instead, on the OpenVINO vision tower's features."""
        torch = self.torch
        from transformers.models.llava_next.modeling_llava_next import LlavaNextModel

        strategy = getattr(endpoint.config, "vision_feature_select_strategy", "default")

        def pack_image_features(image_features, image_sizes, image_newline=None):
            features, lengths = LlavaNextModel.pack_image_features(endpoint, image_features, image_sizes, strategy, image_newline)
            return torch.cat(features, dim=0), lengths

        endpoint.pack_image_features = pack_image_features

    def _openvino_rowwise_generate(self, endpoint):
        """optimum-intel 2.2's exported encoder-decoders give the padded rows of a batch different
        tokens than torch (measured on T5: unpadded rows match exactly), so a padded batch is
        generated one row at a time without its padding, and the rows padded back together."""
        torch = self.torch
        original = endpoint.generate

        def generate(input_ids=None, attention_mask=None, **kwargs):
            if input_ids is None or attention_mask is None or input_ids.shape[0] == 1 or bool(attention_mask.bool().all()):
                return original(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
            rows = []
            for i in range(input_ids.shape[0]):
                keep = attention_mask[i].bool()
                rows.append(original(input_ids=input_ids[i:i + 1, keep], attention_mask=attention_mask[i:i + 1, keep], **kwargs)[0])
            pad = kwargs.get("pad_token_id", getattr(endpoint.config, "pad_token_id", None)) or 0
            out = torch.full((len(rows), max(r.shape[0] for r in rows)), int(pad), dtype=rows[0].dtype)
            for i, row in enumerate(rows):
                out[i, :row.shape[0]] = row
            return out

        endpoint.generate = generate

    def openvino_skill_convert(self, model_name, model_dst_path, task, weight_format, hfmodel=None, hfprocessor=None):
        """Exports model_name (or the already-loaded hfmodel/hfprocessor) to OpenVINO IR with
        optimum-intel, saves model and processor to model_dst_path, and returns the loaded OV model.
        task: one of TASKS or an optimum export task name (None: the model's own); weight_format:
        "fp32", "fp16" (weights stored as fp16) or "int8" (8-bit weights, needs nncf)."""
        self.init()
        weight_format = str(weight_format or "fp32").lower()
        if weight_format not in ("fp32", "fp16", "int8"):
            raise ValueError("weight_format must be fp32, fp16 or int8, not " + repr(weight_format))
        source = model_name
        if hfmodel is not None:
            import tempfile
            source = tempfile.mkdtemp(prefix="skillgen-ov-src-")
            hfmodel.save_pretrained(source)
            if hfprocessor is not None:
                hfprocessor.save_pretrained(source)
        # model_name's revision and remote-code consent, also for a copy saved from hfmodel.
        hub = self._hub_kwargs(model_name)
        config = self.transformers.AutoConfig.from_pretrained(source, **hub)
        by_export = {v: k for k, v in self.OPENVINO_EXPORT_TASKS.items()}
        ours = task if task in self.TASKS else by_export.get(task) or by_export.get(str(task) + "-with-past")
        ours = ours or self._task_for(source, config)
        notes = []
        ov_class = self._optimum_class(ours, notes) if ours in self.OPENVINO_CLASSES else None
        if ov_class is None:
            raise RuntimeError("cannot export task " + repr(ours) + " to OpenVINO: " + ("; ".join(notes) or "no optimum-intel class"))
        ov_hub = self._hub_kwargs(model_name, code_revision=False)
        kwargs = {"export": True, "compile": False, "load_in_8bit": weight_format == "int8", **ov_hub}
        exported = ov_class.from_pretrained(source, **kwargs)
        if weight_format == "fp16":
            exported.half()
        os.makedirs(model_dst_path, exist_ok=True)
        exported.save_pretrained(model_dst_path)
        processor = hfprocessor if hfprocessor is not None else self._load_processor(source, ours, config)
        if processor is not None:
            processor.save_pretrained(model_dst_path)
        return ov_class.from_pretrained(model_dst_path, device="CPU", ov_config=self._openvino_config(), **ov_hub)
