"""The speech ctc family: CTC speech recognition (audio -> transcription), or audio classification."""

from ..base import Skillset
from ..labels import Labels
from ..media import Audio


class SpeechCtc(Labels, Audio, Skillset):
    """CTC speech-recognition skillset: audio or a list of audio -> transcription per input.

    Input: a 1-D float waveform (list, numpy array or tensor; 16 kHz unless "sampling_rate" says
    otherwise, resampled to the feature extractor's rate), a WAV file path or WAV bytes, or a list
    of them; or a dict {"audio": one or a list, "sampling_rate": n}. Output keeps the batch
    dimension: {"text": [transcription per input], "count": n}. Decoding is greedy: the argmax
    of the CTC logits per frame, collapsed by the tokenizer's batch_decode. For speech
    recognition the checkpoint must have a CTC head: a pretraining-only checkpoint is refused at
    load instead of being given a random CTC head. A checkpoint with an audio-classification head
    (…ForSequenceClassification) gets task audio_classification: {"logits", "predictions": top-k
    labels from id2label per input, "count"}, option "top_k"."""

    FAMILY = "speech_ctc"
    HALF_PRECISION = True
    OPTIONS = {"speech_recognition": (), "audio_classification": ("top_k",)}

    # ---- speech CTC: load ----

    def _load_processor(self, model, task, config):
        if task == "audio_classification":
            return self.transformers.AutoFeatureExtractor.from_pretrained(model, **self._hub_kwargs(model))
        # Called before _load_model: refuse a checkpoint without a CTC head before any loading.
        heads = list(getattr(config, "architectures", None) or ())
        if heads and not any(self.HEAD_TASKS.get(head) == "speech_recognition" for head in heads):
            raise ValueError(
                repr(model) + " is a " + ", ".join(heads) + " checkpoint, not a CTC head: loading it for "
                "speech recognition would add an untrained CTC layer"
            )
        return self._speech_processor(model, "CTC tokenizer")

    def _sample_input(self, task):
        return self._sample_waveform()

    # ---- speech CTC: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        batch, single, options = self._split_audio_input(x, self.OPTIONS[task])
        self._check_top_k(options)
        return batch, single, options

    def _preprocess(self, task, processor, batch, options, device, model):
        extractor = getattr(processor, "feature_extractor", processor)
        waves = self._decode_audio(batch, options, extractor.sampling_rate)
        encoded = extractor(waves, sampling_rate=extractor.sampling_rate, padding=True, return_tensors="pt")
        return {"features": self._feature_tensors(encoded, device, model)}

    def _forward(self, task, model, inputs, options):
        return model(**inputs["features"])

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        if task == "audio_classification":
            return self._classification_result(model, outputs.logits, options)
        ids = outputs.logits.argmax(dim=-1).cpu()
        texts = processor.tokenizer.batch_decode(ids)
        return {"text": texts, "count": len(texts)}

    def _mock_result(self, task, batch, single, options):
        # Deterministic output for host tests without a model; labelled MOCK by the caller.
        if task == "audio_classification":
            return self._mock_classification(len(batch), options)
        texts = ["mock transcription " + str(i) for i in range(len(batch))]
        return {"text": texts, "count": len(texts)}

