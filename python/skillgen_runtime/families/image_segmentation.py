"""The image segmentation family: dense prediction (semantic segmentation, depth estimation)."""

from ..base import Skillset
from ..labels import Labels
from ..media import Images


class ImageSegmentation(Images, Labels, Skillset):
    """Dense prediction skillset: image or list of images -> a per-pixel map per image.

    Input: one image, a list of images, or {"image": image | [images]}. Images: PIL images, file
    paths, bytes, HxWxC / CxHxW arrays or tensors. Every map has the input image's own size.
    image_segmentation: "segmentation": per image a [height][width] list of label ids, from the
    processor's post_process_semantic_segmentation (logits resized to the image, argmax);
    "labels": per image the labels present, [{"label", "label_id", "fraction"}] by area.
    depth_estimation: "depth": per image a [height][width] list of floats, the model's predicted
    depth (relative inverse depth for DPT/MiDaS-style models) from the processor's
    post_process_depth_estimation; "depth_range": per image [min, max].
    "image_sizes": [height, width] per image."""

    FAMILY = "image_segmentation"
    PROCESSOR_CLASS = "AutoImageProcessor"
    HALF_PRECISION = True
    # Panoptic/instance architectures (Mask2Former, OneFormer, ...) load through this class and
    # still answer post_process_semantic_segmentation.
    UNIVERSAL_AUTO_CLASS = "AutoModelForUniversalSegmentation"

    # ---- dense prediction: load ----

    def _load_model(self, model, task, config):
        auto = getattr(self.transformers, self.AUTO_CLASSES[task])
        try:
            return auto.from_pretrained(model, config=config, **self._hub_kwargs(model))
        except ValueError:
            # "Unrecognized configuration class": not a semantic-segmentation head.
            if task != "image_segmentation":
                raise
        auto = getattr(self.transformers, self.UNIVERSAL_AUTO_CLASS)
        return auto.from_pretrained(model, config=config, **self._hub_kwargs(model))

    def _sample_input(self, task):
        return self._sample_image(48, 64)

    # ---- dense prediction: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        x, _ = self._dict_input(x, "image", ())
        images, single = self._image_batch(x)
        return images, single, {}

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = processor(images=batch, return_tensors="pt")
        return {"encoded": self._to_device(encoded, model, device), "sizes": [(image.height, image.width) for image in batch]}

    def _forward(self, task, model, inputs, options):
        return model(**inputs["encoded"])

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        # Resizing and argmax in float32 (fp16 logits on CUDA otherwise tie and drift).
        for key in ("logits", "predicted_depth", "class_queries_logits", "masks_queries_logits"):
            value = getattr(outputs, key, None)
            if value is not None and value.is_floating_point():
                outputs[key] = value.float()
        sizes = inputs["sizes"]
        result = {"image_sizes": [[h, w] for h, w in sizes], "count": len(sizes)}
        if task == "depth_estimation":
            maps = [item["predicted_depth"].float().cpu() for item in processor.post_process_depth_estimation(outputs, target_sizes=sizes)]
            result["depth"] = [m.tolist() for m in maps]
            result["depth_range"] = [[float(m.min()), float(m.max())] for m in maps]
            return result
        maps = [m.cpu() for m in processor.post_process_semantic_segmentation(outputs, target_sizes=sizes)]
        result["segmentation"] = [m.tolist() for m in maps]
        present = []
        for m in maps:
            ids, counts = m.flatten().unique(return_counts=True)
            total = float(m.numel())
            entries = [
                {"label": self._label(model, int(i)), "label_id": int(i), "fraction": int(c) / total}
                for i, c in zip(ids.tolist(), counts.tolist())
            ]
            entries.sort(key=lambda e: (-e["fraction"], e["label_id"]))
            present.append(entries)
        result["labels"] = present
        return result

    def _mock_result(self, task, batch, single, options):
        # Deterministic maps for host tests without a model; labelled MOCK by the caller.
        sizes = [(image.size[1], image.size[0]) for image in batch]
        result = {"image_sizes": [[h, w] for h, w in sizes], "count": len(batch)}
        if task == "depth_estimation":
            result["depth"] = [[[float((r + c) % 7) for c in range(w)] for r in range(h)] for h, w in sizes]
            result["depth_range"] = [[0.0, 6.0] for _ in sizes]
            return result
        result["segmentation"] = [[[(r // 8 + c // 8) % 2 for c in range(w)] for r in range(h)] for h, w in sizes]
        result["labels"] = [[{"label": "LABEL_0", "label_id": 0, "fraction": 0.5}, {"label": "LABEL_1", "label_id": 1, "fraction": 0.5}] for _ in sizes]
        return result

