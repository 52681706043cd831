#!/usr/bin/env python3
"""Regenerate data/transformers_auto.json from the installed transformers' own auto tables.

For every model_type in CONFIG_MAPPING_NAMES it records the config class, which head class each
`MODEL_*_MAPPING_NAMES` table maps it to, and its processor kind. skillgen's detection
(src/generator/detect.rs) embeds the file at build time, so detection is data, not guesswork.

    tests/python-env.sh python scripts/gen_transformers_table.py   # writes data/transformers_auto.json
"""
import json
import os
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
    import importlib

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
        model_types[model_type] = {
            "config_class": config_class,
            "processors": processors.get(model_type, []),
            "heads": heads,
            "sub_configs": sub_configs(model_type),
        }
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
