"""The text encoder decoder family: text encoder-decoder (sequence-to-sequence text generation)."""

from ..base import Skillset
from ..generation import Generation


class TextEncoderDecoder(Generation, Skillset):
    """Text encoder-decoder skillset: str or list[str] -> generated text per input.

    Input: a str, a list of str, or a dict {"text": str | list} with generation options
    "max_new_tokens", "do_sample", "temperature", "top_p", "top_k", "num_beams". Defaults come
    from the model's generation_config (max_new_tokens 20 when it sets none). Output keeps the
    batch dimension, one entry per input even for a single str: {"generated_text": [...],
    "generated_token_ids": [[decoder tokens after the start token], ...], "count", "generation"}."""

    FAMILY = "text_encoder_decoder"
    PROCESSOR_CLASS = "AutoTokenizer"
    HALF_PRECISION = True
    SAMPLE_TEXT = "translate English to German: The house is wonderful."

    # ---- text encoder-decoder: load ----

    def _sample_input(self, task):
        return {"text": self.SAMPLE_TEXT, "max_new_tokens": 8, "do_sample": False}

    # ---- text encoder-decoder: preprocess -> generate -> postprocess ----

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "text")
        batch, single = self._text_batch(x, "a string, a list of strings, or a dict with 'text'")
        return batch, single, options

    def _preprocess(self, task, tokenizer, batch, options, device, model):
        generation = self._generation_kwargs(model, options)
        encoded = tokenizer(batch, padding=True, truncation=True, return_tensors="pt")
        return {"encoded": encoded.to(device), "generation": generation}

    def _postprocess(self, task, model, tokenizer, inputs, outputs, single, options):
        # Each row starts with the decoder start token, which is not generated text.
        return self._generation_result(model, tokenizer, outputs[:, 1:], inputs)

