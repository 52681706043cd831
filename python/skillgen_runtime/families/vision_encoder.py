"""The vision encoder family: vision encoder (image classification, image embeddings)."""

from ..base import SkillInputError, Skillset
from ..labels import Labels
from ..media import Images


class VisionEncoder(Images, Labels, Skillset):
    """Vision encoder skillset: image or list of images -> labels or embeddings.

    Input: one image, a list of images, or {"image": image | [images], "top_k": n,
    "pooling": "auto" | "pooler" | "cls" | "mean", "normalize": bool}. Images: PIL images,
    file paths, bytes, HxWxC / CxHxW arrays or tensors (an NxHxWxC array is a batch).
    image_classification (a model with an image-classification head): "logits" [n, classes] and
    "predictions": per image the top_k (default 5) labels from id2label with softmax scores
    (sigmoid for multi-label configs).
    image_embedding (a backbone without a head, e.g. Dinov2Model, ViTModel, ResNetModel):
    "embeddings" [n, dim]. pooling "auto" takes the model's pooler_output when it has one
    (Dinov2: the layer-normed CLS token; ResNet: global average pool; ViT: its tanh pooler),
    otherwise the mean of last_hidden_state over tokens (over H and W for feature maps);
    "cls" takes last_hidden_state[:, 0] and "mean" the token mean. "normalize": True
    L2-normalises the rows."""

    FAMILY = "vision_encoder"
    PROCESSOR_CLASS = "AutoImageProcessor"
    LABEL_IDS = True
    HALF_PRECISION = True
    OPTIONS = ("top_k", "pooling", "normalize")
    POOLINGS = ("auto", "pooler", "cls", "mean")

    # ---- vision encoder: load ----

    def _sample_input(self, task):
        return self._sample_image(64, 64)

    # ---- vision encoder: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "image", self.OPTIONS)
        self._check_top_k(options)
        if options.get("pooling", "auto") not in self.POOLINGS:
            raise SkillInputError("pooling must be one of " + repr(self.POOLINGS) + ", not " + repr(options.get("pooling")))
        if not isinstance(options.get("normalize", False), bool):
            raise SkillInputError("normalize must be true or false, not " + repr(options["normalize"]))
        images, single = self._image_batch(x)
        return images, single, options

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = processor(images=batch, return_tensors="pt")
        return self._to_device(encoded, model, device)

    def _forward(self, task, model, inputs, options):
        return model(**inputs)

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        if task == "image_classification":
            return self._classification_result(model, outputs.logits, options)
        embeddings = self._pool(outputs, options.get("pooling", "auto")).float()
        if options.get("normalize"):
            embeddings = self.torch.nn.functional.normalize(embeddings, p=2, dim=1)
        return {"embeddings": embeddings.cpu(), "dimensions": int(embeddings.shape[-1]), "count": int(embeddings.shape[0])}

    def _pool(self, outputs, pooling):
        pooled = getattr(outputs, "pooler_output", None)
        if pooling in ("auto", "pooler") and pooled is not None:
            return pooled.reshape(pooled.shape[0], -1)
        if pooling == "pooler":
            raise SkillInputError("this model has no pooler output; use pooling 'cls' or 'mean'")
        hidden = outputs.last_hidden_state
        if hidden.dim() == 4:
            # A convolutional feature map [n, channels, h, w]: no tokens, so no CLS.
            if pooling == "cls":
                raise SkillInputError("this model returns feature maps; pooling 'cls' needs tokens")
            return hidden.mean(dim=(2, 3))
        if pooling == "cls":
            return hidden[:, 0]
        return hidden.mean(dim=1)

    def _mock_result(self, task, batch, single, options):
        # Deterministic values for host tests without a model; labelled MOCK by the caller.
        sizes = [image.size[0] * 31 + image.size[1] for image in batch]
        if task == "image_classification":
            k = min(int(options.get("top_k", 5)), 5)
            return {
                "predictions": [
                    [{"label": "LABEL_" + str((s + j) % 10), "label_id": (s + j) % 10, "score": 1.0 / (j + 2)} for j in range(k)]
                    for s in sizes
                ],
                "count": len(batch),
            }
        dims = int(self.metadata.get("mock_dimensions", 32))
        rows = [[((s + 7 * j) % 17) / 17.0 for j in range(dims)] for s in sizes]
        return {"embeddings": rows, "dimensions": dims, "count": len(batch)}

