"""The text recognition family: cropped-text-line OCR heads (MODEL_FOR_TEXT_RECOGNITION: PP-OCR
*_rec) and table structure recognition (MODEL_FOR_TABLE_RECOGNITION: SLANet, SLANeXt)."""

from ..base import Skillset
from ..media import Images


class TextRecognition(Images, Skillset):
    """Text recognition skillset: image(s) of one text line → the text read in each.

    Input: an image or a list of them (PIL image, path, bytes, HxWxC array or tensor), or
    {"image": ...}. Each image runs alone: the processor resizes a batch to its widest image's
    aspect ratio, so a line's text would otherwise depend on the other images in the batch. The
    output is the image processor's own post_process_text_recognition (greedy CTC decode over its
    character list): {"text": [str], "scores": [mean character confidence, None when no character
    was read], "count": n}.

    table_recognition: the same image input (a cropped table) → the processor's
    post_process_table_recognition per image: {"structure": [HTML structure tokens, wrapped in
    <html><body><table>], "html": the tokens joined, "structure_score": mean token confidence,
    "count": n} (cell text is not read: that is the OCR models' part)."""

    FAMILY = "text_recognition"
    PROCESSOR_CLASS = "AutoImageProcessor"

    def _sample_input(self, task):
        return self._sample_image(24, 96)

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "image", allowed=())
        images, single = self._image_batch(x)
        return images, single, options

    def _preprocess(self, task, processor, images, options, device, model):
        return [self._to_device(dict(processor(images=image, return_tensors="pt")), model, device) for image in images]

    def _forward(self, task, model, inputs, options):
        return [model(**encoded) for encoded in inputs]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        import math

        if task == "table_recognition":
            tables = [processor.post_process_table_recognition(output) for output in outputs]
            return {
                "structure": [table["structure"] for table in tables],
                "html": ["".join(table["structure"]) for table in tables],
                "structure_score": [float(table["structure_score"]) for table in tables],
                "count": len(tables),
            }
        texts, scores = [], []
        for output in outputs:
            (read,) = processor.post_process_text_recognition(output)
            texts.append(read["text"])
            score = float(read["score"])
            # The mean over no characters is NaN: no confidence to report, not a number.
            scores.append(None if math.isnan(score) else score)
        return {"text": texts, "scores": scores, "count": len(texts)}

    def _mock_result(self, task, images, single, options):
        # Empty readings for host tests without a model; labelled MOCK by the caller.
        if task == "table_recognition":
            empty = ["<html>", "<body>", "<table>", "</table>", "</body>", "</html>"]
            return {"structure": [list(empty) for _ in images], "html": ["".join(empty)] * len(images), "structure_score": [None] * len(images), "count": len(images)}
        return {"text": [""] * len(images), "scores": [None] * len(images), "count": len(images)}
