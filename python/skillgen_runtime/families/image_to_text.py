"""The image to text family: image to text (captioning with generate), and generative visual
question answering (BlipForQuestionAnswering)."""

from ..base import SkillInputError, Skillset
from ..generation import Generation
from ..media import Images
from ..vqa import VisualQuestions


class ImageToText(VisualQuestions, Generation, Images, Skillset):
    """Image-to-text skillset: image(s) -> caption(s) with the model's generate().

    Input: an image or a list of images (PIL image, file path, bytes, HxWxC array or tensor), or
    a dict {"image": ..., "prompt": str} where the prompt is a text prefix the caption continues
    (one prompt for every image), with generation options "max_new_tokens", "do_sample",
    "temperature", "top_p", "top_k", "num_beams" (greedy and the model's generation_config by
    default; max_new_tokens 20 when it sets none). Output keeps the batch dimension:
    {"generated_text": [caption, ...] (the prompt prefix included, as transformers' image-to-text
    pipeline returns it), "generated_token_ids": [[new token ids], ...], "count", "generation"}."""

    FAMILY = "image_to_text"
    GENERATION_INPUT_KEYS = ("image", "prompt")
    GENERATION_EXTRA_KEYS = ("prompt",)
    HALF_PRECISION = True
    # OpenVINO without optimum-intel (2.2 cannot export blip or git, and its vision-encoder-decoder
    # IR fails CPU shape inference): per torch model class, what generate() runs per step,
    # converted (openvino_convert.ConvertedGenerator).
    # Not GIT: the converted path decodes without KV cache, and transformers 5.5.4's GIT generate()
    # with its cache gives other tokens than its own full forward (measured on the tiny fixture:
    # [101, 61, 61] continues with 70 cached, 61 by a 1.9 logit margin uncached), so its CPU
    # answer cannot be matched; it falls back to CPU torch, labelled.
    OPENVINO_GENERATION_MODULES = {
        "VisionEncoderDecoderModel": ("encoder", "decoder"),
        "BlipForConditionalGeneration": ("vision_model", "text_decoder"),
        "BlipForQuestionAnswering": ("vision_model", "text_encoder", "text_decoder"),
    }



    class _ImageTextProcessor:
        """An image processor and a tokenizer as one object, for checkpoints without a processor
        class (vision-encoder-decoder); encode/decode go to the tokenizer."""

        def __init__(self, image_processor, tokenizer):
            self.image_processor = image_processor
            self.tokenizer = tokenizer

        def __call__(self, images=None, text=None, **kwargs):
            out = {}
            if images is not None:
                out.update(self.image_processor(images=images, return_tensors=kwargs.get("return_tensors")))
            if text is not None:
                out.update(self.tokenizer(text, **kwargs))
            return out

        def encode(self, *args, **kwargs):
            return self.tokenizer.encode(*args, **kwargs)

        def decode(self, *args, **kwargs):
            return self.tokenizer.decode(*args, **kwargs)

        def batch_decode(self, *args, **kwargs):
            return self.tokenizer.batch_decode(*args, **kwargs)

    # ---- image to text: load ----

    def _load_processor(self, model, task, config):
        transformers = self.transformers
        hub = self._hub_kwargs(model)
        try:
            processor = transformers.AutoProcessor.from_pretrained(model, **hub)
        except Exception:
            processor = None
        if processor is not None and hasattr(processor, "image_processor") and hasattr(processor, "tokenizer"):
            return processor
        image_processor = transformers.AutoImageProcessor.from_pretrained(model, **hub)
        tokenizer = transformers.AutoTokenizer.from_pretrained(model, **hub)
        return self._ImageTextProcessor(image_processor, tokenizer)

    def _sample_input(self, task):
        if task == "visual_question_answering":
            return dict(self._vqa_sample(), max_new_tokens=8)
        image = self._sample_image()
        return {"image": image, "max_new_tokens": 8}

    # ---- image to text: preprocess -> generate -> postprocess ----

    def _split_input(self, task, x):
        if task == "visual_question_answering":
            pairs, single, options = self._split_vqa(x)
            if "top_k" in options:
                raise SkillInputError("top_k: a generative VQA model gives one answer per question")
            self._generation_kwargs(None, options)
            return pairs, single, options
        x, options = self._dict_input(x, "image")
        prompt = options.pop("prompt", None)
        if prompt is not None and not isinstance(prompt, str):
            raise SkillInputError("prompt must be a str, not " + type(prompt).__name__)
        self._generation_kwargs(None, options)
        images, single = self._image_batch(x)
        options["prompt"] = prompt or None
        return images, single, options

    def _tokenizer_of(self, processor):
        return getattr(processor, "tokenizer", None) or processor

    def _preprocess(self, task, processor, images, options, device, model):
        if task == "visual_question_answering":
            # The question is the text input; generate() answers it (transformers 4's
            # visual-question-answering pipeline for generative heads).
            encoded = processor(images=[i for i, _ in images], text=[q for _, q in images], padding=True, truncation=True, return_tensors="pt")
            encoded = self._to_device(dict(encoded), model, device)
            return {"encoded": encoded, "generation": self._generation_kwargs(model, options)}
        torch = self.torch
        config = model.config
        model_type = getattr(config, "model_type", None)
        tokenizer = self._tokenizer_of(processor)
        prompt = options.get("prompt")
        n = len(images)
        if model_type in ("vision-encoder-decoder", "git"):
            encoded = dict(processor.image_processor(images=images, return_tensors="pt"))
            prefix = 1
            if prompt:
                # The caption continues the prompt: vision-encoder-decoder's decoder start token, or
                # GIT's [CLS], then the prompt's tokens (no trailing [SEP], which would end the text).
                if model_type == "git":
                    start, key = tokenizer.cls_token_id, "input_ids"
                else:
                    start, key = config.decoder_start_token_id, "decoder_input_ids"
                ids = [start] + tokenizer(prompt, add_special_tokens=False)["input_ids"]
                encoded[key] = torch.tensor([ids] * n, dtype=torch.long)
                prefix = len(ids)
        else:
            # blip, pix2struct and other processors: the processor builds the model inputs.
            if prompt:
                encoded = dict(processor(images=images, text=[prompt] * n, return_tensors="pt"))
            else:
                encoded = dict(processor(images=images, return_tensors="pt"))
            if getattr(config, "is_encoder_decoder", False) or "input_ids" not in encoded:
                prefix = 1
            elif model_type == "blip":
                prefix = encoded["input_ids"].shape[1] - 1  # BLIP drops the prompt's final [SEP]
            else:
                prefix = encoded["input_ids"].shape[1]
        for key, value in list(encoded.items()):
            if hasattr(value, "to"):
                value = value.to(device)
                if value.is_floating_point():
                    value = value.to(model.dtype)
                encoded[key] = value
        generation = self._generation_kwargs(model, {k: v for k, v in options.items() if k != "prompt"})
        return {"encoded": encoded, "generation": generation, "prefix": prefix}

    def _forward(self, task, model, inputs, options):
        return model.generate(**inputs["encoded"], **inputs["generation"])

    def _eos_ids(self, model, tokenizer):
        ids = set()
        text_config = getattr(model.config, "text_config", None)
        for source in (getattr(model, "generation_config", None), getattr(model.config, "decoder", None), text_config):
            eos = getattr(source, "eos_token_id", None)
            if eos is not None:
                ids.update(eos if isinstance(eos, (list, tuple)) else [eos])
        if getattr(model.config, "model_type", None) == "blip" and getattr(text_config, "sep_token_id", None) is not None:
            ids.add(text_config.sep_token_id)  # BLIP's generate() stops at [SEP]
        if not ids and getattr(tokenizer, "eos_token_id", None) is not None:
            ids.add(tokenizer.eos_token_id)
        return ids

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        tokenizer = self._tokenizer_of(processor)
        if task == "visual_question_answering":
            sequences = outputs.sequences if hasattr(outputs, "sequences") else outputs
            answers = [[{"answer": tokenizer.decode(row, skip_special_tokens=True).strip()}] for row in sequences.tolist()]
            return {"answers": answers, "count": len(answers), "generation": dict(inputs["generation"])}
        sequences = outputs.sequences if hasattr(outputs, "sequences") else outputs
        eos = self._eos_ids(model, tokenizer)
        prefix = inputs["prefix"]
        rows = sequences.tolist()
        token_ids = self._cut_at_eos([row[prefix:] for row in rows], eos)
        texts = [tokenizer.decode(row[:prefix] + kept, skip_special_tokens=True).strip() for row, kept in zip(rows, token_ids)]
        return {"generated_text": texts, "generated_token_ids": token_ids, "count": len(texts), "generation": dict(inputs["generation"])}

    def _mock_result(self, task, images, single, options):
        # Deterministic text for host tests without a model; labelled MOCK by the caller.
        if task == "visual_question_answering":
            return {"answers": [[{"answer": "mock answer"}] for _ in images], "count": len(images)}
        kwargs = self._generation_kwargs(None, options)
        words = ["mock", "caption", "text"]
        prompt = options.get("prompt") or ""
        texts = [(prompt + " " + " ".join(words[(i + j) % 3] for j in range(kwargs["max_new_tokens"]))).strip() for i in range(len(images))]
        return {"generated_text": texts, "count": len(texts), "generation": kwargs}

