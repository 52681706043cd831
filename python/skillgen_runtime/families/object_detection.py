"""The object detection family: object detection (boxes, labels, scores; zero-shot with text queries)."""

from ..base import SkillInputError, Skillset
from ..labels import Labels
from ..media import Images


class ObjectDetection(Images, Labels, Skillset):
    """Object detection skillset: image or list of images -> boxes with labels and scores.

    Input: one image, a list of images, or {"image": image | [images], "threshold": t,
    "top_k": n, "labels": [str]}. Images: PIL images, file paths, bytes, HxWxC / CxHxW arrays or
    tensors. Closed-set detectors (DETR, YOLOS, ...) label boxes from the config's id2label and
    take no "labels"; zero-shot detectors (OWL-ViT, OWLv2, Grounding DINO: a config with a
    text_config) need "labels", the text queries, the same for every image.
    Output: "detections": per image a list of {"label", "label_id", "score", "box"} sorted by
    score (highest first), box = [x_min, y_min, x_max, y_max] in the input image's pixels, from
    the processor's own post-processing; only boxes scoring at least "threshold" (default 0.5,
    0.1 for zero-shot) are kept, then at most "top_k". "image_sizes": [height, width] per image."""

    FAMILY = "object_detection"
    HALF_PRECISION = True
    DEFAULT_THRESHOLD = 0.5
    ZERO_SHOT_THRESHOLD = 0.1
    OPTIONS = ("threshold", "top_k", "labels")
    SAMPLE_LABELS = ["a photo of a cat", "a photo of a dog"]
    # transformers' zero-shot detection table lists this model_type (set by the generated class,
    # whose AUTO_CLASSES then names the zero-shot Auto class); the processor follows the loaded
    # config's text_config.
    ZERO_SHOT = False

    # ---- object detection: load ----

    def _zero_shot(self, config):
        """Zero-shot (text-queried) detectors carry a text tower config."""
        return getattr(config, "text_config", None) is not None

    def _load_processor(self, model, task, config):
        if self._zero_shot(config):
            return self.transformers.AutoProcessor.from_pretrained(model, **self._hub_kwargs(model))
        return self.transformers.AutoImageProcessor.from_pretrained(model, **self._hub_kwargs(model))

    def _sample_input(self, task):
        # A small synthetic RGB image; labels only for zero-shot models.
        image = self._sample_image(64, 64)
        if self.ZERO_SHOT:
            return {"image": image, "labels": list(self.SAMPLE_LABELS)}
        return image

    # ---- object detection: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "image", self.OPTIONS)
        threshold = options.get("threshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1):
            raise SkillInputError("threshold must be a number in [0, 1], not " + repr(threshold))
        top_k = options.get("top_k")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise SkillInputError("top_k must be an integer >= 1, not " + repr(top_k))
        labels = options.get("labels")
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            if not isinstance(labels, (list, tuple)) or not labels or not all(isinstance(t, str) and t for t in labels):
                raise SkillInputError("labels must be a non-empty list of non-empty strings")
            options["labels"] = list(labels)
        images, single = self._image_batch(x)
        return images, single, options

    def _preprocess(self, task, processor, batch, options, device, model):
        labels = options.get("labels")
        if self._zero_shot(model.config):
            if not labels:
                raise SkillInputError("this is a zero-shot detector: give the text queries as {'image': ..., 'labels': [...]}")
            encoded = processor(text=[list(labels) for _ in batch], images=batch, return_tensors="pt")
        else:
            if labels:
                raise SkillInputError("this detector has a fixed label set (id2label); 'labels' is for zero-shot detectors")
            encoded = processor(images=batch, return_tensors="pt")
        sizes = [(image.height, image.width) for image in batch]
        return {"encoded": self._to_device(encoded, model, device), "sizes": sizes}

    def _forward(self, task, model, inputs, options):
        return model(**inputs["encoded"])

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        # Post-processing in float32 on the model's device (boxes from fp16 logits drift otherwise).
        for key in ("logits", "pred_boxes"):
            value = getattr(outputs, key, None)
            if value is not None and value.is_floating_point():
                outputs[key] = value.float()
        zero_shot = self._zero_shot(model.config)
        threshold = options.get("threshold")
        if threshold is None:
            threshold = self.ZERO_SHOT_THRESHOLD if zero_shot else self.DEFAULT_THRESHOLD
        sizes = inputs["sizes"]
        labels = options.get("labels")
        if zero_shot:
            results = processor.post_process_grounded_object_detection(
                outputs, threshold=float(threshold), target_sizes=sizes, text_labels=[list(labels) for _ in sizes],
            )
            names = list(labels)
        else:
            results = processor.post_process_object_detection(outputs, threshold=float(threshold), target_sizes=sizes)
            names = None
        detections = []
        for result in results:
            scores = result["scores"].float().cpu()
            order = scores.argsort(descending=True, stable=True).tolist()
            if options.get("top_k"):
                order = order[: options["top_k"]]
            boxes = result["boxes"].float().cpu().tolist()
            ids = result["labels"].cpu().tolist()
            score_list = scores.tolist()
            found = []
            for i in order:
                label_id = int(ids[i])
                if names is not None:
                    label = names[label_id] if 0 <= label_id < len(names) else "LABEL_" + str(label_id)
                else:
                    label = self._label(model, label_id)
                found.append({"label": label, "label_id": label_id, "score": score_list[i], "box": boxes[i]})
            detections.append(found)
        return {
            "detections": detections,
            "image_sizes": [[h, w] for h, w in sizes],
            "threshold": float(threshold),
            "count": len(detections),
        }

    def _mock_result(self, task, batch, single, options):
        # Deterministic detections for host tests without a model; labelled MOCK by the caller.
        labels = options.get("labels") or ["LABEL_0", "LABEL_1"]
        detections = []
        for image in batch:
            w, h = image.size
            detections.append([
                {"label": labels[j % len(labels)], "label_id": j % len(labels), "score": 0.9 - 0.1 * j,
                 "box": [float(j), float(j), float(max(j + 1, w // 2)), float(max(j + 1, h // 2))]}
                for j in range(2)
            ])
        return {
            "detections": detections,
            "image_sizes": [[image.size[1], image.size[0]] for image in batch],
            "threshold": float(options.get("threshold") or self.DEFAULT_THRESHOLD),
            "count": len(batch),
        }

