"""The vision text dual encoder family: vision-text dual encoder (image/text embeddings, similarity, zero-shot labels)."""

from ..base import Skillset
from ..dual_encoder import DualEncoder
from ..media import Images


class VisionTextDualEncoder(DualEncoder, Images, Skillset):
    """Vision-text dual encoder skillset: images and/or texts -> embeddings in one space.

    Input: {"image": image | [images], "text": str | [str]} (either or both), a bare image or
    list of images, or a bare str / list of str (texts; a path string is read as an image only
    under "image"). Images: PIL images, file paths, bytes, HxWxC arrays or tensors.
    Output: "image_embeds" [n_images, dim] and/or "text_embeds" [n_texts, dim] (the model's
    projected features, L2-normalised unless "normalize": False). With both: "similarity"
    [n_images, n_texts] (cosine), "logits_per_image" (the model's scaled logits) and
    "probabilities" (softmax over the texts per image; sigmoid for SigLIP-style models, which are
    trained with a sigmoid loss), and "predictions": per image the texts ranked by probability
    ("top_k" option limits them). "count" is the number of images (of texts when none)."""

    FAMILY = "vision_text_dual_encoder"
    PROCESSOR_CLASS = "AutoProcessor"
    HALF_PRECISION = True
    # Model types trained with a pairwise sigmoid loss: probabilities are sigmoid(logits), and the
    # text tower expects max_length padding (it pools the last position).
    SIGMOID_MODEL_TYPES = ("siglip", "siglip2")
    SAMPLE_TEXTS = ["a photo of a cat", "a photo of a dog"]
    OPTIONS = ("normalize", "top_k")

    # ---- vision-text dual encoder: load ----

    def _sample_input(self, task):
        image = self._sample_image()
        return {"image": image, "text": list(self.SAMPLE_TEXTS)}

    # ---- vision-text dual encoder: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        """batch = {"images": [PIL] or None, "texts": [str] or None}."""
        image, text, options = self._split_pair(x, "image")
        images, single = self._image_batch(image) if image is not None else (None, True)
        texts, single = self._pair_texts(images, single, text, "no image and no text given")
        self._check_dual_options(options)
        return {"images": images, "texts": texts}, single, options

    def _image_processor_of(self, processor):
        return getattr(processor, "image_processor", None) or processor

    def _text_positions(self, model):
        """The text tower's max_position_embeddings (77 when unknown): the length for tokenizers
        without a model_max_length."""
        text_config = getattr(model.config, "text_config", None)
        positions = getattr(text_config, "max_position_embeddings", None)
        return positions if isinstance(positions, int) and positions > 0 else 77

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = {}
        if batch["images"] is not None:
            pixels = self._image_processor_of(processor)(images=batch["images"], return_tensors="pt")
            encoded["pixel_values"] = pixels["pixel_values"].to(device=device, dtype=model.dtype)
        if batch["texts"] is not None:
            sigmoid = getattr(model.config, "model_type", None) in self.SIGMOID_MODEL_TYPES
            padding = "max_length" if sigmoid else True
            encoded.update(self._encode_texts(processor, batch["texts"], device, self._text_positions(model), padding))
        return {"encoded": encoded, "texts": batch["texts"]}

    def _forward(self, task, model, inputs, options):
        one_pass = options.get("normalize", True)
        return self._tower_outputs(model, inputs["encoded"], ("pixel_values",), "image", one_pass)

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result, normed = self._embedding_result(outputs, ("image_embeds", "text_embeds"), options)
        if "logits_per_image" in outputs:
            logits = outputs["logits_per_image"].float()
            sigmoid = getattr(model.config, "model_type", None) in self.SIGMOID_MODEL_TYPES
            probs = logits.sigmoid() if sigmoid else logits.softmax(dim=-1)
            pair = (normed["image_embeds"], normed["text_embeds"])
            self._zero_shot_scores(result, "logits_per_image", logits, probs, inputs["texts"], options, pair)
            result["probability"] = "sigmoid" if sigmoid else "softmax"
        return result

    def _mock_result(self, task, batch, single, options):
        images = batch["images"]
        result = self._mock_embeddings("image_embeds", None if images is None else list(range(len(images))), batch["texts"], options)
        if "probabilities" in result:
            result["probability"] = "softmax"
        return result

