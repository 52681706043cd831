"""The text encoder family: text encoder (embeddings, fill-mask, text/token classification,
extractive, document and table question answering, zero-shot classification)."""

from ..base import Skillset
from ..labels import Labels
from ..table_qa import TABLE_QA, TableQA
from ..text_heads import TextHeads

# Tasks whose input and result are not texts → embeddings (text_heads.py).
PAIR_TASKS = ("question_answering", "zero_shot_classification")
DOCUMENT_QA = "document_question_answering"
# Model types whose encoder classes AutoModel cannot tell apart (MODEL_MAPPING names one of them:
# another's checkpoint would load into it with fresh weights): the checkpoint's `architectures`
# picks the class, and the text_embedding is that class's pooler_output (what DPR's docs embed with).
ARCHITECTURE_ENCODERS = {"dpr": ("DPRQuestionEncoder", "DPRContextEncoder")}


class TextEncoder(TableQA, TextHeads, Labels, Skillset):
    """Text encoder skillset: str or list[str] -> embeddings, plus the head's predictions.

    Embeddings are the mask-aware mean of the last hidden state over real (non-padding) tokens,
    one row per input; {"text": ..., "normalize": True} L2-normalises them. A fill_mask head adds
    top-k tokens per mask position, a classification head adds top-k labels from id2label."""

    FAMILY = "text_encoder"
    PROCESSOR_CLASS = "AutoTokenizer"
    HALF_PRECISION = True
    SAMPLE_TEXT = "The quick brown fox jumps over the lazy dog."

    # ---- text encoder: load ----

    def _sample_input(self, task):
        if task == "fill_mask":
            return {"text": "The capital of France is [MASK].", "mask_placeholder": "[MASK]"}
        if task == "question_answering":
            return {"question": "What is the capital of France?", "context": "Paris is the capital of France."}
        if task == DOCUMENT_QA:
            return {"question": "What is the total?", "words": ["Total", "42"], "boxes": [[10, 10, 60, 30], [70, 10, 100, 30]]}
        if task == "zero_shot_classification":
            return {"text": self.SAMPLE_TEXT, "candidate_labels": ["animals", "weather", "politics"]}
        if task == TABLE_QA:
            return {"table": {"city": ["Paris", "Rome"], "country": ["France", "Italy"]}, "query": "Which city is in France?"}
        return self.SAMPLE_TEXT

    def _load_model(self, model, task, config):
        encoders = ARCHITECTURE_ENCODERS.get(getattr(config, "model_type", None))
        if encoders is None or task != "text_embedding":
            return super()._load_model(model, task, config)
        architectures = list(getattr(config, "architectures", None) or ())
        named = [a for a in architectures if a in encoders]
        if not named:
            raise ValueError(
                repr(model) + " is a " + (", ".join(architectures) or "checkpoint without architectures") + " checkpoint of model_type "
                + repr(config.model_type) + "; text_embedding is served only for " + " or ".join(encoders) + " checkpoints"
            )
        return self._transformers_class(named[0]).from_pretrained(model, config=config, **self._hub_kwargs(model))

    # ---- text encoder: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        if task == "question_answering":
            return self._split_qa(x)
        if task == "zero_shot_classification":
            return self._split_zero_shot(x)
        if task == DOCUMENT_QA:
            return self._split_document_qa(x)
        if task == TABLE_QA:
            return self._split_table_qa(x)
        options = {}
        if isinstance(x, dict):
            options = {k: v for k, v in x.items() if k != "text"}
            x = x.get("text")
        batch, single = self._text_batch(x, "a string, a list of strings, or a dict with 'text'")
        return batch, single, options

    def _max_length(self, tokenizer, model):
        limit = getattr(tokenizer, "model_max_length", None)
        if isinstance(limit, int) and 0 < limit <= 1000000:
            return limit
        positions = getattr(model.config, "max_position_embeddings", None)
        return min(512, positions) if isinstance(positions, int) and positions > 0 else 512

    def _preprocess(self, task, tokenizer, batch, options, device, model):
        if task == "question_answering":
            return self._preprocess_qa(tokenizer, batch, options, device, model)
        if task == "zero_shot_classification":
            return self._preprocess_zero_shot(tokenizer, batch, options, device, model)
        if task == DOCUMENT_QA:
            return self._preprocess_document_qa(tokenizer, batch, options, device, model)
        if task == TABLE_QA:
            return self._preprocess_table_qa(tokenizer, batch, options, device, model)
        mask_placeholder = options.get("mask_placeholder")
        if mask_placeholder and tokenizer.mask_token:
            batch = [text.replace(mask_placeholder, tokenizer.mask_token) for text in batch]
        max_length = int(options.get("max_length") or self._max_length(tokenizer, model))
        encoded = tokenizer(batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        # A text can only overflow when it has more characters than tokens fit, so only such texts
        # are counted again without truncation (keeps the common path at one tokenizer call).
        truncated = [False] * len(batch)
        for i, text in enumerate(batch):
            if len(text) + 2 > max_length:
                truncated[i] = len(tokenizer(text, truncation=False)["input_ids"]) > max_length
        return {"encoded": encoded.to(device), "truncated": truncated, "max_length": max_length}

    def _forward(self, task, model, inputs, options):
        if task in PAIR_TASKS:
            return model(**inputs["encoded"])
        if task == DOCUMENT_QA:
            return self._forward_document_qa(model, inputs)
        if task == TABLE_QA:
            return self._forward_table_qa(model, inputs)
        return model(**inputs["encoded"], output_hidden_states=task != "text_embedding")

    def _pooled_embeddings(self, pooled, inputs, options):
        embeddings = pooled.float()
        if options.get("normalize"):
            embeddings = self.torch.nn.functional.normalize(embeddings, p=2, dim=1)
        result = {"embeddings": embeddings.cpu(), "dimensions": int(embeddings.shape[-1]), "count": int(embeddings.shape[0])}
        if any(inputs["truncated"]):
            result["truncated"] = inputs["truncated"]
            result["note"] = "inputs longer than " + str(inputs["max_length"]) + " tokens were truncated"
        return result

    def _postprocess(self, task, model, tokenizer, inputs, outputs, single, options):
        if task == "question_answering":
            return self._postprocess_qa(inputs, outputs, single, options)
        if task == "zero_shot_classification":
            return self._postprocess_zero_shot(model, inputs, outputs, single, options)
        if task == DOCUMENT_QA:
            return self._postprocess_document_qa(inputs, outputs, single, options)
        if task == TABLE_QA:
            return self._postprocess_table_qa(model, tokenizer, inputs, outputs)
        torch = self.torch
        mask = inputs["encoded"]["attention_mask"]
        if task == "text_embedding" and getattr(outputs, "last_hidden_state", None) is None and getattr(outputs, "pooler_output", None) is not None:
            # DPR's encoders return only their pooled output: it is the embedding (no token pooling).
            return self._pooled_embeddings(outputs.pooler_output, inputs, options)
        if task == "text_embedding":
            hidden = outputs.last_hidden_state
        else:
            # An OpenVINO head model (optimum-intel OVModelFor...) returns only logits: its results
            # carry the head's predictions without embeddings, and say so.
            states = getattr(outputs, "hidden_states", None)
            hidden = states[-1] if states else None
        if hidden is None:
            result = {"count": int(mask.shape[0]), "embeddings_note": "this backend's " + task + " model returns no hidden states, so no embeddings; use task text_embedding for them"}
        else:
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            embeddings = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            embeddings = embeddings.float()
            if options.get("normalize"):
                embeddings = torch.nn.functional.normalize(embeddings, p=2, dim=1)
            result = {"embeddings": embeddings.cpu(), "dimensions": int(embeddings.shape[-1]), "count": int(embeddings.shape[0])}
        if any(inputs["truncated"]):
            result["truncated"] = inputs["truncated"]
            result["note"] = "inputs longer than " + str(inputs["max_length"]) + " tokens were truncated"
        top_k = max(1, int(options.get("top_k", 5)))
        if task == "fill_mask":
            result["predictions"] = self._fill_mask(tokenizer, inputs["encoded"]["input_ids"], outputs.logits, top_k)
        elif task == "text_classification":
            result["logits"] = outputs.logits.float().cpu()
            result["predictions"] = self._classify(model, outputs.logits, top_k)
        elif task == "token_classification":
            result["logits"] = outputs.logits.float().cpu()
            result["predictions"] = self._tag_tokens(model, tokenizer, inputs["encoded"], outputs.logits)
        return result

    def _fill_mask(self, tokenizer, input_ids, logits, top_k):
        predictions = []
        for row, ids in enumerate(input_ids):
            positions = (ids == tokenizer.mask_token_id).nonzero().flatten().tolist() if tokenizer.mask_token_id is not None else []
            masks = []
            for position in positions:
                probs = logits[row, position].float().softmax(dim=-1)
                scores, token_ids = probs.topk(min(top_k, probs.shape[-1]))
                masks.append({
                    "position": position,
                    "tokens": [
                        {"token": tokenizer.decode([t]).strip(), "token_id": t, "score": s}
                        for s, t in zip(scores.tolist(), token_ids.tolist())
                    ],
                })
            predictions.append(masks)
        return predictions

    def _tag_tokens(self, model, tokenizer, encoded, logits):
        probs = logits.float().softmax(dim=-1)
        labels = self._labels(model, probs.shape[-1])
        special = set(tokenizer.all_special_ids)
        out = []
        for row, ids in enumerate(encoded["input_ids"].tolist()):
            scores, best = probs[row].max(dim=-1)
            tokens = []
            for position, token_id in enumerate(ids):
                if encoded["attention_mask"][row, position] == 0 or token_id in special:
                    continue
                tokens.append({
                    "index": position,
                    "token": tokenizer.convert_ids_to_tokens(token_id),
                    "label": labels[int(best[position])],
                    "score": float(scores[position]),
                })
            out.append(tokens)
        return out

    def _mock_result(self, task, batch, single, options):
        # Deterministic shapes for host tests without a model; labelled MOCK by the caller.
        if task == "question_answering":
            answers = [[{"answer": context.split()[0] if context.split() else "", "score": 0.5, "start": 0, "end": len(context.split()[0]) if context.split() else 0}] for _, context in batch]
            return {"answers": answers, "count": len(answers)}
        if task == DOCUMENT_QA:
            answers = [[{"answer": item[1][0], "score": 0.5, "start": 0, "end": 0}] for item in batch]
            return {"answers": answers, "count": len(answers)}
        if task == TABLE_QA:
            return self._mock_table_qa(batch)
        if task == "zero_shot_classification":
            labels = options["candidate_labels"]
            predictions = [{"sequence": text, "labels": list(labels), "scores": [1.0 / len(labels)] * len(labels)} for text in batch]
            return {"predictions": predictions, "count": len(predictions)}
        dims = int(self.metadata.get("mock_dimensions", 32))
        rows = [[((len(text) + 7 * j) % 17) / 17.0 for j in range(dims)] for text in batch]
        return {"embeddings": rows, "dimensions": dims, "count": len(batch)}

