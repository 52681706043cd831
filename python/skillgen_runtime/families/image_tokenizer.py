"""The image tokenizer family: VQ image tokenizers (an image -> its grid of discrete codebook
indices, and back to pixels where the model has a decoder): janus_vqgan, chameleon_vqgan,
apertus1p5_vision_tokenizer, flava_image_codebook."""

from ..base import SkillInputError, Skillset
from ..media import Images


class ImageTokenizer(Images, Skillset):
    """Image tokenizer skillset: image or list of images -> discrete image codes.

    Input: one image, a list of images, or {"image": image | [images], "reconstruct": bool}.
    The checkpoint's image processor (AutoImageProcessor) gives pixel_values, which go through the
    model's own `encode(pixel_values)`; its `image_tokens` are the codes. FLAVA's codebook (a
    dVAE encoder with `get_codebook_indices`, no `encode`) takes the processor's separate codebook
    pixels (`return_codebook_pixels=True`, as its docs call it) instead. Result: {"codes": per
    image a [rows][cols] grid of codebook indices, "grid": [rows, cols], "count": n}. With
    "reconstruct": True and a model that has a decoder (`decode(image_tokens)`, e.g. Janus's VQ
    model), also "reconstruction": the decoded pixel values [n, channels, height, width] as the
    model returns them (the processor's normalisation, not 0..255); a model without one
    (Chameleon's, Apertus 1.5's and FLAVA's tokenizers are encoder-only) gives an error instead."""

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

    def _preprocess(self, task, processor, batch, options, device, model):
        if options.get("reconstruct") and not callable(getattr(model, "decode", None)):
            raise SkillInputError(type(model).__name__ + " has no decoder: it only encodes images to codes")
        if callable(getattr(model, "get_codebook_indices", None)):
            encoded = processor(images=batch, return_codebook_pixels=True, return_tensors="pt")
            return self._to_device({"pixel_values": encoded["codebook_pixel_values"]}, model, device)
        encoded = processor(images=batch, return_tensors="pt")
        return self._to_device({"pixel_values": encoded["pixel_values"]}, model, device)

    def _forward(self, task, model, inputs, options):
        pixel_values = inputs["pixel_values"]
        if callable(getattr(model, "get_codebook_indices", None)):
            tokens = model.get_codebook_indices(pixel_values)  # FLAVA: a [n, rows, cols] grid
        else:
            tokens = model.encode(pixel_values).image_tokens
        # The quantizers return the indices flat (Chameleon, Janus: [n * rows * cols]) or as a
        # grid (Apertus 1.5: [n, rows, cols]); the grid is the encoder's output map.
        batch = pixel_values.shape[0]
        codes = tokens.reshape(batch, -1)
        reconstruction = model.decode(codes) if options.get("reconstruct") else None
        return {"codes": codes, "reconstruction": reconstruction, "shape": tuple(tokens.shape)}

    def _grid(self, model, codes, shape):
        if len(shape) == 3:
            return [int(shape[1]), int(shape[2])]
        dims = getattr(getattr(model, "quantize", None), "quant_state_dims", None)
        if dims is not None and int(dims[0]) * int(dims[1]) == codes.shape[1]:
            return [int(dims[0]), int(dims[1])]
        side = int(round(codes.shape[1] ** 0.5))
        return [side, codes.shape[1] // side] if side * side == codes.shape[1] else [1, int(codes.shape[1])]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        codes = outputs["codes"]
        rows, cols = self._grid(model, codes, outputs["shape"])
        result = {"codes": codes.reshape(codes.shape[0], rows, cols).cpu().tolist(), "grid": [rows, cols], "count": int(codes.shape[0])}
        if outputs["reconstruction"] is not None:
            result["reconstruction"] = outputs["reconstruction"].float().cpu()
        return result

    def _mock_result(self, task, batch, single, options):
        # Each image's mean intensity as a one-code grid, for host tests without a model; labelled MOCK by the caller.
        import numpy as np

        codes = [[[int(np.asarray(image.convert("L"), dtype=np.float32).mean())]] for image in batch]
        return {"codes": codes, "grid": [1, 1], "count": len(batch)}
