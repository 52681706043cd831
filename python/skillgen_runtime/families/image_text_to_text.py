"""The image text to text family: image-text to text (vision-language chat and visual question answering)."""

from ..base import SkillInputError, Skillset
from ..generation import Generation
from ..media import Images


class ImageTextToText(Generation, Images, Skillset):
    """Image-text-to-text skillset: image(s) + a prompt or chat messages -> answer text.

    Input: {"image": image | [images], "prompt": str | [str]}: one item per image (one prompt for
    all, or one per image); a prompt without the processor's image token gets it prepended
    (the image token and a newline). Or {"image": image | [images], "messages": conversation}: one item,
    formatted with the processor's chat_template (an {"type": "image"} part is added to the first
    user message when the conversation has none, one per image). Images: PIL images, paths,
    bytes, HxWxC arrays or tensors. Generation options "max_new_tokens", "do_sample",
    "temperature", "top_p", "top_k", "num_beams" (greedy and the model's generation_config by
    default; max_new_tokens 20 when it sets none). Output keeps the batch dimension:
    {"generated_text": [answer, ...] (only the new tokens), "generated_token_ids": [[ids], ...],
    "count", "generation"}."""

    FAMILY = "image_text_to_text"
    GENERATION_INPUT_KEYS = ("image", "prompt", "messages")
    HALF_PRECISION = True
    SAMPLE_PROMPT = "What is shown in this image?"

    # ---- image-text to text: load ----

    def _load_processor(self, model, task, config):
        processor = self.transformers.AutoProcessor.from_pretrained(model, **self._hub_kwargs(model))
        tokenizer = getattr(processor, "tokenizer", None)
        if tokenizer is not None:
            self._left_padding(tokenizer)
        return processor

    def _sample_input(self, task):
        image = self._sample_image()
        return {"image": image, "prompt": self.SAMPLE_PROMPT, "max_new_tokens": 8}

    # ---- image-text to text: preprocess -> generate -> postprocess ----

    def _split_input(self, task, x):
        """batch: a list of {"images": [PIL], "prompt": str} or {"images": [PIL], "messages": [...]}."""
        if not isinstance(x, dict):
            raise SkillInputError("expected a dict {'image': ..., 'prompt': str} or {'image': ..., 'messages': [...]}")
        if "prompt" in x and "messages" in x:
            raise SkillInputError("give either 'prompt' or 'messages', not both")
        if "prompt" not in x and "messages" not in x:
            raise SkillInputError("a dict input needs 'prompt' or 'messages'")
        if "image" not in x:
            raise SkillInputError("a dict input needs 'image'")
        options = {k: v for k, v in x.items() if k not in ("image", "prompt", "messages")}
        self._generation_kwargs(None, options)
        images, single = self._image_batch(x["image"])
        if "messages" in x:
            return [{"images": images, "messages": self._conversation(x["messages"], len(images))}], True, options
        prompt = x["prompt"]
        if isinstance(prompt, str):
            prompts = [prompt] * len(images)
        elif isinstance(prompt, (list, tuple)) and not single and all(isinstance(p, str) for p in prompt):
            if len(prompt) != len(images):
                raise SkillInputError(str(len(prompt)) + " prompts for " + str(len(images)) + " images; give one prompt, or one per image")
            prompts = list(prompt)
        else:
            raise SkillInputError("prompt must be a str (or, with a list of images, a list of str)")
        return [{"images": [image], "prompt": p} for image, p in zip(images, prompts)], single, options

    def _conversation(self, messages, image_count):
        if not isinstance(messages, (list, tuple)) or not messages:
            raise SkillInputError("'messages' must be a non-empty list of {'role', 'content'} dicts")
        out = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) or "content" not in m:
                raise SkillInputError("message " + str(i) + " must be a dict with a 'role' str and 'content'")
            content = m["content"]
            if isinstance(content, str):
                content = [{"type": "text", "text": content}]
            elif not isinstance(content, (list, tuple)) or not all(isinstance(p, dict) and "type" in p for p in content):
                raise SkillInputError("message " + str(i) + ": content must be a str or a list of {'type': ...} parts")
            out.append(dict(m, content=list(content)))
        has_image = any(p.get("type") == "image" for m in out for p in m["content"])
        if not has_image:
            for m in out:
                if m["role"] == "user":
                    m["content"] = [{"type": "image"} for _ in range(image_count)] + m["content"]
                    break
            else:
                raise SkillInputError("the conversation has no user message to attach the image to")
        return out

    def _prompt_text(self, processor, item):
        if "messages" in item:
            if not getattr(processor, "chat_template", None):
                raise SkillInputError("this processor has no chat_template, so chat messages cannot be formatted; pass 'prompt' instead")
            return processor.apply_chat_template(item["messages"], add_generation_prompt=True, tokenize=False)
        prompt = item["prompt"]
        image_token = getattr(processor, "image_token", None)
        if isinstance(image_token, str) and image_token and image_token not in prompt:
            prompt = image_token + "\n" + prompt
        return prompt

    def _preprocess(self, task, processor, batch, options, device, model):
        texts = [self._prompt_text(processor, item) for item in batch]
        images = [image for item in batch for image in item["images"]]
        tokenizer = getattr(processor, "tokenizer", None)
        if tokenizer is not None:
            tokenizer.padding_side = "left"
        encoded = processor(images=images, text=texts, padding=True, return_tensors="pt")
        encoded = encoded.to(device)
        for key in list(encoded.keys()):
            value = encoded[key]
            if hasattr(value, "is_floating_point") and value.is_floating_point():
                encoded[key] = value.to(model.dtype)
        generation = self._generation_kwargs(model, options)
        pad = getattr(tokenizer, "pad_token_id", None)
        if pad is not None:
            generation.setdefault("pad_token_id", pad)
        return {"encoded": encoded, "generation": generation}

    def _forward(self, task, model, inputs, options):
        return model.generate(**inputs["encoded"], **inputs["generation"])

    def _eos_ids(self, model, tokenizer):
        ids = set()
        for source in (getattr(model, "generation_config", None), getattr(model.config, "text_config", None)):
            eos = getattr(source, "eos_token_id", None)
            if eos is not None:
                ids.update(eos if isinstance(eos, (list, tuple)) else [eos])
        if not ids and getattr(tokenizer, "eos_token_id", None) is not None:
            ids.add(tokenizer.eos_token_id)
        return ids

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        tokenizer = getattr(processor, "tokenizer", None) or processor
        sequences = outputs.sequences if hasattr(outputs, "sequences") else outputs
        prompt_length = inputs["encoded"]["input_ids"].shape[1]
        eos = self._eos_ids(model, tokenizer)
        token_ids = self._cut_at_eos(sequences[:, prompt_length:].tolist(), eos)
        texts = [tokenizer.decode(kept, skip_special_tokens=True).strip() for kept in token_ids]
        generation = dict(inputs["generation"])
        generation.pop("pad_token_id", None)
        return {"generated_text": texts, "generated_token_ids": token_ids, "count": len(texts), "generation": generation}

    def _mock_result(self, task, batch, single, options):
        # Deterministic text for host tests without a model; labelled MOCK by the caller.
        kwargs = self._generation_kwargs(None, options)
        words = ["mock", "answer", "text"]
        texts = []
        for item in batch:
            n = len(item.get("prompt") or "") + len(item["images"])
            texts.append(" ".join(words[(n + j) % 3] for j in range(kwargs["max_new_tokens"])))
        return {"generated_text": texts, "count": len(texts), "generation": kwargs}

