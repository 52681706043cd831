"""The keypoints family: keypoint detection (SuperPoint) and keypoint matching between two images
(SuperGlue, LightGlue, EfficientLoFTR), through the image processor's own post-processing."""

from ..base import Skillset
from ..errors import SkillInputError
from ..media import Images


class Keypoints(Images, Skillset):
    """Keypoint skillset.

    keypoint_detection: an image or a list of them (PIL image, path, bytes, HxWxC array or tensor),
    or {"image": ...} → per image `keypoints` ([x, y] in input-image pixels), `scores` and
    `descriptors`, the processor's post_process_keypoint_detection at each image's own size.

    keypoint_matching: a pair [image0, image1], a list of pairs, or {"images": pair or list of
    pairs, "threshold": t} → `matches`: per pair the matched keypoints {"keypoint_image_0": {x, y},
    "keypoint_image_1": {x, y}, "score"} sorted by score, as transformers' keypoint-matching
    pipeline (matches scoring at most `threshold`, default 0, dropped). Each pair runs alone, and
    keypoints are scaled back with each image's (height, width), as post_process_keypoint_matching
    documents (the pipeline passes PIL's (width, height), which swaps the axes of non-square images)."""

    FAMILY = "keypoints"
    PROCESSOR_CLASS = "AutoImageProcessor"

    def _sample_input(self, task):
        if task == "keypoint_matching":
            return [self._sample_image(32, 32), self._sample_image(32, 32, factor=5)]
        return self._sample_image(32, 32)

    def _split_input(self, task, x):
        if task != "keypoint_matching":
            x, options = self._dict_input(x, "image", allowed=())
            images, single = self._image_batch(x)
            return images, single, options
        x, options = self._dict_input(x, "images", allowed=("threshold",))
        threshold = options.get("threshold", 0.0)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise SkillInputError("threshold must be a number; got " + type(threshold).__name__)
        options["threshold"] = float(threshold)
        if not isinstance(x, (list, tuple)) or not x:
            raise SkillInputError("expected a pair of images [image0, image1] or a list of pairs")
        single = len(x) == 2 and not any(isinstance(item, (list, tuple)) for item in x)
        pairs = [x] if single else list(x)
        decoded = []
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise SkillInputError("pair " + str(i) + " is not a pair of images [image0, image1]")
            decoded.append([self._to_image(image, 2 * i + j) for j, image in enumerate(pair)])
        return decoded, single, options

    def _preprocess(self, task, processor, batch, options, device, model):
        if task == "keypoint_matching":
            encoded = [self._to_device(dict(processor(images=pair, return_tensors="pt")), model, device) for pair in batch]
            sizes = [[(image.height, image.width) for image in pair] for pair in batch]
        else:
            encoded = [self._to_device(dict(processor(images=batch, return_tensors="pt")), model, device)]
            sizes = [(image.height, image.width) for image in batch]
        return {"encoded": encoded, "sizes": sizes}

    def _forward(self, task, model, inputs, options):
        return [model(**encoded) for encoded in inputs["encoded"]]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        if task == "keypoint_matching":
            matches = []
            for output, sizes in zip(outputs, inputs["sizes"]):
                (pair,) = processor.post_process_keypoint_matching(output, target_sizes=[sizes], threshold=options["threshold"])
                found = [
                    {
                        "keypoint_image_0": {"x": int(k0[0]), "y": int(k0[1])},
                        "keypoint_image_1": {"x": int(k1[0]), "y": int(k1[1])},
                        "score": float(score),
                    }
                    for k0, k1, score in zip(pair["keypoints0"], pair["keypoints1"], pair["matching_scores"])
                ]
                matches.append(sorted(found, key=lambda match: match["score"], reverse=True))
            return {"matches": matches, "count": len(matches)}
        detected = processor.post_process_keypoint_detection(outputs[0], inputs["sizes"])
        return {
            "keypoints": [item["keypoints"].tolist() for item in detected],
            "scores": [item["scores"].tolist() for item in detected],
            "descriptors": [item["descriptors"].tolist() for item in detected],
            "count": len(detected),
        }

    def _mock_result(self, task, batch, single, options):
        # No keypoints, for host tests without a model; labelled MOCK by the caller.
        if task == "keypoint_matching":
            return {"matches": [[] for _ in batch], "count": len(batch)}
        empty = [[] for _ in batch]
        return {"keypoints": empty, "scores": list(empty), "descriptors": list(empty), "count": len(batch)}
