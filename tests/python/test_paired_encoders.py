"""Base models that are CLIP-style dual encoders but only in MODEL_MAPPING_NAMES (aimv2, groupvit:
data/detection.toml overrides), run through skillsets generated with the binary
(conftest.generated_skillset: the runtime under test) on tiny random-weight models built here (the clip fixture's tokenizer and image processor), compared with transformers'
zero-shot-image-classification pipeline given the same model object (it runs any model with
logits_per_image, warning that the class is not in its list) and with the model's own
get_image_features / get_text_features."""
import os

import pytest
import torch

from expect import _image, close, differ, pairs

transformers = pytest.importorskip("transformers")

LABELS = ["a photo of a cat", "a dog", "red car on the road"]


def skill(generated_skillset, model_type):
    """The generated skillset of `model_type` (conftest.generated_skillset: the runtime under test)."""
    return generated_skillset("test/" + model_type, model_type)({}, {})


def build(model_type):
    text = {
        "vocab_size": 400, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
        "max_position_embeddings": 64, "eos_token_id": 2, "bos_token_id": 0, "pad_token_id": 1,
    }
    vision = {"hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "image_size": 30, "patch_size": 6}
    if model_type == "aimv2":
        config = transformers.Aimv2Config(vision_config={**vision, "num_hidden_layers": 1}, text_config=text, projection_dim=8)
    else:
        vision.update(depths=[1, 1], num_hidden_layers=2, num_group_tokens=[4, 2], num_output_groups=[4, 2])
        config = transformers.GroupViTConfig(vision_config=vision, text_config=text, projection_dim=8, projection_intermediate_dim=16)
    torch.manual_seed(0)
    model = transformers.AutoModel.from_config(config)
    with torch.no_grad():
        # A wider init than transformers' 0.02, so that different inputs give different scores.
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 0.5)
    return model.eval()


@pytest.mark.parametrize("model_type", ["aimv2", "groupvit"])
def test_a_mapping_only_dual_encoder_matches_the_zero_shot_pipeline(generated_skillset, tmp_path, fixtures, model_type):
    model = build(model_type)
    model.save_pretrained(tmp_path)
    processor = transformers.AutoProcessor.from_pretrained(os.path.join(fixtures, "clip"))
    processor.save_pretrained(tmp_path)
    s = skill(generated_skillset, model_type)
    assert s.DEFAULT_TASK == "image_text_embedding"
    _, _, handler, _, _ = s.init_cpu(str(tmp_path), "cpu", "cpu")
    images = [_image(1, 30, 30), _image(2, 30, 30)]

    result = handler({"image": images, "candidate_labels": LABELS})
    assert result["implementation_type"] == "REAL", result
    pipe = transformers.pipeline("zero-shot-image-classification", model=model, tokenizer=processor.tokenizer, image_processor=processor.image_processor)
    for got, image in pairs(result["predictions"], images, "images"):
        want = pipe(image, candidate_labels=LABELS)
        assert [p["label"] for p in got] == [w["label"] for w in want]
        assert [p["score"] for p in got] == pytest.approx([w["score"] for w in want], abs=1e-4)
    differ(torch.tensor([p["score"] for p in sorted(result["predictions"][0], key=lambda p: p["index"])]),
           torch.tensor([p["score"] for p in sorted(result["predictions"][1], key=lambda p: p["index"])]), model_type + " scores")

    embedded = handler({"image": images, "text": LABELS, "normalize": False})
    with torch.no_grad():
        image_embeds = model.get_image_features(**processor.image_processor(images=images, return_tensors="pt")).pooler_output
        text_embeds = model.get_text_features(**processor.tokenizer(LABELS, padding=True, return_tensors="pt")).pooler_output
    close(embedded["image_embeds"], image_embeds, model_type + " image embeddings")
    close(embedded["text_embeds"], text_embeds, model_type + " text embeddings")
    differ(image_embeds[0], image_embeds[1], model_type + " image embeddings")
    differ(text_embeds[0], text_embeds[1], model_type + " text embeddings")
    # One modality alone, by default: unit vectors, the features divided by their L2 norm as the
    # CLIP-style docs do before comparing them (with both, the model's own forward normalises).
    alone = handler({"image": images}), handler({"text": LABELS})
    close(alone[0]["image_embeds"], image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True), model_type + " normalised image embeddings")
    close(alone[1]["text_embeds"], text_embeds / text_embeds.norm(p=2, dim=-1, keepdim=True), model_type + " normalised text embeddings")
