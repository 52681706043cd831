"""The document retrieval family: ColPali-style late-interaction retrievers (MODEL_FOR_RETRIEVAL:
colpali, colmodernvbert; colqwen2), multi-vector embeddings of page images and of queries."""

from ..base import SkillInputError, Skillset
from ..media import Images


class DocumentRetrieval(Images, Skillset):
    """Visual document retrieval skillset: page images and/or text queries -> multi-vector
    embeddings and late-interaction scores.

    Input: a query string or a list of them; an image or a list of images (an image given as a
    path goes in the dict form: a bare string is a query); or {"images": image | [images],
    "queries": str | [str]} (either or both). The processor's own `process_images` /
    `process_queries` prepare each side, the model's forward gives `embeddings` (L2-normalised,
    padding rows zeroed by the model). Result: "image_embeddings" / "query_embeddings": per input a
    [tokens, dim] tensor (its attention-masked rows); with both sides, "scores" [queries][images],
    the processor's `score_retrieval` (sum over query tokens of the max dot product over image
    tokens) on the model's embeddings, as the model docs compute it."""

    FAMILY = "document_retrieval"
    PROCESSOR_CLASS = "AutoProcessor"

    def _sample_input(self, task):
        return {"images": self._sample_image(32, 32), "queries": "a sample query"}

    def _queries(self, x):
        queries = [x] if isinstance(x, str) else x
        if not isinstance(queries, (list, tuple)) or not queries or not all(isinstance(q, str) and q for q in queries):
            raise SkillInputError("queries must be a non-empty string or a list of them")
        return list(queries)

    def _split_input(self, task, x):
        if isinstance(x, dict):
            unknown = sorted(k for k in x if k not in ("images", "queries"))
            if unknown or not x:
                raise SkillInputError("a dict input has 'images' and/or 'queries'; got " + repr(sorted(x)))
            images = self._image_batch(x["images"])[0] if "images" in x else []
            queries = self._queries(x["queries"]) if "queries" in x else []
            single = False
        elif isinstance(x, str) or (isinstance(x, (list, tuple)) and x and all(isinstance(q, str) for q in x)):
            images, queries, single = [], self._queries(x), isinstance(x, str)
        else:
            images, single = self._image_batch(x)
            queries = []
        return [{"images": images, "queries": queries}], single, {}

    def _preprocess(self, task, processor, batch, options, device, model):
        item = batch[0]
        encoded = {}
        if item["images"]:
            encoded["images"] = self._to_device(processor.process_images(images=item["images"]), model, device)
        if item["queries"]:
            encoded["queries"] = self._to_device(processor.process_queries(text=item["queries"]), model, device)
        return encoded

    def _forward(self, task, model, inputs, options):
        return {side: model(**encoded).embeddings for side, encoded in inputs.items()}

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result = {}
        for side, embeddings in outputs.items():
            mask = inputs[side].get("attention_mask")
            rows = embeddings if mask is None else [row[keep] for row, keep in zip(embeddings, mask.bool())]
            result[{"images": "image_embeddings", "queries": "query_embeddings"}[side]] = [row.float().cpu() for row in rows]
        if len(outputs) == 2:
            result["scores"] = processor.score_retrieval(outputs["queries"], outputs["images"]).float().cpu()
        return result

    def _mock_result(self, task, batch, single, options):
        # One zero vector per input and zero scores, for host tests without a model; labelled MOCK by the caller.
        import numpy as np

        item = batch[0]
        result = {}
        if item["images"]:
            result["image_embeddings"] = [np.zeros((1, 4), dtype=np.float32) for _ in item["images"]]
        if item["queries"]:
            result["query_embeddings"] = [np.zeros((1, 4), dtype=np.float32) for _ in item["queries"]]
        if item["images"] and item["queries"]:
            result["scores"] = np.zeros((len(item["queries"]), len(item["images"])), dtype=np.float32).tolist()
        return result
