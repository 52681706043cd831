"""The speech transducer family: RNN-T / TDT speech recognition (parakeet_rnnt, parakeet_tdt,
nemotron ASR): audio -> transcription through the model's own transducer generate()."""

from .speech_seq2seq import SpeechSeq2seq


class SpeechTransducer(SpeechSeq2seq):
    """Speech-transducer skillset: audio or a list of audio -> transcription per input.

    Input: as speech_seq2seq (waveform, WAV path or bytes, a list, or {"audio": ..., "sampling_rate":
    n}), with no generation options: a transducer decodes with its own generation config, as
    transformers' automatic-speech-recognition pipeline runs it. Each input runs alone (the
    pipeline's way): the feature extractor, generate() on the main input and attention mask, then
    the tokenizer's decode without CTC grouping (a transducer emits repeated tokens on purpose),
    special and blank tokens skipped. Output: {"text": [transcription per input], "count": n}."""

    FAMILY = "speech_transducer"
    HALF_PRECISION = False
    OPTIONS = ()

    def _sample_input(self, task):
        return {"audio": self._sample_waveform()}

    def _split_input(self, task, x):
        return self._split_audio_input(x, self.OPTIONS)

    def _preprocess(self, task, processor, batch, options, device, model):
        extractor = processor.feature_extractor
        waves = self._decode_audio(batch, options, extractor.sampling_rate)
        features = []
        for wave in waves:
            encoded = extractor(wave, sampling_rate=extractor.sampling_rate, return_tensors="pt")
            # The main input and its mask only, as the pipeline passes them.
            keep = {k: encoded[k] for k in (model.main_input_name, "attention_mask") if k in encoded}
            features.append(self._feature_tensors(keep, device, model))
        return {"features": features}

    def _forward(self, task, model, inputs, options):
        return [model.generate(**features) for features in inputs["features"]]

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        texts = []
        for output in outputs:
            sequence = getattr(output, "sequences", output)[0]
            texts.append(processor.tokenizer.decode(sequence.cpu(), skip_special_tokens=True, group_tokens=False))
        return {"text": texts, "count": len(texts)}

    def _mock_result(self, task, batch, single, options):
        # Deterministic text for host tests without a model; labelled MOCK by the caller.
        texts = ["mock transcription " + str(i) for i in range(len(batch))]
        return {"text": texts, "count": len(texts)}
