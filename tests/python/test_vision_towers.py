"""Vision model types whose only class is a backbone or a tower (issue 13, part A), run through
skillsets generated with the binary (conftest.generated_skillset: the runtime under test) on tiny
random-weight models built here, compared with transformers.

- Backbone-only types (MODEL_FOR_BACKBONE_MAPPING_NAMES: rt_detr_resnet, vitpose_backbone, ...):
  image_embedding is the global average pool of the backbone's last feature map, against a direct
  AutoBackbone call as transformers' backbone docs show it (`outputs.feature_maps`).
- maskformer-swin (a backbone with a base model): transformers' image-feature-extraction pipeline
  (pool=True: the base model's pooler_output).
- Qwen-VL-style patch towers (flattened patches + image_grid_thw): the tower called as its parent
  model's get_image_features calls it, each image's rows of what the parent reads averaged
  (GRID_TOWERS: as Qwen2-VL; PARENT_CALLED_TOWERS: per parent, `parent_rows`).
"""
import os

import pytest
import torch

from expect import _image, close, differ, pairs

transformers = pytest.importorskip("transformers")


def skill(generated_skillset, model_type):
    """The generated skillset of `model_type` (conftest.generated_skillset: the runtime under test)."""
    return generated_skillset("test/" + model_type, model_type)({}, {})


# Tiny configs (transformers' defaults are full-size), the image size each takes, and the std of the
# wider init (transformers' 0.02 makes tiny random models nearly input-independent; the deep conv
# stacks of pp_lcnet and uvdoc vanish or blow up away from the std measured here).
BACKBONES = {
    "lw_detr_vit": ({"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 64, "pretrain_image_size": 64, "patch_size": 8, "out_indices": [2], "window_block_indices": []}, (64, 64), 0.2),
    "pp_lcnet_v3": ({}, (64, 64), 0.12),
    "pp_lcnet_v4": ({}, (64, 64), 0.14),
    "rf_detr_dinov2": ({"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 64, "patch_size": 8, "out_indices": [2]}, (64, 64), 0.2),
    "rt_detr_resnet": ({"embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1], "out_indices": [2], "layer_type": "basic"}, (64, 64), 0.2),
    "uvdoc_backbone": ({}, (64, 64), 0.05),
    "vitpose_backbone": ({"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": [64, 48], "patch_size": [8, 8], "out_indices": [2]}, (64, 48), 0.2),
}


def save_processor(path, height, width):
    processor = transformers.ViTImageProcessor(size={"height": height, "width": width})
    processor.save_pretrained(path)
    return processor


def widen(model, std):
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, std)
    return model


@pytest.mark.parametrize("model_type", sorted(BACKBONES))
def test_a_backbone_only_type_embeds_the_last_feature_map(generated_skillset, tmp_path, model_type):
    kwargs, (height, width), std = BACKBONES[model_type]
    torch.manual_seed(0)
    config = transformers.CONFIG_MAPPING[model_type](**kwargs)
    built = widen(transformers.AutoBackbone.from_config(config), std)
    built.eval().save_pretrained(tmp_path)
    processor = save_processor(tmp_path, height, width)
    s = skill(generated_skillset, model_type)
    assert s.DEFAULT_TASK == "image_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    images = [_image(1), _image(2)]
    result = handler(images)
    assert result["implementation_type"] == "REAL", result

    # The reference: the backbone class AutoBackbone maps the config to (AutoBackbone.from_pretrained
    # asks the Hub whether a local folder is a repo in transformers 5.24), its last feature map
    # pooled over height and width.
    backbone = type(built).from_pretrained(str(tmp_path)).eval()
    with torch.no_grad():
        maps = backbone(**processor(images=images, return_tensors="pt")).feature_maps
    # [n, c, h, w] maps, or vitpose's [n, patch tokens, c] (its feature map before reshaping).
    want = maps[-1].mean(dim=(2, 3)) if maps[-1].dim() == 4 else maps[-1].mean(dim=1)
    close(result["embeddings"], want, model_type + " embeddings")
    differ(want[0], want[1], model_type + " embeddings")
    pairs(result["embeddings"], want)
    assert result["dimensions"] == want.shape[1]
    bad = handler({"image": images[0], "pooling": "cls"})
    assert bad["implementation_type"] == "ERROR" and "feature maps" in bad["error"]


def test_maskformer_swin_matches_the_image_feature_extraction_pipeline(generated_skillset, tmp_path):
    torch.manual_seed(0)
    config = transformers.MaskFormerSwinConfig(embed_dim=8, depths=[1, 1], num_heads=[1, 2], window_size=4, image_size=64)
    widen(transformers.MaskFormerSwinModel(config), 0.2).eval().save_pretrained(tmp_path)
    save_processor(tmp_path, 64, 64)
    s = skill(generated_skillset, "maskformer-swin")
    assert s.DEFAULT_TASK == "image_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    images = [_image(1), _image(2)]
    result = handler(images)
    assert result["implementation_type"] == "REAL", result
    pipe = transformers.pipeline("image-feature-extraction", model=str(tmp_path), device="cpu")
    want = torch.tensor([pipe(image, pool=True)[0] for image in images])
    close(result["embeddings"], want, "maskformer-swin embeddings")
    differ(want[0], want[1], "maskformer-swin embeddings")


# ---- Qwen-VL-style patch towers: flattened patches + each image's (t, h, w) grid ----------------

GRID_TOWERS = [
    "cohere_compass_vision", "ernie4_5_vl_moe_vision", "exaone4_5_vision", "glm4v_moe_vision", "glm4v_vision",
    "glm5_next_vision", "glm_ocr_vision", "qwen2_5_omni_vision_encoder", "qwen2_5_vl_vision", "qwen2_vl_vision",
    "qwen3_5_moe_vision", "qwen3_5_vision", "qwen3_omni_moe_vision_encoder", "qwen3_vl_moe_vision", "qwen3_vl_vision",
    "qwen4_exp_vision",
]


def tower_config(model_type):
    """A tiny config of the tower (1 block, width 16, 8-pixel patches merged 2x2)."""
    defaults = transformers.CONFIG_MAPPING[model_type]()
    kwargs = {"depth": 1, "num_heads": 2, "patch_size": 8, "spatial_merge_size": 2}
    for key, value in [
        ("hidden_size", 16), ("embed_dim", 16), ("out_hidden_size", 16), ("intermediate_size", 32),
        ("projection_intermediate_size", 32), ("deepstack_visual_indexes", [0]), ("fullatt_block_indexes", [0]),
        ("window_size", 32), ("num_position_embeddings", 64), ("num_key_value_heads", 2), ("image_size", 64),
    ]:
        if hasattr(defaults, key):
            kwargs[key] = value
    return transformers.CONFIG_MAPPING[model_type](**kwargs)


def tower_processor(model_type, config):
    """The parent model's image processor, sized for the tiny tower."""
    pixels = {"patch_size": 8, "merge_size": 2, "size": {"shortest_edge": 16 * 16, "longest_edge": 64 * 64}}
    if model_type.startswith("ernie4_5_vl"):
        return transformers.Ernie4_5_VLMoeImageProcessor(**pixels)
    if model_type.startswith("glm4v"):
        return transformers.Glm4vImageProcessor(temporal_patch_size=config.temporal_patch_size, **pixels)
    return transformers.Qwen2VLImageProcessor(temporal_patch_size=config.temporal_patch_size, **pixels)


def tower_class(model_type):
    """The class transformers' tables give the tower (its base model, or its module's own class)."""
    import importlib
    import json

    with open(os.path.join(os.path.dirname(__file__), "..", "..", "data", "transformers_auto.json"), encoding="utf-8") as f:
        info = json.load(f)["model_types"][model_type]
    module, _, name = (info.get("base_class") or info["heads"]["MODEL_MAPPING_NAMES"]).rpartition(".")
    return getattr(importlib.import_module("transformers." + module) if module else transformers, name)


def run_tower(generated_skillset, tmp_path, model_type, built, processor):
    """The tower and its parent's image processor saved, the generated skillset's CPU handler on
    them, and its (REAL) result for two images of different sizes: (handler, images, result)."""
    built.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    s = skill(generated_skillset, model_type)
    assert s.DEFAULT_TASK == "image_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    images = [_image(1, 64, 48), _image(2, 32, 64)]
    result = handler({"image": images, "normalize": False})
    assert result["implementation_type"] == "REAL", result
    return handler, images, result


def check_tower(handler, images, result, want, model_type):
    """The batch result equals the reference, whose two rows differ; the second image alone gives
    its row; CLS pooling (patch sequences have no CLS token) is an error."""
    close(result["embeddings"], want, model_type + " embeddings")
    differ(want[0], want[1], model_type + " embeddings")
    one = handler(images[1])
    close(one["embeddings"], want[1:], model_type + " embedding of the second image alone")
    bad = handler({"image": images[0], "pooling": "cls"})
    assert bad["implementation_type"] == "ERROR" and "CLS" in bad["error"]


@pytest.mark.parametrize("model_type", GRID_TOWERS)
def test_a_patch_tower_embeds_each_image_from_its_merged_tokens(generated_skillset, tmp_path, model_type):
    torch.manual_seed(0)
    config = tower_config(model_type)
    built = widen(tower_class(model_type)(config), 0.2).eval()
    processor = tower_processor(model_type, config)
    handler, images, result = run_tower(generated_skillset, tmp_path, model_type, built, processor)

    # The reference: the tower called as its parent model's get_image_features calls it (patches,
    # grid_thw), pooler_output split per image by t*h*w / spatial_merge_size^2, each part averaged.
    # ernie4_5_vl's tower has no pooler_output (its parent merges with a resampler outside the
    # tower): its last_hidden_state, t*h*w rows per image.
    inputs = processor(images=images, return_tensors="pt")
    grid = inputs["image_grid_thw"]
    with torch.no_grad():
        out = built(inputs["pixel_values"], grid_thw=grid)
    if out.pooler_output is not None:
        parts = out.pooler_output.split((grid.prod(-1) // config.spatial_merge_size**2).tolist())
    else:
        parts = out.last_hidden_state.split(grid.prod(-1).tolist())
    want = torch.stack([part.mean(dim=0) for part in parts])
    check_tower(handler, images, result, want, model_type)


def test_qwen2_vl_tower_matches_the_parent_models_image_features(generated_skillset, tmp_path):
    """The tower saved from a Qwen2-VL model gives what that model's get_image_features gives."""
    torch.manual_seed(0)
    vision = tower_config("qwen2_vl_vision").to_dict()
    text = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2, "rope_scaling": {"type": "mrope", "mrope_section": [1, 1, 2]}}
    parent = widen(transformers.Qwen2VLModel(transformers.Qwen2VLConfig(vision_config=vision, text_config=text)), 0.2).eval()
    parent.visual.save_pretrained(tmp_path)
    processor = tower_processor("qwen2_vl_vision", parent.visual.config)
    processor.save_pretrained(tmp_path)
    _, _, handler, _, _ = skill(generated_skillset, "qwen2_vl_vision").init_cpu(str(tmp_path), "cpu", "cpu")
    images = [_image(3, 48, 64), _image(4, 64, 64)]
    result = handler(images)
    assert result["implementation_type"] == "REAL", result
    inputs = processor(images=images, return_tensors="pt")
    with torch.no_grad():
        features = parent.get_image_features(inputs["pixel_values"], inputs["image_grid_thw"]).pooler_output
    want = torch.stack([f.mean(dim=0) for f, _ in pairs(features, images, "images")])
    close(result["embeddings"], want, "qwen2_vl tower embeddings")
    differ(want[0], want[1], "qwen2_vl tower embeddings")


# Patch towers whose parents call them or read them differently from Qwen2-VL's: a tiny config
# of each (1 block, width 16, 8-pixel patches), the parent model's own image processor (the class
# transformers' IMAGE_PROCESSOR_MAPPING_NAMES gives the parent model type) with its kwargs, and
# `parent_rows`: the tower called exactly as the parent's get_image_features calls it.
TINY = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "patch_size": 8}
PIXELS = {"patch_size": 8, "merge_size": 2, "size": {"shortest_edge": 16 * 16, "longest_edge": 64 * 64}}
WINDOWS = {"pos_emb_height": 8, "pos_emb_width": 8}
PARENT_CALLED_TOWERS = {
    "cosmos3_edge_vision": ({**TINY, "num_patches": 64}, "Cosmos3EdgeImageProcessor", PIXELS),
    # Dots3NoteVisionPatchEmbed is a Conv2d over one frame: temporal_patch_size 1.
    "dots3_note_vision_encoder": (
        {**TINY, "mlp_layer_types": ["dense"], "adapter_in_dim": 16, "adapter_out_dim": 16, "per_layer_config": {}, "moe_intermediate_size": 16, "num_local_experts": 2},
        "Qwen2VLImageProcessor", {**PIXELS, "temporal_patch_size": 1},
    ),
    # GlmImageVisionPatchEmbed is a Conv2d over one frame: temporal_patch_size 1.
    "glm_image_vision": (
        {"hidden_size": 16, "intermediate_size": 32, "depth": 1, "num_heads": 2, "patch_size": 8, "image_size": 64, "spatial_merge_size": 1},
        "GlmImageImageProcessor", {**PIXELS, "temporal_patch_size": 1},
    ),
    "hunyuan_vl_vision": ({**TINY, "num_key_value_heads": 2, "out_hidden_size": 16, "text_hidden_size": 16, "max_image_size": 64}, "HunYuanVLImageProcessor", PIXELS),
    "hy_v4_vl_vision": ({**TINY, "num_key_value_heads": 2, "out_hidden_size": 16, "max_image_size": 64}, "HYV4VLImageProcessor", PIXELS),
    "kimi_k25_vision": ({**TINY, **WINDOWS}, "Kimi_K25ImageProcessor", {"patch_size": 8, "merge_size": 2, "max_patches": 64, "size": {"max_height": 64, "max_width": 64}}),
    "lfm3_vl_vision": ({**TINY, "num_hidden_layers": 2, "layer_types": ["conv", "full_attention"], "num_key_value_heads": 2}, "Qwen2VLImageProcessor", PIXELS),
    "minimax_m3_vl_vision": ({**TINY, "image_size": 64}, "MiniMaxM3VLImageProcessor", PIXELS),
    "muse_glimmer_vision": ({**TINY, **WINDOWS, "layer_types": ["full_attention"]}, "MuseGlimmerImageProcessor", {"patch_size": 8, "merge_size": 2, "max_image_tokens": 16}),
    "muse_spark_vision": ({**TINY, **WINDOWS, "layer_types": ["full_attention"]}, "MuseGlimmerImageProcessor", {"patch_size": 8, "merge_size": 2, "max_image_tokens": 16}),
    "paddleocr_vl_vision": ({**TINY, "image_size": 64}, "PaddleOCRVLImageProcessor", PIXELS),
    "video_llama_3_vision": (TINY, "VideoLlama3ImageProcessor", PIXELS),
}


def parent_rows(model_type, tower, inputs):
    """(rows, per-image row counts): the tower output each parent's get_image_features reads, called
    as it calls the tower, and how it splits the rows per image (transformers 5.24's modeling_*.py).
    Where the parent's projector merges m x m rows into one (cosmos3_edge, lfm3_vl, minimax_m3_vl,
    paddleocr_vl), each image's rows before the projector are t*h*w."""
    pixels, grid = inputs["pixel_values"], inputs["image_grid_thw"]
    m = tower.config.to_dict().get("spatial_merge_size") or tower.config.to_dict().get("merge_size")
    if model_type in ("cosmos3_edge_vision", "lfm3_vl_vision"):
        # self.projector(self.visual(pixel_values, grid_thw=...).last_hidden_state)
        return tower(pixels, grid_thw=grid).last_hidden_state, grid.prod(-1)
    if model_type == "minimax_m3_vl_vision":
        # self.multi_modal_projector(self.vision_tower(pixel_values=..., grid_thw=...).last_hidden_state.squeeze(0))
        return tower(pixel_values=pixels, grid_thw=grid).last_hidden_state.squeeze(0), grid.prod(-1)
    if model_type == "paddleocr_vl_vision":
        # self.visual(pixel_values=pixel_values.unsqueeze(0), grid_thw=...).last_hidden_state -> projector
        return tower(pixel_values=pixels.unsqueeze(0), grid_thw=grid).last_hidden_state, grid.prod(-1)
    if model_type in ("muse_glimmer_vision", "muse_spark_vision"):
        # vision_adapter(last_hidden_state), split by t*h*w // merge_size**2 (merged inside the tower)
        return tower(pixel_values=pixels, grid_thw=grid).last_hidden_state, grid.prod(-1) // m**2
    if model_type == "video_llama_3_vision":
        # self.vision_model(pixel_values=..., grid_thw=..., merge_sizes=image_merge_sizes).last_hidden_state
        merges = inputs["image_merge_sizes"]
        return tower(pixel_values=pixels, grid_thw=grid, merge_sizes=merges).last_hidden_state, grid.prod(dim=1) // merges**2
    if model_type == "hunyuan_vl_vision":
        # pooler_output[0], split by merged_h * (merged_w + 1) + 2 (a newline row per merged row, begin and end rows)
        merged_h, merged_w = (grid[:, 1:] // m).unbind(-1)
        return tower(pixels, grid_thw=grid).pooler_output[0], merged_h * (merged_w + 1) + 2
    if model_type == "hy_v4_vl_vision":
        # pooler_output.squeeze(0), split by t * (h // merge) * (w // merge + 1)
        return tower(pixels, grid_thw=grid).pooler_output.squeeze(0), grid[:, 0] * (grid[:, 1] // m) * (grid[:, 2] // m + 1)
    if model_type == "kimi_k25_vision":
        # self.mm_projector(pooler_output) reads each merged token's kernel window as one row;
        # split by h * w // (kernel_h * kernel_w)
        kernel = tower.merge_kernel_size[0] * tower.merge_kernel_size[1]
        return tower(pixels, grid_thw=grid).pooler_output, grid[:, 1:].prod(-1) // kernel
    # dots3_note, glm_image: self.visual(pixel_values, grid_thw=...).pooler_output split by t*h*w // merge**2
    return tower(pixels, grid_thw=grid).pooler_output, grid.prod(-1) // m**2


@pytest.mark.parametrize("model_type", sorted(PARENT_CALLED_TOWERS))
def test_a_patch_tower_embeds_each_image_as_its_parent_model_reads_it(generated_skillset, tmp_path, model_type):
    kwargs, processor_class, pixels = PARENT_CALLED_TOWERS[model_type]
    torch.manual_seed(0)
    built = widen(tower_class(model_type)(transformers.CONFIG_MAPPING[model_type](**kwargs)), 0.2).eval()
    processor = getattr(transformers, processor_class)(**pixels)
    handler, images, result = run_tower(generated_skillset, tmp_path, model_type, built, processor)

    # The reference: each image's rows of what the parent reads from the tower, averaged (a row of
    # more than one dim, kimi_k25's merge window, flattened as its projector reads it).
    inputs = processor(images=images, return_tensors="pt")
    with torch.no_grad():
        rows, counts = parent_rows(model_type, built, inputs)
    parts = rows.split(counts.tolist())
    assert [len(p) for p in parts] == counts.tolist() and len(parts) == 2
    want = torch.stack([part.reshape(part.shape[0], -1).mean(dim=0) for part in parts])
    check_tower(handler, images, result, want, model_type)
    bad = handler({"image": 12345})
    assert bad["implementation_type"] == "ERROR" and bad["error"], bad


# ---- Pix2Struct-style towers: flattened patches padded to max_patches, with an attention mask ----


@pytest.mark.parametrize("model_type", ["kosmos_2_5_vision_model", "pix2struct_vision_model"])
def test_a_flattened_patch_tower_averages_each_images_real_patches(generated_skillset, tmp_path, model_type):
    from transformers.models.kosmos2_5 import modeling_kosmos2_5

    torch.manual_seed(0)
    small = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "patch_embed_hidden_size": 8 * 8 * 3}
    pixels = {"max_patches": 16, "patch_size": {"height": 8, "width": 8}}
    if model_type == "pix2struct_vision_model":
        built = transformers.Pix2StructVisionModel(transformers.Pix2StructVisionConfig(d_kv=8, **small))
        processor = transformers.Pix2StructImageProcessor(**pixels)
    else:
        built = modeling_kosmos2_5.Kosmos2_5VisionModel(transformers.Kosmos2_5VisionConfig(head_dim=8, **small))
        processor = transformers.Kosmos2_5ImageProcessor(**pixels)
    widen(built, 0.2).eval().save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    s = skill(generated_skillset, model_type)
    assert s.DEFAULT_TASK == "image_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    images = [_image(1), _image(2, 20, 70)]
    result = handler(images)
    assert result["implementation_type"] == "REAL", result

    # The reference: the tower on the processor's patches and mask (its documented inputs), the
    # hidden states averaged over the patches the mask marks as real (the rest is padding).
    inputs = processor(images=images, return_tensors="pt")
    mask = inputs["attention_mask"]
    assert int(mask.sum(dim=1).min()) < mask.shape[1], "the fixture should pad one image's patches"
    with torch.no_grad():
        hidden = built(flattened_patches=inputs["flattened_patches"], attention_mask=mask).last_hidden_state
    want = torch.stack([h[m.bool()].mean(dim=0) for h, m in zip(hidden, mask)])
    close(result["embeddings"], want, model_type + " embeddings")
    differ(want[0], want[1], model_type + " embeddings")
    bad = handler({"image": images[0], "pooling": "cls"})
    assert bad["implementation_type"] == "ERROR" and "CLS" in bad["error"]


def test_florence_vision_embeds_the_towers_feature_map(generated_skillset, tmp_path):
    """Florence-2's DaViT tower takes the image's pixels as `hidden_states` and returns a feature
    map; its embedding is the map's mean over H and W."""
    from transformers.models.florence2 import modeling_florence2

    torch.manual_seed(0)
    config = transformers.Florence2VisionConfig(
        depths=[1, 1], patch_size=[7, 3], patch_stride=[4, 2], patch_padding=[3, 1], patch_prenorm=[False, True],
        embed_dim=[16, 32], num_heads=[2, 4], num_groups=[2, 4], window_size=4, projection_dim=16,
    )
    built = widen(modeling_florence2.Florence2VisionBackbone(config), 0.2).eval()
    built.save_pretrained(tmp_path)
    # Florence-2's processor uses CLIP's image processor.
    processor = transformers.CLIPImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64})
    processor.save_pretrained(tmp_path)
    s = skill(generated_skillset, "florence_vision")
    assert s.DEFAULT_TASK == "image_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    images = [_image(1), _image(2)]
    result = handler(images)
    assert result["implementation_type"] == "REAL", result
    # The reference: the tower called as Florence2Model.get_image_features calls it (pixel_values
    # positionally), its last_hidden_state map averaged over H and W.
    with torch.no_grad():
        hidden = built(processor(images=images, return_tensors="pt")["pixel_values"]).last_hidden_state
    assert hidden.dim() == 4
    want = hidden.mean(dim=(2, 3))
    close(result["embeddings"], want, "florence_vision embeddings")
    differ(want[0], want[1], "florence_vision embeddings")
