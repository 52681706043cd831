"""The visual question answering family: classifier heads over a fixed answer vocabulary (vilt)."""

from ..base import Skillset
from ..labels import Labels
from ..media import Images
from ..vqa import VisualQuestions


class VisualQuestionAnswering(VisualQuestions, Labels, Images, Skillset):
    """VQA skillset for answer-classifier heads (ViltForQuestionAnswering): {"image", "question"}
    (or a list of them) → per pair the top_k answers from id2label with sigmoid scores, as
    transformers 4's visual-question-answering pipeline (removed in transformers 5) returned them."""

    FAMILY = "visual_question_answering"
    PROCESSOR_CLASS = "AutoProcessor"
    HALF_PRECISION = True

    def _sample_input(self, task):
        return self._vqa_sample()

    def _split_input(self, task, x):
        pairs, single, options = self._split_vqa(x)
        self._check_top_k(options)
        return pairs, single, options

    def _preprocess(self, task, processor, pairs, options, device, model):
        images = [image for image, _ in pairs]
        questions = [question for _, question in pairs]
        encoded = processor(images=images, text=questions, padding=True, truncation=True, return_tensors="pt")
        return {"encoded": self._to_device(dict(encoded), model, device)}

    def _forward(self, task, model, inputs, options):
        return model(**inputs["encoded"])

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        probs = outputs.logits.float().sigmoid().cpu()
        k = min(int(options.get("top_k", 5)), probs.shape[-1])
        answers = []
        for row in probs:
            scores, ids = row.topk(k)
            answers.append([{"answer": self._label(model, i), "score": s} for s, i in zip(scores.tolist(), ids.tolist())])
        return {"answers": answers, "count": len(answers)}

    def _mock_result(self, task, pairs, single, options):
        # Deterministic answers for host tests without a model; labelled MOCK by the caller.
        k = int(options.get("top_k", 5))
        answers = [[{"answer": "MOCK_" + str(j), "score": 1.0 / (j + 1)} for j in range(k)] for _ in pairs]
        return {"answers": answers, "count": len(answers)}
