"""The image matting family: alpha matting heads guided by a trimap (MODEL_FOR_IMAGE_MATTING:
ViTMatte)."""

from ..base import Skillset
from ..errors import SkillInputError
from ..media import Images


class ImageMatting(Images, Skillset):
    """Image matting skillset: an image and its trimap → the foreground's alpha matte.

    Input: {"image": image, "trimap": trimap} or a list of such dicts. The trimap has the image's
    size and marks background 0, unknown 128 and foreground 255: a grayscale PIL image, path or
    bytes, or a 2-D array (floats in [0, 1] are scaled to 0..255); a colour image is converted to
    grayscale. Each pair runs alone (the processor pads to a multiple of 32). Result: {"alphas":
    per image a [height][width] list of alpha values in [0, 1], the model's alphas with the padding
    cut off, "sizes": [[width, height]], "count": n}."""

    FAMILY = "image_matting"
    PROCESSOR_CLASS = "AutoImageProcessor"

    def _sample_input(self, task):
        np = self.np
        if np is None:
            import numpy as np
        trimap = np.zeros((24, 20), dtype=np.uint8)
        trimap[4:20, 4:16] = 128
        trimap[8:16, 8:12] = 255
        return {"image": self._sample_image(24, 20), "trimap": trimap}

    def _to_trimap(self, x, size):
        if hasattr(x, "shape") and len(x.shape) == 2:
            import numpy as np
            from PIL import Image

            array = np.asarray(x.detach().cpu().float() if hasattr(x, "detach") else x)
            if array.dtype != np.uint8:
                scale = 255.0 if array.size and float(array.max()) <= 1.0 else 1.0
                array = (array.astype(np.float32) * scale).round().clip(0, 255).astype(np.uint8)
            trimap = Image.fromarray(array)
        elif hasattr(x, "convert"):
            trimap = x.convert("L")
        else:
            trimap = self._to_image(x).convert("L")
        if trimap.size != size:
            raise SkillInputError("the trimap is " + repr(list(trimap.size)) + " (width, height), the image " + repr(list(size)))
        return trimap

    def _one(self, item):
        if not isinstance(item, dict):
            raise SkillInputError("expected {'image': ..., 'trimap': ...}; got " + type(item).__name__)
        if set(item) != {"image", "trimap"}:
            raise SkillInputError("a matting input has exactly the keys 'image' and 'trimap'; got " + repr(sorted(item)))
        image = self._to_image(item["image"])
        return [(image, self._to_trimap(item["trimap"], image.size))], True, {}

    def _split_input(self, task, x):
        if isinstance(x, (list, tuple)):
            return self._dict_items(x, self._one, "'image' and 'trimap'")
        return self._one(x)

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = [self._to_device(dict(processor(images=image, trimaps=trimap, return_tensors="pt")), model, device) for image, trimap in batch]
        return {"encoded": encoded, "sizes": [image.size for image, _ in batch]}

    def _forward(self, task, model, inputs, options):
        return [model(**encoded).alphas for encoded in inputs["encoded"]]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        alphas = [alpha[0, 0, :height, :width].float().cpu().tolist() for alpha, (width, height) in zip(outputs, inputs["sizes"])]
        return {"alphas": alphas, "sizes": [list(size) for size in inputs["sizes"]], "count": len(alphas)}

    def _mock_result(self, task, batch, single, options):
        # The trimaps scaled to [0, 1], for host tests without a model; labelled MOCK by the caller.
        import numpy as np

        alphas = [(np.asarray(trimap, dtype=np.float32) / 255.0).tolist() for _, trimap in batch]
        return {"alphas": alphas, "sizes": [list(image.size) for image, _ in batch], "count": len(batch)}
