"""Visual question answering input, shared by the classifier heads (vilt: families/
visual_question_answering.py) and the generative ones (blip: families/image_to_text.py):
{"image": ..., "question": str} (a str question asked of every image of a list, or a list of
questions as long as the images), or a list of such dicts; option top_k (classifier heads)."""

from .errors import SkillInputError

VQA_OPTIONS = ("top_k", "max_new_tokens", "num_beams", "do_sample", "temperature", "top_p")


class VisualQuestions:
    """Mixin: (image, question) pairs from the handler's input."""

    def _split_vqa(self, x):
        if isinstance(x, (list, tuple)):
            return self._dict_items(x, self._split_vqa, "'image' and 'question'")
        if not isinstance(x, dict):
            raise SkillInputError("visual_question_answering takes {'image': ..., 'question': str} (or a list of them); got " + type(x).__name__)
        unknown = sorted(k for k in x if k not in ("image", "question") + VQA_OPTIONS)
        if unknown:
            raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr(("image", "question") + VQA_OPTIONS))
        for key in ("image", "question"):
            if key not in x or x[key] is None:
                raise SkillInputError("visual_question_answering needs '" + key + "'")
        images, single = self._image_batch(x["image"])
        question = x["question"]
        questions = [question] * len(images) if isinstance(question, str) else question
        if not isinstance(questions, (list, tuple)) or len(questions) != len(images):
            raise SkillInputError("'question' must be a str, or a list as long as the images")
        for q in questions:
            if not isinstance(q, str) or not q.strip():
                raise SkillInputError("each question must be a non-empty str")
        options = {k: v for k, v in x.items() if k in VQA_OPTIONS}
        return list(zip(images, questions)), single, options

    def _vqa_sample(self):
        return {"image": self._sample_image(), "question": "What is in the picture?"}
