"""The image to image family: super-resolution heads (Swin2SRForImageSuperResolution)."""

from ..base import Skillset
from ..media import Images


class ImageToImage(Images, Skillset):
    """Image-to-image skillset: image(s) → the model's reconstruction as RGB images.

    Input: an image or a list of them (PIL image, path, bytes, HxWxC array or tensor), or
    {"image": ...}. Each image runs alone (the processor pads it to the model's window multiple).
    The output follows transformers 4's image-to-image pipeline (removed in transformers 5, the
    heads kept): reconstruction clamped to [0, 1], scaled to uint8, then cropped to the input's size
    times the upscale factor (the pipeline kept the padding). Result: {"images": [PIL RGB image],
    "sizes": [[width, height]], "upscale": n, "count": n}."""

    FAMILY = "image_to_image"
    PROCESSOR_CLASS = "AutoImageProcessor"

    def _sample_input(self, task):
        return self._sample_image(12, 10)

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "image", allowed=())
        images, single = self._image_batch(x)
        return images, single, options

    def _preprocess(self, task, processor, images, options, device, model):
        encoded = [self._to_device(dict(processor(images=image, return_tensors="pt")), model, device) for image in images]
        return {"encoded": encoded, "sizes": [image.size for image in images]}

    def _forward(self, task, model, inputs, options):
        return [model(**encoded).reconstruction for encoded in inputs["encoded"]]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        from PIL import Image

        scale = int(getattr(model.config, "upscale", 1) or 1)
        images, sizes = [], []
        for (width, height), output in zip(inputs["sizes"], outputs):
            array = output[0].float().cpu().clamp(0, 1).permute(1, 2, 0).numpy()
            array = (array * 255.0).round().astype("uint8")[: height * scale, : width * scale]
            images.append(Image.fromarray(array))
            sizes.append([int(array.shape[1]), int(array.shape[0])])
        return {"images": images, "sizes": sizes, "upscale": scale, "count": len(images)}

    def _mock_result(self, task, images, single, options):
        # The input images, unchanged, for host tests without a model; labelled MOCK by the caller.
        return {"images": list(images), "sizes": [list(image.size) for image in images], "upscale": 1, "count": len(images)}
