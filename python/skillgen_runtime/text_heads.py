"""Two text-encoder heads whose answer is not a per-token or per-text label: extractive question
answering (`*ForQuestionAnswering`: a span of the context) and zero-shot classification (an NLI
sequence classifier scoring "This example is {label}." against the text).

Extractive QA follows the algorithm of transformers 4's question-answering pipeline (removed in
transformers 5, the heads kept): question and context tokenized as a pair, long contexts split
into overlapping windows (stride), softmax over the context tokens (and CLS) of the start and end
logits, the best span with start <= end < start + max_answer_len, score = p_start * p_end, the
answer the context's characters between the span's token offsets. Zero-shot classification
follows transformers' zero-shot-classification pipeline."""

from .errors import SkillInputError
from .media import Images

DOCUMENT_QA = "document_question_answering"
QA_OPTIONS = ("top_k", "max_answer_len", "max_seq_len", "doc_stride", "handle_impossible_answer")
OCR_OPTIONS = ("lang", "tesseract_config")
ZERO_SHOT_OPTIONS = ("candidate_labels", "multi_label", "hypothesis_template")


def _positive_int(options, name, default):
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SkillInputError(name + " must be an integer >= 1, not " + repr(value))
    return value


class TextHeads:
    """Mixin for the text encoder family: question_answering and zero_shot_classification."""

    NLI_LABEL_PREFIX = "entail"

    def _load_processor(self, model, task, config):
        architectures = list(getattr(config, "architectures", None) or ())
        if task == DOCUMENT_QA and not any(self.HEAD_TASKS.get(a) == DOCUMENT_QA for a in architectures):
            # A base checkpoint (layoutlmv3's default task is this one) would answer from random weights.
            raise ValueError(repr(model) + " has no document question answering head (architectures " + repr(architectures) + "): loading it for document_question_answering would add an untrained QA head")
        processor = super()._load_processor(model, task, config)
        takes_boxes = "bbox" in getattr(processor, "model_input_names", ())
        if takes_boxes and task != DOCUMENT_QA:
            # Its other heads would get text alone: a clear refusal, not an answer without the page.
            raise ValueError(repr(model) + "'s tokenizer takes the words' boxes with the words, which only document_question_answering passes; " + task + " is not served for it")
        if takes_boxes:
            # LayoutLMv3: the tokenizer takes the words' boxes itself and the model the page image,
            # so the processor pairing it with the image processor is loaded (OCR off at each call).
            processor = self.transformers.AutoProcessor.from_pretrained(model, **self._hub_kwargs(model))
            if getattr(processor, "tokenizer", None) is None or getattr(processor, "image_processor", None) is None:
                raise ValueError(repr(model) + " has no image processor + tokenizer pair for document_question_answering (AutoProcessor gave " + type(processor).__name__ + ")")
        return processor

    def _head_task(self, task, config):
        # An NLI-trained sequence classifier (an "entailment" label, transformers' own test)
        # serves zero-shot classification, as data/detection.toml's nli_task says at generation.
        if task == "text_classification" and "zero_shot_classification" in self.TASKS and self._entailment_id(config) is not None:
            return "zero_shot_classification"
        return task

    def _entailment_id(self, config):
        for label, index in (getattr(config, "label2id", None) or {}).items():
            if str(label).lower().startswith(self.NLI_LABEL_PREFIX):
                return int(index)
        return None

    # ---- question answering ----

    def _split_qa(self, x):
        """{"question", "context"} (each a str, or lists of equal length; a str question is asked
        of every context), or a list of such dicts → ([(question, context)], single, options)."""
        if isinstance(x, (list, tuple)):
            return self._dict_items(x, self._split_qa, "'question' and 'context'")
        if not isinstance(x, dict):
            raise SkillInputError("question_answering takes {'question': str, 'context': str} (or lists of them); got " + type(x).__name__)
        unknown = sorted(k for k in x if k not in ("question", "context") + QA_OPTIONS)
        if unknown:
            raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr(("question", "context") + QA_OPTIONS))
        for key in ("question", "context"):
            if key not in x:
                raise SkillInputError("question_answering needs '" + key + "'")
        question, context = x["question"], x["context"]
        single = isinstance(context, str)
        contexts = [context] if single else context
        if not isinstance(contexts, (list, tuple)) or not contexts:
            raise SkillInputError("'context' must be a non-empty str or list of str")
        questions = [question] * len(contexts) if isinstance(question, str) else question
        if not isinstance(questions, (list, tuple)) or len(questions) != len(contexts):
            raise SkillInputError("'question' must be a str, or a list as long as 'context'")
        for q, c in zip(questions, contexts):
            if not isinstance(q, str) or not isinstance(c, str):
                raise SkillInputError("questions and contexts must be str, not " + type(q).__name__ + "/" + type(c).__name__)
            if not q.strip() or not c.strip():
                raise SkillInputError("empty question or context")
        options = {k: v for k, v in x.items() if k in QA_OPTIONS}
        return list(zip(questions, contexts)), single, options

    def _preprocess_qa(self, tokenizer, pairs, options, device, model):
        if not getattr(tokenizer, "is_fast", False):
            raise SkillInputError("question_answering needs a fast tokenizer (character offsets)")
        limit = self._max_length(tokenizer, model)
        max_seq_len = _positive_int(options, "max_seq_len", min(384, limit))
        doc_stride = _positive_int(options, "doc_stride", min(max_seq_len // 2, 128))
        _positive_int(options, "max_answer_len", 15)
        _positive_int(options, "top_k", 1)
        question_first = tokenizer.padding_side == "right"
        questions = [q for q, _ in pairs]
        contexts = [c for _, c in pairs]
        first, second = (questions, contexts) if question_first else (contexts, questions)
        encoded = tokenizer(
            first, second, padding=True, truncation="only_second" if question_first else "only_first",
            max_length=max_seq_len, stride=doc_stride, return_overflowing_tokens=True,
            return_offsets_mapping=True, return_tensors="pt",
        )
        context_id = 1 if question_first else 0
        spans = []
        for i in range(encoded["input_ids"].shape[0]):
            ids = encoded.sequence_ids(i)
            allowed = [s == context_id for s in ids]
            # The CLS token stays a candidate (the "no answer" score), as in the pipeline.
            if tokenizer.cls_token_id is not None:
                for j, token in enumerate(encoded["input_ids"][i].tolist()):
                    if token == tokenizer.cls_token_id:
                        allowed[j] = True
            spans.append({
                "pair": int(encoded["overflow_to_sample_mapping"][i]), "allowed": allowed, "sequence": context_id,
                "offsets": encoded["offset_mapping"][i].tolist(), "encoding": encoded.encodings[i],
            })
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in encoded]
        model_inputs = {n: encoded[n].to(device) for n in names}
        if "token_type_ids" in model_inputs and "token_type_ids" not in getattr(tokenizer, "model_input_names", ()):
            del model_inputs["token_type_ids"]
        return {"encoded": model_inputs, "spans": spans, "contexts": contexts}

    def _postprocess_qa(self, inputs, outputs, single, options):
        torch = self.torch
        top_k = int(options.get("top_k", 1))
        max_answer_len = int(options.get("max_answer_len", 15))
        impossible = bool(options.get("handle_impossible_answer", False))
        mask = inputs["encoded"]["attention_mask"].bool().cpu()
        starts, ends = outputs.start_logits.float().cpu(), outputs.end_logits.float().cpu()
        found = [[] for _ in inputs["contexts"]]
        null_scores = [1000000.0] * len(inputs["contexts"])
        for i, span in enumerate(inputs["spans"]):
            allowed = torch.tensor(span["allowed"]) & mask[i]
            p_start = starts[i].masked_fill(~allowed, -10000.0).softmax(-1)
            p_end = ends[i].masked_fill(~allowed, -10000.0).softmax(-1)
            pair = span["pair"]
            null_scores[pair] = min(null_scores[pair], float(p_start[0] * p_end[0]))
            p_start[0] = p_end[0] = 0.0
            for s, e, score in self._best_spans(p_start, p_end, allowed, top_k, max_answer_len):
                start_char, end_char = self._span_chars(span, s, e)
                found[pair].append({"answer": inputs["contexts"][pair][start_char:end_char], "score": score, "start": start_char, "end": end_char})
        answers = []
        for pair, candidates in enumerate(found):
            candidates = sorted(candidates, key=lambda a: -a["score"])[:top_k]
            if impossible:
                candidates.append({"answer": "", "score": null_scores[pair], "start": 0, "end": 0})
                candidates = sorted(candidates, key=lambda a: -a["score"])[:top_k]
            answers.append(candidates)
        return {"answers": answers, "count": len(answers)}

    def _best_spans(self, p_start, p_end, allowed, top_k, max_answer_len):
        """The top_k (start, end, score) with start <= end < start + max_answer_len, both ends on
        allowed tokens (the pipeline's decode_spans)."""
        scores = self.torch.tril(self.torch.triu(p_start[:, None] * p_end[None, :]), max_answer_len - 1)
        flat = scores.flatten()
        order = flat.argsort(descending=True, stable=True)[:top_k].tolist()
        width = scores.shape[1]
        return [(k // width, k % width, float(flat[k])) for k in order if allowed[k // width] and allowed[k % width]]

    def _span_chars(self, span, s, e):
        """Character offsets of tokens s..e in the context, widened to whole words (the pipeline's
        align_to_words), else the tokens' own offsets."""
        encoding = span["encoding"]
        try:
            start = encoding.word_to_chars(encoding.token_to_word(s), sequence_index=span["sequence"])[0]
            end = encoding.word_to_chars(encoding.token_to_word(e), sequence_index=span["sequence"])[1]
            return start, end
        except Exception:
            return span["offsets"][s][0], span["offsets"][e][1]

    # ---- zero-shot classification ----

    def _split_zero_shot(self, x):
        if not isinstance(x, dict):
            raise SkillInputError("zero_shot_classification takes {'text': str or list, 'candidate_labels': [...], 'multi_label': bool}; got " + type(x).__name__)
        unknown = sorted(k for k in x if k not in ("text",) + ZERO_SHOT_OPTIONS)
        if unknown:
            raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr(("text",) + ZERO_SHOT_OPTIONS))
        if "text" not in x:
            raise SkillInputError("zero_shot_classification needs 'text'")
        batch, single = self._text_batch(x["text"], "'text' as a string or a list of strings")
        labels = x.get("candidate_labels")
        if isinstance(labels, str):
            labels = [label.strip() for label in labels.split(",") if label.strip()]
        if not isinstance(labels, (list, tuple)) or not labels or not all(isinstance(label, str) and label for label in labels):
            raise SkillInputError("'candidate_labels' must be a non-empty list of non-empty str (or a comma-separated str)")
        template = x.get("hypothesis_template", "This example is {}.")
        if not isinstance(template, str) or template.format(labels[0]) == template:
            raise SkillInputError("'hypothesis_template' must be a str with a {} for the label")
        if not isinstance(x.get("multi_label", False), bool):
            raise SkillInputError("'multi_label' must be a bool")
        options = {"candidate_labels": list(labels), "hypothesis_template": template, "multi_label": x.get("multi_label", False)}
        return batch, single, options

    def _preprocess_zero_shot(self, tokenizer, batch, options, device, model):
        labels, template = options["candidate_labels"], options["hypothesis_template"]
        firsts = [text for text in batch for _ in labels]
        seconds = [template.format(label) for _ in batch for label in labels]
        encoded = tokenizer(firsts, seconds, padding=True, truncation="only_first", return_tensors="pt")
        return {"encoded": encoded.to(device), "texts": batch}

    def _postprocess_zero_shot(self, model, inputs, outputs, single, options):
        entailment = self._entailment_id(model.config)
        if entailment is None:
            raise SkillInputError("this model's config has no entailment label (label2id), so it is not an NLI model")
        labels = options["candidate_labels"]
        logits = outputs.logits.float().cpu().reshape(len(inputs["texts"]), len(labels), -1)
        if options["multi_label"] or len(labels) == 1:
            contradiction = -1 if entailment == 0 else 0
            scores = logits[..., [contradiction, entailment]].softmax(-1)[..., 1]
        else:
            scores = logits[..., entailment].softmax(-1)
        results = []
        for text, row in zip(inputs["texts"], scores.tolist()):
            order = sorted(range(len(labels)), key=lambda j: -row[j])
            results.append({"sequence": text, "labels": [labels[j] for j in order], "scores": [row[j] for j in order]})
        return {"predictions": results, "count": len(results)}

    # ---- document question answering (layoutlm, layoutlmv3: words and boxes given, or OCR) ----

    def _split_document_qa(self, x):
        """{"question": str, "words": [str], "boxes": [[x0, y0, x1, y1] in 0..1000]} or
        {"question", "word_boxes": [[word, box], ...]}, or {"question", "image"} alone (the page's
        words then come from Tesseract OCR, as in transformers' document-question-answering
        pipeline, when the host has pytesseract and the tesseract binary), or a list of such dicts.
        An "image" (the page) also goes to a model that takes one (LayoutLMv3); LayoutLM has no
        image input, as in transformers' pipeline."""
        if isinstance(x, (list, tuple)):
            return self._dict_items(x, self._split_document_qa, "'question', 'words' and 'boxes'")
        if not isinstance(x, dict):
            raise SkillInputError("document_question_answering takes {'question': str, 'words': [...], 'boxes': [...]}; got " + type(x).__name__)
        allowed = ("question", "words", "boxes", "word_boxes", "image") + OCR_OPTIONS + QA_OPTIONS
        unknown = sorted(k for k in x if k not in allowed)
        if unknown:
            raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr(allowed))
        question = x.get("question")
        if not isinstance(question, str) or not question.split():
            raise SkillInputError("document_question_answering needs a non-empty 'question' str")
        if "word_boxes" in x:
            pairs = x["word_boxes"]
            if not isinstance(pairs, (list, tuple)) or not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
                raise SkillInputError("'word_boxes' must be a list of [word, box] pairs")
            words, boxes = [p[0] for p in pairs], [p[1] for p in pairs]
        elif "words" in x or "boxes" in x:
            words, boxes = x.get("words"), x.get("boxes")
        elif x.get("image") is not None:
            words, boxes = self._ocr(Images._to_image(self, x["image"]), x)
        else:
            raise SkillInputError("give the page's 'words' and 'boxes' (or 'word_boxes'), or its 'image' to read them with OCR")
        if not isinstance(words, (list, tuple)) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise SkillInputError("'words' must be a non-empty list of non-empty str")
        if not isinstance(boxes, (list, tuple)) or len(boxes) != len(words):
            raise SkillInputError("'boxes' must have one box per word (" + str(len(words)) + " words)")
        for box in boxes:
            if not isinstance(box, (list, tuple)) or len(box) != 4 or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 1000 for v in box):
                raise SkillInputError("each box is [x0, y0, x1, y1], integers in 0..1000 (page size normalised), not " + repr(box))
        image = None if x.get("image") is None else Images._to_image(self, x["image"])
        options = {k: v for k, v in x.items() if k in QA_OPTIONS}
        return [(question, list(words), [list(b) for b in boxes], image)], True, options

    def _ocr(self, image, x):
        """The page's words and 0..1000 boxes read by Tesseract with transformers' own
        apply_tesseract (the document-question-answering pipeline's OCR); a clear error when the
        host has no pytesseract or no tesseract binary, or the page has no words."""
        lang, config = x.get("lang"), x.get("tesseract_config", "")
        if (lang is not None and not isinstance(lang, str)) or not isinstance(config, str):
            raise SkillInputError("'lang' and 'tesseract_config' are str (Tesseract's -l and extra flags)")
        from transformers.utils import is_pytesseract_available

        if not is_pytesseract_available():
            raise SkillInputError("no 'words'/'boxes' given, and reading them from the image needs OCR: this host has no pytesseract "
                                  "(pip install pytesseract, and the tesseract binary, e.g. apt install tesseract-ocr)")
        import pytesseract
        from transformers.pipelines.document_question_answering import apply_tesseract

        try:
            words, boxes = apply_tesseract(image, lang=lang, tesseract_config=config)
        except pytesseract.TesseractNotFoundError as e:
            raise SkillInputError("no 'words'/'boxes' given, and OCR needs the tesseract binary, which this host lacks (" + str(e).strip() + ")")
        if not words:
            raise SkillInputError("OCR found no words on the page image; give its 'words' and 'boxes'")
        return words, boxes

    def _document_qa_windows(self, tokenizer, options, model):
        """(max_seq_len, doc_stride) of the document QA windows; the answer options are checked here
        too, before any model work (the pipeline's defaults)."""
        max_seq_len = _positive_int(options, "max_seq_len", self._max_length(tokenizer, model))
        doc_stride = _positive_int(options, "doc_stride", min(max_seq_len // 2, 256))
        _positive_int(options, "max_answer_len", 15)
        _positive_int(options, "top_k", 1)
        return max_seq_len, doc_stride

    def _preprocess_document_qa(self, processor, items, options, device, model):
        tokenizer = getattr(processor, "tokenizer", processor)
        if "bbox" in tokenizer.model_input_names:
            return self._preprocess_document_qa_boxes(processor, items, options, device, model)
        if not getattr(tokenizer, "is_fast", False):
            raise SkillInputError("document_question_answering needs a fast tokenizer (word ids)")
        max_seq_len, doc_stride = self._document_qa_windows(tokenizer, options, model)
        spans = []
        for index, (question, words, boxes, _) in enumerate(items):
            encoding = tokenizer(
                text=question.split(), text_pair=words, is_split_into_words=True, max_length=max_seq_len, stride=doc_stride,
                return_token_type_ids=True, truncation="only_second", return_overflowing_tokens=True,
            )
            for i in range(len(encoding["input_ids"])):
                ids, sequence, word_ids = encoding["input_ids"][i], encoding.sequence_ids(i), encoding.word_ids(i)
                allowed = [s == 1 or token == tokenizer.cls_token_id for s, token in zip(sequence, ids)]
                bbox = [boxes[w] if s == 1 else [1000] * 4 if token == tokenizer.sep_token_id else [0] * 4 for token, s, w in zip(ids, sequence, word_ids)]
                feed = {name: self.torch.tensor([encoding[name][i]], device=device) for name in ("input_ids", "attention_mask", "token_type_ids")}
                feed["bbox"] = self.torch.tensor([bbox], device=device)
                spans.append({"item": index, "feed": feed, "allowed": allowed, "word_ids": word_ids})
        return {"spans": spans, "items": items}

    def _preprocess_document_qa_boxes(self, processor, items, options, device, model):
        """LayoutLMv3 (transformers' document-question-answering pipeline for LayoutLMv2/v3): the
        tokenizer gives each token its word's box; the page image, when given, is the image
        processor's pixel_values (apply_ocr off: the words are given)."""
        tokenizer = processor.tokenizer
        max_seq_len, doc_stride = self._document_qa_windows(tokenizer, options, model)
        spans = []
        for index, (question, words, boxes, image) in enumerate(items):
            encoding = tokenizer(
                text=[question], text_pair=[words], boxes=[boxes], max_length=max_seq_len, stride=doc_stride,
                return_token_type_ids=True, truncation="only_second", return_overflowing_tokens=True,
            )
            encoding.pop("overflow_to_sample_mapping", None)
            pixels = None
            if image is not None:
                pixels = processor.image_processor(images=image, apply_ocr=False, return_tensors="pt")["pixel_values"]
                pixels = pixels.to(device=device, dtype=model.dtype)
            for i in range(len(encoding["input_ids"])):
                ids, sequence = encoding["input_ids"][i], encoding.sequence_ids(i)
                allowed = [s == 1 or token == tokenizer.cls_token_id for s, token in zip(sequence, ids)]
                feed = {name: self.torch.tensor([values[i]], device=device) for name, values in encoding.items()}
                if pixels is not None:
                    feed["pixel_values"] = pixels
                spans.append({"item": index, "feed": feed, "allowed": allowed, "word_ids": encoding.word_ids(i)})
        return {"spans": spans, "items": items}

    def _forward_document_qa(self, model, inputs):
        return [model(**span["feed"]) for span in inputs["spans"]]

    def _postprocess_document_qa(self, inputs, outputs, single, options):
        torch = self.torch
        top_k = int(options.get("top_k", 1))
        max_answer_len = int(options.get("max_answer_len", 15))
        impossible = bool(options.get("handle_impossible_answer", False))
        found = [[] for _ in inputs["items"]]
        null_scores = [1000000.0] * len(inputs["items"])
        for span, out in zip(inputs["spans"], outputs):
            allowed = torch.tensor(span["allowed"]) & span["feed"]["attention_mask"][0].bool().cpu()
            # LayoutLMv3 given the page image appends its patches after the text tokens: never answers.
            n = len(span["allowed"])
            p_start = out.start_logits[0, :n].float().cpu().masked_fill(~allowed, -10000.0).softmax(-1)
            p_end = out.end_logits[0, :n].float().cpu().masked_fill(~allowed, -10000.0).softmax(-1)
            item = span["item"]
            null_scores[item] = min(null_scores[item], float(p_start[0] * p_end[0]))
            p_start[0] = p_end[0] = 0.0
            words = inputs["items"][item][1]
            for s, e, score in self._best_spans(p_start, p_end, allowed, top_k, max_answer_len):
                first, last = span["word_ids"][s], span["word_ids"][e]
                if first is not None and last is not None:
                    found[item].append({"answer": " ".join(words[first : last + 1]), "score": score, "start": first, "end": last})
        answers = []
        for item, candidates in enumerate(found):
            if impossible:
                candidates = candidates + [{"answer": "", "score": null_scores[item], "start": 0, "end": 0}]
            answers.append(sorted(candidates, key=lambda a: -a["score"])[:top_k])
        return {"answers": answers, "count": len(answers)}
