"""Class labels shared by the classification heads (text, audio, image, video) and the
detectors/segmenters: names from the config's id2label, the top_k option, top-k labels per row."""

from .base import SkillInputError


class Labels:
    """Mixin: label names, the top_k check, top-k classification results."""

    # Adds each label's id as "label_id" to the top-k results (the vision encoder's format).
    LABEL_IDS = False


    # ---- labels (blocks/labels.py) ----

    def _label(self, model, i):
        """The class name of id i from config.id2label ("LABEL_<i>" when it has none)."""
        id2label = getattr(model.config, "id2label", None) or {}
        return str(id2label.get(i, "LABEL_" + str(i)))

    def _labels(self, model, count):
        return [self._label(model, i) for i in range(count)]



    def _check_top_k(self, options):
        top_k = options.get("top_k", 5)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise SkillInputError("top_k must be an integer >= 1, not " + repr(top_k))



    def _classify(self, model, logits, top_k):
        logits = logits.float()
        if getattr(model.config, "problem_type", None) == "multi_label_classification":
            probs = logits.sigmoid()
        else:
            probs = logits.softmax(dim=-1)
        labels = self._labels(model, probs.shape[-1])
        k = min(top_k, probs.shape[-1])
        out = []
        for row in probs:
            scores, ids = row.topk(k)
            if self.LABEL_IDS:
                out.append([{"label": labels[i], "label_id": i, "score": s} for s, i in zip(scores.tolist(), ids.tolist())])
            else:
                out.append([{"label": labels[i], "score": s} for s, i in zip(scores.tolist(), ids.tolist())])
        return out

    def _classification_result(self, model, logits, options):
        """A classification head's result: logits, top_k labels per row, and the row count."""
        logits = logits.float()
        predictions = self._classify(model, logits, int(options.get("top_k", 5)))
        return {"logits": logits.cpu(), "predictions": predictions, "count": len(predictions)}

    def _mock_classification(self, count, options):
        # Deterministic top-k labels for host tests without a model; labelled MOCK by the caller.
        k = int(options.get("top_k", 5))
        predictions = [[{"label": "MOCK_" + str(j), "score": 1.0 / (j + 1)} for j in range(k)] for _ in range(count)]
        return {"predictions": predictions, "count": count}


