"""image_tokenization (VQ image tokenizers: janus_vqgan, emu3_vqgan, chameleon_vqgan,
apertus1p5_vision_tokenizer, flava_image_codebook) on tiny offline models (tests/fixtures/fixtures_image_tokenizers.py), against
the models' own calls: the checkpoint's image processor, `encode(pixel_values).image_tokens` for the
codes (Emu3: with the processor's `image_sizes`; FLAVA: `get_codebook_indices` on the codebook
pixels, as its docs call it), Janus's forward (encode then `decode`) and Emu3's `decode` for the
reconstruction; the encoder-only ones refuse it. No pipeline exists for the task. The
skillset is generated with the built binary (conftest.generated_skillset)."""
import os

import pytest
import torch
import transformers

from expect import random_image


@pytest.fixture(scope="module")
def janus(cpu_handler):
    skill, handler, _ = cpu_handler("deepseek-community/Janus-Pro-1B-vqgan", "janus_vqgan", "janus-vqgan")
    return skill, handler


def reference(path, images):
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.JanusVQVAE.from_pretrained(path).eval()
    pixel_values = processor(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        codes = model.encode(pixel_values).image_tokens.view(len(images), -1)
        reconstruction = model(pixel_values).decoded_pixel_values
    return codes, reconstruction


def test_codes_and_reconstruction_match_the_model(fixtures, janus):
    skill, handler = janus
    assert skill.FAMILY == "image_tokenizer" and handler.task == "image_tokenization"
    images = [random_image(0, 20, 24), random_image(1, 30, 18)]
    result = handler({"image": images, "reconstruct": True})
    assert "error" not in result, result
    codes, reconstruction = reference(os.path.join(fixtures, "janus-vqgan"), images)
    assert result["grids"] == [[8, 8], [8, 8]] and result["count"] == 2
    assert torch.equal(torch.tensor(result["codes"]).view(2, -1), codes)
    torch.testing.assert_close(torch.stack(result["reconstruction"]), reconstruction, rtol=1e-4, atol=1e-5)
    # Different images give different codes (the wide init makes the nearest code move).
    assert result["codes"][0] != result["codes"][1]
    assert not torch.allclose(result["reconstruction"][0], result["reconstruction"][1])


def test_single_image_and_bad_input(janus):
    _, handler = janus
    one = handler(random_image(2, 20, 24))
    assert "error" not in one, one
    assert one["count"] == 1 and len(one["codes"]) == 1 and "reconstruction" not in one
    assert "error" in handler({"image": random_image(2, 20, 24), "reconstruct": "yes"})
    assert "error" in handler({"image": random_image(2, 20, 24), "level": 3})
    assert "error" in handler(42)


@pytest.mark.parametrize("model_id,model_type,folder,cls", [
    ("facebook/chameleon-7b-vqgan", "chameleon_vqgan", "chameleon-vqgan", "ChameleonVQVAE"),
    ("swiss-ai/Apertus-1.5-vision-tokenizer", "apertus1p5_vision_tokenizer", "apertus1p5-vision-tokenizer", "Apertus1p5VisionTokenizerModel"),
])
def test_encoder_only_tokenizers_match_encode(cpu_handler, model_id, model_type, folder, cls):
    skill, handler, path = cpu_handler(model_id, model_type, folder)
    images = [random_image(3, 20, 24), random_image(4, 26, 16)]
    result = handler(images)
    assert "error" not in result, result
    processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = getattr(transformers, cls).from_pretrained(path).eval()
    with torch.no_grad():
        codes = model.encode(processor(images=images, return_tensors="pt")["pixel_values"]).image_tokens.reshape(2, -1)
    assert result["grids"] == [[8, 8], [8, 8]]
    assert torch.equal(torch.tensor(result["codes"]).view(2, -1), codes)
    assert result["codes"][0] != result["codes"][1]
    # No decoder: reconstruction is an error, not a silent omission.
    assert "decoder" in handler({"image": images[0], "reconstruct": True})["error"]


def test_flava_codebook_matches_its_docs(cpu_handler):
    skill, handler, path = cpu_handler("facebook/flava-image-codebook", "flava_image_codebook", "flava-codebook")
    images = [random_image(5, 40, 50), random_image(6, 20, 24)]
    result = handler(images)
    assert "error" not in result, result
    image_processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.FlavaImageCodebook.from_pretrained(path).eval()
    inputs = image_processor(images, return_codebook_pixels=True, return_tensors="pt")
    with torch.no_grad():
        codes = model.get_codebook_indices(pixel_values=inputs.codebook_pixel_values)
    assert result["grids"] == [[4, 4], [4, 4]]
    assert torch.equal(torch.tensor(result["codes"]), codes)
    assert result["codes"][0] != result["codes"][1]
    assert "decoder" in handler({"image": images[0], "reconstruct": True})["error"]


def test_emu3_codes_per_image_size_and_reconstruction(cpu_handler):
    skill, handler, path = cpu_handler("BAAI/Emu3-VisionTokenizer", "emu3_vqgan", "emu3-vqgan")
    images = [random_image(7, 20, 24), random_image(8, 30, 18)]  # different sizes: the processor pads the batch
    result = handler({"image": images, "reconstruct": True})
    assert "error" not in result, result
    image_processor = transformers.AutoImageProcessor.from_pretrained(path)
    model = transformers.Emu3VQVAE.from_pretrained(path).eval()
    inputs = image_processor(images, return_tensors="pt")
    with torch.no_grad():
        codes = model.encode(inputs.pixel_values, inputs.image_sizes).image_tokens
        reconstruction = [model.decode(grid[None])[0] for grid in codes]
    assert result["grids"] == [list(grid.shape) for grid in codes] and result["grids"][0] != result["grids"][1]
    for got, want in zip(result["codes"], codes):
        assert torch.equal(torch.tensor(got), want)
    for got, want in zip(result["reconstruction"], reconstruction):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    # Different images of one size give different codes.
    same_size = handler([random_image(7, 20, 24), random_image(9, 20, 24)])
    assert same_size["codes"][0] != same_size["codes"][1]
