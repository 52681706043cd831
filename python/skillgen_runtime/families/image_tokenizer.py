"""The image tokenizer family: VQ image tokenizers (an image -> its grid of discrete codebook
indices, and back to pixels where the model has a decoder): janus_vqgan, emu3_vqgan,
chameleon_vqgan, apertus1p5_vision_tokenizer, flava_image_codebook."""

from ..base import SkillInputError, Skillset
from ..media import Images


class ImageTokenizer(Images, Skillset):
    """Image tokenizer skillset: image or list of images -> discrete image codes.

    Input: one image, a list of images, or {"image": image | [images], "reconstruct": bool}.
    The checkpoint's image processor (AutoImageProcessor) gives pixel_values, which go through the
    model's own `encode(pixel_values)` (Emu3's with the processor's `image_sizes`, which crops each
    image's codes to its own grid); its `image_tokens` are the codes. FLAVA's codebook (a dVAE
    encoder with `get_codebook_indices`, no `encode`) takes the processor's separate codebook
    pixels (`return_codebook_pixels=True`, as its docs call it) instead. Result: {"codes": per
    image a [rows][cols] grid of codebook indices, "grids": per image [rows, cols], "count": n}.
    With "reconstruct": True and a model that has a decoder (Janus's and Emu3's VQ models), also
    "reconstruction": per image the decoded pixel values [channels, height, width] as the model
    returns them (the processor's normalisation, not 0..255); a model without one (Chameleon's,
    Apertus 1.5's and FLAVA's tokenizers are encoder-only) gives an error instead."""

    FAMILY = "image_tokenizer"
    PROCESSOR_CLASS = "AutoImageProcessor"
    OPTIONS = ("reconstruct",)

    def _sample_input(self, task):
        return self._sample_image(32, 32)

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "image", self.OPTIONS)
        if not isinstance(options.get("reconstruct", False), bool):
            raise SkillInputError("reconstruct must be true or false, not " + repr(options["reconstruct"]))
        images, single = self._image_batch(x)
        return images, single, options

    def _codebook_only(self, model):
        return callable(getattr(model, "get_codebook_indices", None))

    def _preprocess(self, task, processor, batch, options, device, model):
        if options.get("reconstruct") and not callable(getattr(model, "decode", None)):
            raise SkillInputError(type(model).__name__ + " has no decoder: it only encodes images to codes")
        if self._codebook_only(model):
            encoded = processor(images=batch, return_codebook_pixels=True, return_tensors="pt")
            return self._to_device({"pixel_values": encoded["codebook_pixel_values"]}, model, device)
        encoded = processor(images=batch, return_tensors="pt")
        # Emu3's processor pads a batch to its largest image and says each one's size.
        keep = {k: encoded[k] for k in ("pixel_values", "image_sizes") if k in encoded}
        return self._to_device(keep, model, device)

    def _forward(self, task, model, inputs, options):
        pixel_values = inputs["pixel_values"]
        if self._codebook_only(model):
            tokens = model.get_codebook_indices(pixel_values)  # FLAVA: a [n, rows, cols] grid
        elif "image_sizes" in inputs:
            tokens = model.encode(pixel_values, inputs["image_sizes"]).image_tokens
        else:
            tokens = model.encode(pixel_values).image_tokens
        grids = self._grids(model, tokens, pixel_values.shape[0])
        reconstruction = self._decode(model, grids) if options.get("reconstruct") else None
        return {"grids": grids, "reconstruction": reconstruction}

    def _grids(self, model, tokens, count):
        """Per image a [rows, cols] tensor of codes. The quantizers return them as a list of
        per-image grids (Emu3), a [n, rows, cols] grid (Apertus 1.5, FLAVA) or flat (Chameleon,
        Janus: [n * rows * cols], the grid being the quantizer's quant_state_dims or square)."""
        if isinstance(tokens, (list, tuple)) or tokens.dim() == 3:
            return list(tokens)
        flat = tokens.reshape(count, -1)
        dims = getattr(getattr(model, "quantize", None), "quant_state_dims", None)
        if dims is not None and int(dims[0]) * int(dims[1]) == flat.shape[1]:
            rows = int(dims[0])
        else:
            side = int(round(flat.shape[1] ** 0.5))
            rows = side if side * side == flat.shape[1] else 1
        return list(flat.reshape(count, rows, -1))

    def _decode(self, model, grids):
        """Per image its decoded pixels. Janus's decode(image_tokens) takes the codes flat
        [n, rows * cols]; Emu3's decode(hidden_states) takes the grid [n, rows, cols]."""
        import inspect

        flat = "image_tokens" in inspect.signature(model.decode).parameters
        if len({tuple(grid.shape) for grid in grids}) == 1:
            # One batch when every grid has one shape (as the model's own forward decodes).
            stacked = self.torch.stack(grids)
            return list(model.decode(stacked.reshape(len(grids), -1) if flat else stacked))
        return [model.decode(grid.reshape(1, -1) if flat else grid[None])[0] for grid in grids]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        grids = outputs["grids"]
        result = {"codes": [grid.cpu().tolist() for grid in grids], "grids": [list(grid.shape) for grid in grids], "count": len(grids)}
        if outputs["reconstruction"] is not None:
            result["reconstruction"] = [image.float().cpu() for image in outputs["reconstruction"]]
        return result

    def _mock_result(self, task, batch, single, options):
        # Each image's mean intensity as a one-code grid, for host tests without a model; labelled MOCK by the caller.
        import numpy as np

        codes = [[[int(np.asarray(image.convert("L"), dtype=np.float32).mean())]] for image in batch]
        return {"codes": codes, "grids": [[1, 1]] * len(batch), "count": len(batch)}
