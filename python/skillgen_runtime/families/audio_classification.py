"""The audio classification family: audio classification (audio -> top-k labels)."""

from ..base import Skillset
from ..labels import Labels
from ..media import Audio


class AudioClassification(Labels, Audio, Skillset):
    """Audio-classification skillset: audio or a list of audio -> top-k labels per input.

    Input: a 1-D float waveform (list, numpy array or tensor; 16 kHz unless "sampling_rate" says
    otherwise, resampled to the feature extractor's rate), a WAV file path or WAV bytes, or a list
    of them; or a dict {"audio": one or a list, "sampling_rate": n, "top_k": k}. Scores are the
    softmax of the logits (sigmoid when config.problem_type is multi_label_classification), labels
    come from config.id2label. Output keeps the batch dimension: {"logits": tensor [n, labels],
    "predictions": [[{"label", "score"}, ...] per input], "count": n}."""

    FAMILY = "audio_classification"
    PROCESSOR_CLASS = "AutoFeatureExtractor"
    HALF_PRECISION = True
    OPTIONS = ("top_k",)

    # ---- audio classification: load ----

    def _sample_input(self, task):
        return {"audio": self._sample_waveform(), "top_k": 3}

    # ---- audio classification: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        batch, single, options = self._split_audio_input(x, self.OPTIONS)
        self._check_top_k(options)
        return batch, single, options

    def _preprocess(self, task, extractor, batch, options, device, model):
        rate = getattr(extractor, "sampling_rate", None) or self.TARGET_SAMPLING_RATE
        waves = self._decode_audio(batch, options, rate)
        # padding=True lets ragged batches through extractors that pad to the longest input
        # (wav2vec2-style); fixed-window extractors (AST) pad to their window regardless.
        encoded = extractor(waves, sampling_rate=rate, padding=True, return_tensors="pt")
        return {"features": self._feature_tensors(encoded, device, model)}

    def _forward(self, task, model, inputs, options):
        return model(**inputs["features"])

    def _postprocess(self, task, model, extractor, inputs, outputs, single, options):
        return self._classification_result(model, outputs.logits, options)

    def _mock_result(self, task, batch, single, options):
        # Deterministic labels for host tests without a model; labelled MOCK by the caller.
        return self._mock_classification(len(batch), options)

