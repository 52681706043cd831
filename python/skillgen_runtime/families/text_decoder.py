"""The text decoder family: text decoder (causal language model text generation)."""

from ..base import SkillInputError, Skillset
from ..generation import Generation


class TextDecoder(Generation, Skillset):
    """Text decoder skillset: prompt(s) or chat messages -> generated continuations.

    Input: a str, a list of str, a chat conversation (a list of {"role", "content"} dicts, formatted
    with the tokenizer's chat_template), or a dict {"prompt": str | list} / {"messages": conversation
    | list of conversations} with generation options "max_new_tokens", "do_sample", "temperature",
    "top_p", "top_k", "num_beams". Defaults come from the model's generation_config (max_new_tokens
    20 when it sets none). Prompts are batched with left padding (pad token = eos when missing).
    Output keeps the batch dimension, one entry per input even for a single str:
    {"generated_text": [continuation, ...], "generated_token_ids": [[new token ids], ...],
    "count", "generation": the generate() arguments used}; the continuation excludes the prompt."""

    FAMILY = "text_decoder"
    HALF_PRECISION = True
    SAMPLE_PROMPT = "The quick brown fox"

    # ---- text decoder: load ----

    def _load_processor(self, model, task, config):
        tokenizer = self.transformers.AutoTokenizer.from_pretrained(model, **self._hub_kwargs(model))
        return self._left_padding(tokenizer)

    def _sample_input(self, task):
        return {"prompt": self.SAMPLE_PROMPT, "max_new_tokens": 8, "do_sample": False}

    # ---- text decoder: preprocess -> generate -> postprocess ----

    def _split_input(self, task, x):
        """(batch, single, options); a batch item is a prompt str or a conversation (list of dicts)."""
        options = {}
        if isinstance(x, dict):
            if "prompt" in x and "messages" in x:
                raise SkillInputError("give either 'prompt' or 'messages', not both")
            if "messages" not in x and "prompt" not in x:
                raise SkillInputError("a dict input needs 'prompt' or 'messages'")
            options = {k: v for k, v in x.items() if k not in ("prompt", "messages")}
            if "messages" in x:
                messages = x["messages"]
                if isinstance(messages, (list, tuple)) and messages and all(isinstance(m, (list, tuple)) for m in messages):
                    batch = [self._conversation(m) for m in messages]
                    return batch, False, options
                return [self._conversation(messages)], True, options
            x = x["prompt"]
        elif isinstance(x, (list, tuple)) and x and all(isinstance(m, dict) for m in x):
            return [self._conversation(x)], True, options
        batch, single = self._text_batch(x, "a prompt string, a list of prompts, a chat message list, or a dict with 'prompt' or 'messages'")
        return batch, single, options

    def _conversation(self, messages):
        if not isinstance(messages, (list, tuple)) or not messages:
            raise SkillInputError("'messages' must be a non-empty list of {'role', 'content'} dicts")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) or "content" not in m:
                raise SkillInputError("message " + str(i) + " must be a dict with a 'role' str and 'content'")
        return list(messages)

    def _prompt_text(self, tokenizer, item):
        if isinstance(item, str):
            return item, True
        if not getattr(tokenizer, "chat_template", None):
            raise SkillInputError("this tokenizer has no chat_template, so chat messages cannot be formatted; pass a prompt string instead")
        # The template writes its own special tokens (bos), so the text is tokenized without them.
        return tokenizer.apply_chat_template(item, tokenize=False, add_generation_prompt=True), False

    def _preprocess(self, task, tokenizer, batch, options, device, model):
        generation = self._generation_kwargs(model, options)
        prompts = [self._prompt_text(tokenizer, item) for item in batch]
        specials = set(flag for _, flag in prompts)
        if len(specials) > 1:
            raise SkillInputError("a batch mixes prompt strings and chat conversations")
        tokenizer.padding_side = "left"
        encoded = tokenizer([text for text, _ in prompts], padding=True, add_special_tokens=specials.pop(), return_tensors="pt")
        if tokenizer.pad_token_id is not None:
            generation.setdefault("pad_token_id", tokenizer.pad_token_id)
        return {"encoded": encoded.to(device), "generation": generation}

    def _postprocess(self, task, model, tokenizer, inputs, outputs, single, options):
        prompt_length = inputs["encoded"]["input_ids"].shape[1]
        result = self._generation_result(model, tokenizer, outputs[:, prompt_length:], inputs)
        result["generation"].pop("pad_token_id", None)
        return result

