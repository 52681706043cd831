"""Generation shared by the families that call generate(): option parsing and defaults, the
generate() call, the cut of new tokens at end-of-sequence, token-id/text results, left padding for
batched prompts, and a text mock."""

from .base import SkillInputError


class Generation:
    """generate() options, calls and results."""

    # ---- generation options (blocks/generation.py) ----

    GENERATION_OPTIONS = ("max_new_tokens", "do_sample", "temperature", "top_p", "top_k", "num_beams")
    DEFAULT_MAX_NEW_TOKENS = 20
    # Other keys _generation_kwargs accepts (e.g. "prompt"), and the input keys its error lists.
    GENERATION_EXTRA_KEYS = ()
    GENERATION_INPUT_KEYS = ()

    def _generation_kwargs(self, model, options):
        """generate() arguments: the model's generation_config, overridden per call by options.

        max_new_tokens comes from options, else generation_config.max_new_tokens, else 20 (the
        config's max_length is not used: it counts the prompt). Unknown keys raise SkillInputError.
        """
        unknown = sorted(k for k in options if k not in self.GENERATION_OPTIONS + self.GENERATION_EXTRA_KEYS)
        if unknown:
            raise SkillInputError("unknown option(s) " + repr(unknown) + "; allowed: " + repr(self.GENERATION_INPUT_KEYS + self.GENERATION_OPTIONS))
        config = getattr(model, "generation_config", None) if model is not None else None
        kwargs = {}
        default_new = getattr(config, "max_new_tokens", None)
        kwargs["max_new_tokens"] = self._int_option(options, "max_new_tokens", 1, default_new or self.DEFAULT_MAX_NEW_TOKENS)
        if "do_sample" in options:
            if not isinstance(options["do_sample"], bool):
                raise SkillInputError("do_sample must be true or false, not " + repr(options["do_sample"]))
            kwargs["do_sample"] = options["do_sample"]
        for name, low, high in (("temperature", 0.0, None), ("top_p", 0.0, 1.0)):
            if name in options:
                value = options[name]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= low or (high is not None and value > high):
                    raise SkillInputError(name + " must be a number in (" + str(low) + ", " + str(high or "inf") + "], not " + repr(value))
                kwargs[name] = float(value)
        for name, low in (("top_k", 0), ("num_beams", 1)):
            if name in options:
                kwargs[name] = self._int_option(options, name, low, None)
        return kwargs

    def _int_option(self, options, name, low, default):
        value = options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise SkillInputError(name + " must be an integer >= " + str(low) + ", not " + repr(value))
        return value



    def _forward(self, task, model, inputs, options):
        return model.generate(**inputs["encoded"], **inputs["generation"])



    def _eos_ids(self, model, tokenizer):
        config = getattr(model, "generation_config", None)
        eos = getattr(config, "eos_token_id", None)
        if eos is None:
            eos = tokenizer.eos_token_id
        if eos is None:
            return set()
        return set(eos) if isinstance(eos, (list, tuple)) else {int(eos)}

    def _generation_result(self, model, tokenizer, rows, inputs):
        """New tokens per input, cut after the first end-of-sequence token (the rest is padding)."""
        token_ids = self._cut_at_eos(rows.tolist(), self._eos_ids(model, tokenizer))
        texts = [tokenizer.decode(ids, skip_special_tokens=True) for ids in token_ids]
        return {
            "generated_text": texts,
            "generated_token_ids": token_ids,
            "count": len(texts),
            "generation": dict(inputs["generation"]),
        }



    def _cut_at_eos(self, rows, eos):
        """Each row of new token ids up to and including its first end-of-sequence token."""
        token_ids = []
        for row in rows:
            kept = []
            for token in row:
                kept.append(token)
                if token in eos:
                    break
            token_ids.append(kept)
        return token_ids



    def _left_padding(self, tokenizer):
        # Batched generation needs left padding; many checkpoints ship no pad token.
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None and tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
        return tokenizer



    def _mock_result(self, task, batch, single, options):
        # Deterministic text for host tests without a model; labelled MOCK by the caller.
        kwargs = self._generation_kwargs(None, options)
        words = ["mock", "generated", "text"]
        texts = [" ".join(words[(len(str(item)) + j) % 3] for j in range(kwargs["max_new_tokens"])) for item in batch]
        return {"generated_text": texts, "count": len(texts), "generation": kwargs}


