"""The mask generation family: promptable segmentation (SAM): image + points / boxes → masks."""

from ..base import SkillInputError, Skillset
from ..media import Images

OPTIONS = ("points", "labels", "boxes", "multimask_output", "mask_threshold")


class MaskGeneration(Images, Skillset):
    """Mask-generation skillset (SamModel and its Auto table): one image with prompts → masks.

    Input: {"image": ..., "points": [[x, y], ...] (one prompt of all points), "labels": [1 | 0,
    ...] (1 foreground, 0 background; default all 1), "boxes": [[x0, y0, x1, y1], ...] (one prompt
    per box; with points, one box), "multimask_output": bool (True: 3 masks per prompt),
    "mask_threshold": float (0.0)}, or a list of such dicts. Coordinates are input-image pixels.
    Output per image (the processor's own post_process_masks, as SAM's documented use):
    "masks" [prompts, masks, height, width] bool at the image's size, "scores" [prompts, masks]
    (predicted IoU). No automatic whole-image grid (transformers' mask-generation pipeline): give
    points or boxes."""

    FAMILY = "mask_generation"
    PROCESSOR_CLASS = "AutoProcessor"

    def _sample_input(self, task):
        return {"image": self._sample_image(), "points": [[8, 8]]}

    def _split_input(self, task, x):
        items = x if isinstance(x, (list, tuple)) else [x]
        if not items:
            raise SkillInputError("the input list is empty")
        batch, options = [], {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise SkillInputError("input " + str(i) + " is " + type(item).__name__ + "; mask_generation takes {'image': ..., 'points' or 'boxes': ...}")
            image, prompt = self._dict_input(item, "image", allowed=OPTIONS)
            images, _ = self._image_batch(image)
            if len(images) != 1:
                raise SkillInputError("one image per dict (a list of dicts for several)")
            batch.append((images[0], self._prompt(prompt, images[0].size)))
        return batch, not isinstance(x, (list, tuple)), options

    def _numbers(self, value, width, what):
        if not isinstance(value, (list, tuple)) or not value:
            raise SkillInputError(what + " must be a non-empty list of " + str(width) + "-number lists")
        for row in value:
            if not isinstance(row, (list, tuple)) or len(row) != width or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row):
                raise SkillInputError(what + " must be a non-empty list of " + str(width) + "-number lists, got " + repr(row))
        return [[float(v) for v in row] for row in value]

    def _prompt(self, options, size):
        if "points" not in options and "boxes" not in options:
            raise SkillInputError("mask_generation needs 'points' or 'boxes' (no automatic grid)")
        prompt = {}
        if "points" in options:
            prompt["points"] = self._numbers(options["points"], 2, "points")
            labels = options.get("labels", [1] * len(prompt["points"]))
            if not isinstance(labels, (list, tuple)) or len(labels) != len(prompt["points"]) or not all(v in (0, 1) and not isinstance(v, bool) for v in labels):
                raise SkillInputError("labels must be one 0/1 per point")
            prompt["labels"] = [int(v) for v in labels]
        elif "labels" in options:
            raise SkillInputError("labels go with points")
        if "boxes" in options:
            prompt["boxes"] = self._numbers(options["boxes"], 4, "boxes")
            if any(b[0] > b[2] or b[1] > b[3] for b in prompt["boxes"]):
                raise SkillInputError("boxes are [x_min, y_min, x_max, y_max]")
            if "points" in prompt and len(prompt["boxes"]) != 1:
                raise SkillInputError("with points, give one box (one prompt)")
        multimask = options.get("multimask_output", True)
        if not isinstance(multimask, bool):
            raise SkillInputError("multimask_output must be a bool")
        threshold = options.get("mask_threshold", 0.0)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise SkillInputError("mask_threshold must be a number")
        prompt["multimask_output"], prompt["mask_threshold"] = multimask, float(threshold)
        return prompt

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = []
        for image, prompt in batch:
            kwargs = {}
            if "points" in prompt:
                kwargs["input_points"] = [[prompt["points"]]]
                kwargs["input_labels"] = [[prompt["labels"]]]
            if "boxes" in prompt:
                kwargs["input_boxes"] = [prompt["boxes"]]
            enc = processor(images=image, return_tensors="pt", **kwargs)
            sizes = (enc.pop("original_sizes"), enc.pop("reshaped_input_sizes"))
            encoded.append((self._to_device(dict(enc), model, device), sizes, prompt))
        return {"encoded": encoded}

    def _forward(self, task, model, inputs, options):
        return [model(**enc, multimask_output=prompt["multimask_output"]) for enc, _, prompt in inputs["encoded"]]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        image_processor = getattr(processor, "image_processor", processor)
        masks, scores = [], []
        for (_, (original, reshaped), prompt), out in zip(inputs["encoded"], outputs):
            post = image_processor.post_process_masks(out.pred_masks.float().cpu(), original, reshaped, mask_threshold=prompt["mask_threshold"])
            masks.append(post[0])
            scores.append(out.iou_scores[0].float().cpu())
        return {"masks": masks, "scores": scores, "count": len(masks)}

    def _mock_result(self, task, batch, single, options):
        # An empty mask per prompt for host tests without a model; labelled MOCK by the caller.
        masks = [[[[[False] * image.size[0]] * image.size[1]]] for image, _ in batch]
        return {"masks": masks, "scores": [[[0.0]] for _ in batch], "count": len(batch)}
