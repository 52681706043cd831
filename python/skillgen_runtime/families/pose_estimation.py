"""The pose estimation family: top-down keypoint heads (MODEL_FOR_POSE_ESTIMATION: ViTPose) that
read each person box of an image, through the image processor's post_process_pose_estimation."""

from ..base import Skillset
from ..errors import SkillInputError
from ..media import Images


class PoseEstimation(Images, Skillset):
    """Pose estimation skillset: an image and its person boxes → keypoints per person.

    Input: {"image": image, "boxes": [[x, y, width, height], ...] (COCO format, input pixels),
    "threshold": t, "dataset_index": n}, or a list of such dicts. The model finds no persons: the
    boxes come from a detector (the top-down recipe of transformers' ViTPose docs). Result:
    {"poses": per image, per box {"keypoints": [[x, y]], "scores": [...], "labels": [...],
    "bbox": [...]}, "count": n}, the processor's post_process_pose_estimation (keypoints scoring
    at most `threshold` dropped when given). `dataset_index` picks the expert head of ViTPose++
    checkpoints."""

    FAMILY = "pose_estimation"
    PROCESSOR_CLASS = "AutoImageProcessor"
    OPTIONS = ("threshold", "dataset_index")

    def _sample_input(self, task):
        return {"image": self._sample_image(40, 30), "boxes": [[2.0, 3.0, 20.0, 30.0]]}

    def _one(self, item):
        if not isinstance(item, dict):
            raise SkillInputError("expected {'image': ..., 'boxes': [[x, y, width, height], ...]}; got " + type(item).__name__)
        unknown = sorted(k for k in item if k not in ("image", "boxes") + self.OPTIONS)
        if unknown or "image" not in item or "boxes" not in item:
            raise SkillInputError("a pose input needs 'image' and 'boxes' (options " + repr(self.OPTIONS) + "); got keys " + repr(sorted(item)))
        image = self._to_image(item["image"])
        boxes = item["boxes"]
        if not isinstance(boxes, (list, tuple)) or not boxes:
            raise SkillInputError("boxes must be a non-empty list of [x, y, width, height]")
        for i, box in enumerate(boxes):
            ok = isinstance(box, (list, tuple)) and len(box) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box)
            if not ok or box[2] <= 0 or box[3] <= 0:
                raise SkillInputError("box " + str(i) + " is not [x, y, width, height] with a positive size: " + repr(box))
        options = {k: item[k] for k in self.OPTIONS if k in item}
        threshold, index = options.get("threshold", 0.0), options.get("dataset_index", 0)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise SkillInputError("threshold must be a number")
        if isinstance(index, bool) or not isinstance(index, int):
            raise SkillInputError("dataset_index must be an int")
        return [(image, [[float(v) for v in box] for box in boxes])], True, options

    def _split_input(self, task, x):
        if isinstance(x, (list, tuple)):
            return self._dict_items(x, self._one, "'image' and 'boxes'")
        return self._one(x)

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = []
        for image, boxes in batch:
            inputs = self._to_device(dict(processor(image, boxes=[boxes], return_tensors="pt")), model, device)
            if "dataset_index" in options:
                inputs["dataset_index"] = self.torch.full((len(boxes),), options["dataset_index"], dtype=self.torch.long, device=device)
            encoded.append(inputs)
        return {"encoded": encoded, "boxes": [boxes for _, boxes in batch]}

    def _forward(self, task, model, inputs, options):
        return [model(**encoded) for encoded in inputs["encoded"]]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        threshold = options.get("threshold")
        poses = []
        for output, boxes in zip(outputs, inputs["boxes"]):
            (people,) = processor.post_process_pose_estimation(output, boxes=[boxes], threshold=threshold)
            poses.append([{key: person[key].tolist() for key in ("keypoints", "scores", "labels", "bbox")} for person in people])
        return {"poses": poses, "count": len(poses)}

    def _mock_result(self, task, batch, single, options):
        # No keypoints, for host tests without a model; labelled MOCK by the caller.
        return {"poses": [[] for _ in batch], "count": len(batch)}
