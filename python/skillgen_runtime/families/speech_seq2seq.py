"""The speech seq2seq family: sequence-to-sequence speech recognition (audio -> transcription)."""

from ..base import SkillInputError, Skillset
from ..media import Audio


class SpeechSeq2seq(Audio, Skillset):
    """Speech sequence-to-sequence skillset: audio or a list of audio -> transcription per input.

    Input: a 1-D float waveform (list, numpy array or tensor; 16 kHz unless "sampling_rate" says
    otherwise, resampled to the feature extractor's rate), a WAV file path or WAV bytes, or a list
    of them; or a dict {"audio": one or a list, "sampling_rate": n, "max_new_tokens": n,
    "num_beams": n, "language": "en", "task": "transcribe" | "translate"}. Decoding is greedy
    unless num_beams > 1. "language"/"task" reach generate() only when the model's
    generation_config has lang_to_id/task_to_id (multilingual Whisper); otherwise they are
    listed under "ignored_options". Audio longer than the feature extractor's window (30 s for
    Whisper) is cut to it and flagged in "truncated". Output keeps the batch dimension:
    {"text": [transcription per input], "count": n, "generation": {...}}."""

    FAMILY = "speech_seq2seq"
    HALF_PRECISION = True
    OPTIONS = ("max_new_tokens", "num_beams", "language", "task")

    # ---- speech seq2seq: load ----

    def _load_processor(self, model, task, config):
        return self._speech_processor(model, "tokenizer")

    def _sample_input(self, task):
        return {"audio": self._sample_waveform(), "max_new_tokens": 8}

    # ---- speech seq2seq: preprocess -> generate -> postprocess ----

    def _split_input(self, task, x):
        batch, single, options = self._split_audio_input(x, self.OPTIONS)
        for name, low in (("max_new_tokens", 1), ("num_beams", 1)):
            value = options.get(name, low)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise SkillInputError(name + " must be an integer >= " + str(low) + ", not " + repr(value))
        for name in ("language", "task"):
            if name in options and not isinstance(options[name], str):
                raise SkillInputError(name + " must be a string, not " + repr(options[name]))
        if options.get("task", "transcribe") not in ("transcribe", "translate"):
            raise SkillInputError("task must be 'transcribe' or 'translate', not " + repr(options["task"]))
        return batch, single, options

    def _generation_kwargs(self, model, options):
        """generate() arguments and the options this model cannot take (language/task)."""
        config = getattr(model, "generation_config", None)
        kwargs, ignored = {}, []
        for name in ("max_new_tokens", "num_beams"):
            if name in options:
                kwargs[name] = options[name]
        for name, table in (("language", "lang_to_id"), ("task", "task_to_id")):
            if name in options:
                if getattr(config, table, None):
                    kwargs[name] = options[name]
                else:
                    ignored.append(name)
        return kwargs, ignored

    def _preprocess(self, task, processor, batch, options, device, model):
        extractor = processor.feature_extractor
        waves = self._decode_audio(batch, options, extractor.sampling_rate)
        encoded = extractor(waves, sampling_rate=extractor.sampling_rate, return_tensors="pt")
        window = getattr(extractor, "n_samples", None)
        truncated = [bool(window) and wave.size > window for wave in waves]
        generation, ignored = self._generation_kwargs(model, options)
        return {
            "features": self._feature_tensors(encoded, device, model),
            "generation": generation,
            "ignored": ignored,
            "truncated": truncated,
            "window": window,
        }

    def _forward(self, task, model, inputs, options):
        return model.generate(**inputs["features"], **inputs["generation"])

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        sequences = getattr(outputs, "sequences", outputs)
        texts = [text.strip() for text in processor.tokenizer.batch_decode(sequences.cpu(), skip_special_tokens=True)]
        result = {"text": texts, "count": len(texts), "generation": dict(inputs["generation"])}
        notes = []
        if inputs["ignored"]:
            result["ignored_options"] = list(inputs["ignored"])
            notes.append("this model's generation_config has no language/task tables; " + ", ".join(inputs["ignored"]) + " not used")
        if any(inputs["truncated"]):
            result["truncated"] = inputs["truncated"]
            notes.append("audio longer than " + str(inputs["window"]) + " samples was cut to the feature extractor's window")
        if notes:
            result["note"] = "; ".join(notes)
        return result

    def _mock_result(self, task, batch, single, options):
        # Deterministic text for host tests without a model; labelled MOCK by the caller.
        texts = ["mock transcription " + str(i) for i in range(len(batch))]
        return {"text": texts, "count": len(texts), "generation": {k: options[k] for k in self.OPTIONS if k in options}}

