"""Contrastive dual encoders (a media tower and a text tower: CLIP-style vision-text, CLAP audio-text,
X-CLIP video-text): option checks, text tokenization, embedding normalisation, zero-shot scores
and ranking, mock embeddings."""

from .base import SkillInputError


class DualEncoder:
    """Contrastive dual encoders."""

    # Zero-shot classification: {"candidate_labels": [...]} scores "hypothesis_template".format(label)
    # texts, as transformers' zero-shot image/audio classification pipelines do.
    HYPOTHESIS_TEMPLATE = "This is a photo of {}."
    ZERO_SHOT_KEYS = ("candidate_labels", "hypothesis_template")


    # ---- dual encoder (blocks/dual_encoder.py): embeddings, similarity, zero-shot ranking ----

    def _split_pair(self, x, key):
        """(media input, text input, options) from a dict {key: ..., "text": ..., option: value}
        (keys checked against OPTIONS), from text alone (a str or a list of str), or from the media
        input alone."""
        if isinstance(x, dict):
            if key not in x and "text" not in x:
                raise SkillInputError("a dict input needs '" + key + "' and/or 'text'")
            allowed = (key, "text") + self.OPTIONS + self.ZERO_SHOT_KEYS
            unknown = sorted(str(k) for k in x if k not in allowed)
            if unknown:
                raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr(allowed))
            options = {k: v for k, v in x.items() if k not in (key, "text") + self.ZERO_SHOT_KEYS}
            text = x.get("text")
            if "candidate_labels" in x or "hypothesis_template" in x:
                text, options["labels"] = self._candidate_texts(x, key)
            return x.get(key), text, options
        if isinstance(x, str) or (isinstance(x, (list, tuple)) and x and all(isinstance(t, str) for t in x)):
            return None, x, {}
        return x, None, {}

    def _candidate_texts(self, x, key):
        """(texts, labels) for zero-shot classification: each candidate label in the template."""
        if "text" in x:
            raise SkillInputError("give 'text' or 'candidate_labels', not both")
        if x.get(key) is None:
            raise SkillInputError("zero-shot classification needs '" + key + "'")
        labels = x.get("candidate_labels")
        if isinstance(labels, str):
            labels = [label.strip() for label in labels.split(",") if label.strip()]
        if not isinstance(labels, (list, tuple)) or not labels or not all(isinstance(label, str) and label for label in labels):
            raise SkillInputError("'candidate_labels' must be a non-empty list of non-empty str (or a comma-separated str)")
        template = x.get("hypothesis_template", self.HYPOTHESIS_TEMPLATE)
        if not isinstance(template, str) or template.format("x") == template:
            raise SkillInputError("'hypothesis_template' must be a str with a {} for the label")
        return [template.format(label) for label in labels], list(labels)

    def _pair_texts(self, items, single, text, missing):
        """(texts or None, single): the text batch; without media `items`, single follows the
        texts; neither given raises `missing`."""
        texts = None
        if text is not None:
            texts, text_single = self._text_batch(text, "a string or a list of strings under 'text'")
            if items is None:
                single = text_single
        if items is None and texts is None:
            raise SkillInputError(missing)
        return texts, single

    def _check_dual_options(self, options):
        if "normalize" in options and not isinstance(options["normalize"], bool):
            raise SkillInputError("normalize must be true or false, not " + repr(options["normalize"]))
        if "top_k" in options:
            top_k = options["top_k"]
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
                raise SkillInputError("top_k must be an integer >= 1, not " + repr(top_k))

    def _encode_texts(self, processor, texts, device, fallback_length, padding=True):
        """Token tensors on the device, truncated to the tokenizer's model_max_length (else
        fallback_length)."""
        tokenizer = getattr(processor, "tokenizer", None) or processor
        limit = getattr(tokenizer, "model_max_length", None)
        max_length = limit if isinstance(limit, int) and 0 < limit <= 100000 else fallback_length
        tokens = tokenizer(texts, padding=padding, truncation=True, max_length=max_length, return_tensors="pt")
        return {key: value.to(device) for key, value in tokens.items()}

    def _features(self, output):
        # transformers 5 returns a ModelOutput whose pooler_output is the projection; 4.x a tensor.
        if hasattr(output, "pooler_output"):
            return output.pooler_output
        if isinstance(output, (tuple, list)):
            return output[0]
        return output

    def _tower_outputs(self, model, encoded, media_keys, name, one_pass):
        """{"<name>_embeds", "text_embeds", "logits_per_<name>"} for the towers with inputs: with
        both and one_pass, one model call (its embeddings come normalised, with the model's own
        scaled logits); else get_<name>_features / get_text_features, plus the model's logits
        when both are given."""
        media = {k: encoded[k] for k in media_keys if k in encoded}
        text = {k: v for k, v in encoded.items() if k not in media_keys}
        embeds, logits_key = name + "_embeds", "logits_per_" + name
        if media and text and one_pass:
            out = model(**encoded)
            return {embeds: getattr(out, embeds), "text_embeds": out.text_embeds, logits_key: getattr(out, logits_key)}
        out = {}
        if media:
            out[embeds] = self._features(getattr(model, "get_" + name + "_features")(**media))
        if text:
            out["text_embeds"] = self._features(model.get_text_features(**text))
        if media and text:
            out[logits_key] = getattr(model(**encoded), logits_key)
        return out

    def _embedding_result(self, outputs, keys, options):
        """(result, normalised): the embeddings under `keys` that are present, L2-normalised unless
        normalize is false, with "dimensions" and "count" of the first; and the normalised ones."""
        torch = self.torch
        normalize = options.get("normalize", True)
        result = {}
        normed = {}
        for key in keys:
            if key in outputs:
                embeds = outputs[key].float()
                normed[key] = torch.nn.functional.normalize(embeds, p=2, dim=-1)
                result[key] = (normed[key] if normalize else embeds).cpu()
        first = result[keys[0]] if keys[0] in result else result[keys[1]]
        result["dimensions"] = int(first.shape[-1])
        result["count"] = int(first.shape[0])
        return result, normed

    def _zero_shot_scores(self, result, logits_key, logits, probs, texts, options, pair=None):
        """Adds each input's scores against the texts: cosine "similarity" (when `pair` holds the two
        normalised embeddings), the model's logits, their probabilities and the ranked texts."""
        if pair is not None:
            result["similarity"] = (pair[0] @ pair[1].t()).cpu()
        result[logits_key] = logits.cpu()
        result["probabilities"] = probs.cpu()
        result["predictions"] = self._rank(texts, probs.cpu().tolist(), options)
        return result

    def _rank(self, texts, rows, options):
        top_k = min(int(options.get("top_k", len(texts))), len(texts))
        out = []
        for row in rows:
            order = sorted(range(len(texts)), key=lambda i: (-row[i], i))[:top_k]
            if options.get("labels"):
                # Zero-shot classification: the candidate label, and the text it was scored as.
                out.append([{"label": options["labels"][i], "text": texts[i], "index": i, "score": row[i]} for i in order])
            else:
                out.append([{"label": texts[i], "index": i, "score": row[i]} for i in order])
        return out

    def _mock_embeddings(self, key, seeds, texts, options, similarity=True):
        """Deterministic embeddings for host tests without a model (labelled MOCK by the caller):
        rows under `key` from the int `seeds` (None: no media input), text rows from the texts."""
        dims = int(self.metadata.get("mock_dimensions", 32))
        result = {"dimensions": dims}
        if seeds is not None:
            result[key] = [[((s + 3 * j) % 11) / 11.0 for j in range(dims)] for s in seeds]
        if texts is not None:
            result["text_embeds"] = [[((len(t) + 5 * j) % 13) / 13.0 for j in range(dims)] for t in texts]
        result["count"] = len(seeds) if seeds is not None else len(texts)
        if seeds is not None and texts is not None:
            probs = [[1.0 / len(texts)] * len(texts) for _ in seeds]
            if similarity:
                result["similarity"] = [[0.0] * len(texts) for _ in seeds]
            result["probabilities"] = probs
            result["predictions"] = self._rank(texts, probs, options)
        return result


