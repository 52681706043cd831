#!/usr/bin/env python3
"""Regenerate data/transformers_auto.json from the installed transformers' own auto tables.

For every model_type in CONFIG_MAPPING_NAMES it records the config class, which head class each
`MODEL_*_MAPPING_NAMES` table maps it to, and its processor kind. skillgen's detection
(src/generator/detect.rs) embeds the file at build time, so detection is data, not guesswork.

    tests/python-env.sh python scripts/gen_transformers_table.py   # writes data/transformers_auto.json
"""
import importlib
import inspect
import json
import os
import re
import sys

import transformers
from transformers.models.auto import configuration_auto, modeling_auto

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "transformers_auto.json")


def _names(module, attr):
    table = getattr(module, attr, None)
    return dict(table) if table else {}


def processor_tables():
    """model_type -> processor kinds, from the Auto* processor tables (optional modules)."""
    kinds = {}
    sources = [
        ("tokenizer", "transformers.models.auto.tokenization_auto", "TOKENIZER_MAPPING_NAMES"),
        ("image_processor", "transformers.models.auto.image_processing_auto", "IMAGE_PROCESSOR_MAPPING_NAMES"),
        ("feature_extractor", "transformers.models.auto.feature_extraction_auto", "FEATURE_EXTRACTOR_MAPPING_NAMES"),
        ("video_processor", "transformers.models.auto.video_processing_auto", "VIDEO_PROCESSOR_MAPPING_NAMES"),
        ("processor", "transformers.models.auto.processing_auto", "PROCESSOR_MAPPING_NAMES"),
    ]
    for kind, module_name, attr in sources:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for model_type, value in _names(module, attr).items():
            if value is None or (isinstance(value, (tuple, list)) and not any(value)):
                continue
            kinds.setdefault(model_type, []).append(kind)
    return kinds


def sub_configs(model_type):
    """The nested config keys a composite model's config class declares (text_config, …)."""
    try:
        cls = configuration_auto.CONFIG_MAPPING[model_type]
    except Exception:
        return []
    return sorted(getattr(cls, "sub_configs", None) or {})


def own_base_class(model_type, config_class):
    """A model_type that no auto table lists may still have a model class transformers loads it
    with directly (vision/text/audio towers such as `align_vision_model`): the model class of its
    modeling module whose `config_class` is its config class and that is no head (`...For...`) and
    no abstract `...PreTrainedModel`. Returned as transformers exports it (`AlignVisionModel`), or
    for a class only its module has, as its path under transformers
    (`models.kosmos2.modeling_kosmos2.Kosmos2VisionModel`)."""
    try:
        cfg = configuration_auto.CONFIG_MAPPING[model_type]
        module = importlib.import_module(cfg.__module__.replace(".configuration_", ".modeling_"))
    except Exception:
        return None
    found = []
    for name in sorted(dir(module)):
        obj = getattr(module, name, None)
        if (
            isinstance(obj, type)
            and issubclass(obj, transformers.PreTrainedModel)
            and obj.__dict__.get("config_class", getattr(obj, "config_class", None)) is cfg
            and not re.search("For[A-Z]", name)
            and not name.endswith("PreTrainedModel")
        ):
            found.append(name)
    # The class named after the config (AlignVisionConfig -> AlignVisionModel), else the one
    # `...Model`, else the only one, else the first by name.
    preferred = config_class[: -len("Config")] + "Model" if config_class.endswith("Config") else None
    models = [n for n in found if n.endswith("Model")]
    if preferred in found:
        name = preferred
    elif len(models) == 1:
        name = models[0]
    elif found:
        name = found[0]
    else:
        return None
    if getattr(transformers, name, None) is getattr(module, name):
        return name
    return module.__name__[len("transformers."):] + "." + name


def unlisted_heads(model_type, mappings):
    """Head classes (`...For...`) the model_type's modeling module exports for its config class
    that no auto table lists, not even as a table entry's second class (PatchTSTForPrediction; not
    DeiTForImageClassificationWithTeacher): a checkpoint naming one has a task the tables cannot
    tell, so detection refuses it rather than serve the model_type's listed task."""
    try:
        cfg = configuration_auto.CONFIG_MAPPING[model_type]
        module = importlib.import_module(cfg.__module__.replace(".configuration_", ".modeling_"))
    except Exception:
        return []
    listed = set()
    for mapping in mappings:
        entry = _names(modeling_auto, mapping).get(model_type)
        listed.update(entry if isinstance(entry, (tuple, list)) else [entry])
    found = []
    for name in sorted(getattr(module, "__all__", None) or ()):
        obj = getattr(module, name, None)
        if (
            isinstance(obj, type)
            and issubclass(obj, transformers.PreTrainedModel)
            and getattr(obj, "config_class", None) is cfg
            and re.search("For[A-Z]", name)
            and name not in listed
        ):
            found.append(name)
    return found


def model_class(class_name):
    """The class a table name stands for: "Name" from transformers' top level, "module.Name" from
    transformers.<module> (classes it does not export). Raises when it cannot be imported."""
    module, _, name = class_name.rpartition(".")
    owner = importlib.import_module("transformers." + module) if module else transformers
    return getattr(owner, name)


def main_input(class_name):
    """The base model class's main input (input_ids, pixel_values, input_values, ...): what kind of
    input its embeddings come from. Its `main_input_name` when `forward` takes it (a component can
    inherit its model's name without taking that input), else `forward`'s first parameter."""
    try:
        cls = model_class(class_name)
        params = [p for p in inspect.signature(cls.forward).parameters if p not in ("self", "args", "kwargs")]
    except Exception:
        return None
    declared = getattr(cls, "main_input_name", None)
    if declared in params:
        return declared
    return params[0] if params else None


def hidden_state_output(class_name):
    """Whether the base model class returns a `last_hidden_state` to pool (what feature extraction
    needs): its forward's return annotation names a ModelOutput with that field, or, unannotated,
    its forward's source returns one. False for codecs, vocoders and dual encoders (their outputs are
    codes, waveforms or paired embeddings); None when it cannot be told."""
    import typing

    from transformers.utils import ModelOutput

    try:
        forward = model_class(class_name).forward
    except Exception:
        return None

    def outputs(annotation):
        if isinstance(annotation, type) and issubclass(annotation, ModelOutput):
            return [annotation]
        return [o for arg in typing.get_args(annotation) for o in outputs(arg)]

    try:
        found = outputs(typing.get_type_hints(forward).get("return"))
    except Exception:
        found = []
    if found:
        return any("last_hidden_state" in getattr(o, "__dataclass_fields__", {}) for o in found)
    try:
        return "last_hidden_state" in inspect.getsource(forward)
    except Exception:
        return None


def takes_patch_grid(class_name):
    """Whether the class's forward takes `grid_thw`: a Qwen-VL-style vision tower fed flattened
    patches (`hidden_states`) and each image's (t, h, w) patch grid, as its parent model's image
    processor gives them (`pixel_values`, `image_grid_thw`)."""
    try:
        return "grid_thw" in inspect.signature(model_class(class_name).forward).parameters
    except Exception:
        return False


def feature_maps_output(class_name):
    """Whether the class returns a backbone's `feature_maps` (a BackboneOutput: one [n, c, h, w]
    map per stage), which global average pooling turns into an image embedding."""
    import typing

    from transformers.modeling_outputs import BackboneOutput

    try:
        forward = model_class(class_name).forward
        hint = typing.get_type_hints(forward).get("return")
    except Exception:
        return None
    if hint is not None:
        return hint is BackboneOutput or BackboneOutput in typing.get_args(hint)
    try:
        return "BackboneOutput(" in inspect.getsource(forward)
    except Exception:
        return None


def codec_facts(class_name):
    """For a base class with no `last_hidden_state` (codecs, vocoders): its forward's output fields
    (`audio_codes`, `audio_values`, ...; `tensor` for a bare tensor) and its required inputs (parameters without a default), so
    detection can tell an audio codec (waveform in, discrete codes out) from other such classes."""
    import typing

    from transformers.utils import ModelOutput

    try:
        forward = model_class(class_name).forward
        hints = typing.get_type_hints(forward).get("return")
    except Exception:
        return {}
    import torch

    fields = []
    for arg in (hints, *typing.get_args(hints)):
        if isinstance(arg, type) and issubclass(arg, ModelOutput):
            fields += [f for f in arg.__dataclass_fields__ if f not in fields]
    if hints is torch.Tensor:
        fields = ["tensor"]  # a bare tensor (vocoders: the waveform)
    if hints is None:
        # Unannotated (vibevoice's acoustic tokenizer): the ModelOutput its source returns.
        try:
            source = inspect.getsource(forward)
        except (OSError, TypeError):  # what getsource raises for code it cannot find
            source = ""
        for found in re.findall(r"return\s+(\w+)\(", source):
            arg = getattr(sys.modules[forward.__module__], found, None)
            if isinstance(arg, type) and issubclass(arg, ModelOutput):
                fields += [f for f in arg.__dataclass_fields__ if f not in fields]
        # Or what a torch function returns (Qwen2.5-Omni's BigVGAN: `return torch.clamp(...)...`): a
        # bare tensor.
        if not fields and re.search(r"return\s+torch\.\w+\(", source):
            fields = ["tensor"]
    params = inspect.signature(forward).parameters.values()
    required = [p.name for p in params if p.name != "self" and p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return {"outputs": fields, "required_inputs": required}


def main():
    configs = _names(configuration_auto, "CONFIG_MAPPING_NAMES")
    mappings = sorted(
        name for name in dir(modeling_auto) if name.startswith("MODEL") and name.endswith("_MAPPING_NAMES")
    )
    processors = processor_tables()
    model_types = {}
    for model_type, config_class in sorted(configs.items()):
        heads = {}
        for mapping in mappings:
            cls = _names(modeling_auto, mapping).get(model_type)
            if isinstance(cls, (tuple, list)):
                cls = cls[0] if cls else None
            if cls:
                heads[mapping] = cls
        info = {
            "config_class": config_class,
            "processors": processors.get(model_type, []),
            "heads": heads,
            "sub_configs": sub_configs(model_type),
        }
        unlisted = unlisted_heads(model_type, mappings)
        if unlisted:
            info["unlisted_heads"] = unlisted
        base = heads.get("MODEL_MAPPING_NAMES")
        if not heads:
            base = own_base_class(model_type, config_class)
            if base:
                info["base_class"] = base
        elif list(heads) == ["MODEL_FOR_BACKBONE_MAPPING_NAMES"]:
            # A backbone-only type (rt_detr_resnet, vitpose_backbone): its backbone class is the
            # only model transformers loads it with.
            base = info["base_class"] = heads["MODEL_FOR_BACKBONE_MAPPING_NAMES"]
            info["feature_maps"] = feature_maps_output(base)
        if base:
            info["main_input"] = main_input(base)
            info["last_hidden_state"] = hidden_state_output(base)
            if takes_patch_grid(base):
                info["patch_grid"] = True
            if info["last_hidden_state"] is False:
                info.update(codec_facts(base))
        model_types[model_type] = info
    data = {
        "transformers_version": transformers.__version__,
        "generated_by": "scripts/gen_transformers_table.py",
        "mappings": mappings,
        "model_types": model_types,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}: {len(model_types)} model types, transformers {transformers.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
