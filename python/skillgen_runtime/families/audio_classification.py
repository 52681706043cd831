"""The audio classification family: audio classification (audio -> top-k labels), and audio
embeddings from a base audio model (mean-pooled last_hidden_state, like transformers'
feature-extraction pipeline)."""

from ..base import Skillset
from ..errors import SkillInputError
from ..labels import Labels
from ..media import Audio


class AudioClassification(Labels, Audio, Skillset):
    """Audio-classification skillset: audio or a list of audio -> top-k labels per input.

    Input: a 1-D float waveform (list, numpy array or tensor; 16 kHz unless "sampling_rate" says
    otherwise, resampled to the feature extractor's rate), a WAV file path or WAV bytes, or a list
    of them; or a dict {"audio": one or a list, "sampling_rate": n, "top_k": k}. Scores are the
    softmax of the logits (sigmoid when config.problem_type is multi_label_classification), labels
    come from config.id2label. Output keeps the batch dimension: {"logits": tensor [n, labels],
    "predictions": [[{"label", "score"}, ...] per input], "count": n}.

    audio_embedding (a base audio model, data/detection.toml [[base_model]]): the same inputs, with
    option "normalize" (L2-normalise the rows) -> {"embeddings": tensor [n, hidden] (the mean of
    last_hidden_state over time; over valid frames where the tower returns their mask, as
    gemma3n_audio does), "dimensions", "count"}."""

    FAMILY = "audio_classification"
    PROCESSOR_CLASS = "AutoFeatureExtractor"
    HALF_PRECISION = True
    OPTIONS = ("top_k",)
    EMBEDDING_OPTIONS = ("normalize",)

    # ---- audio classification: load ----

    def _sample_input(self, task):
        if task == "audio_embedding":
            return {"audio": self._sample_waveform()}
        return {"audio": self._sample_waveform(), "top_k": 3}

    # ---- audio classification: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        if task == "audio_embedding":
            batch, single, options = self._split_audio_input(x, self.EMBEDDING_OPTIONS)
            if not isinstance(options.get("normalize", False), bool):
                raise SkillInputError("normalize must be true or false, not " + repr(options["normalize"]))
            return batch, single, options
        batch, single, options = self._split_audio_input(x, self.OPTIONS)
        self._check_top_k(options)
        return batch, single, options

    def _preprocess(self, task, extractor, batch, options, device, model):
        rate = getattr(extractor, "sampling_rate", None) or self.TARGET_SAMPLING_RATE
        waves = self._decode_audio(batch, options, rate)
        # padding=True lets ragged batches through extractors that pad to the longest input
        # (wav2vec2-style); fixed-window extractors (AST) pad to their window regardless.
        # Whisper-style extractors (n_samples) pad to their fixed window by default, and encoders
        # built on them (audio towers of speech LLMs) require that window.
        padding = "max_length" if task == "audio_embedding" and getattr(extractor, "n_samples", None) else True
        encoded = extractor(waves, sampling_rate=rate, padding=padding, return_tensors="pt")
        return {"features": self._feature_tensors(encoded, device, model)}

    def _forward(self, task, model, inputs, options):
        features = inputs["features"]
        if task == "audio_embedding" and self._takes_audio_mel(model):
            # Gemma3n's audio tower, called as Gemma3nModel calls it: the extractor's mel as
            # `audio_mel` and its mask inverted (the tower's mask is True on padding).
            if "input_features_mask" not in features:
                raise SkillInputError(type(model).__name__ + " takes audio_mel and its mask, but the feature extractor gives no input_features_mask")
            return model(audio_mel=features["input_features"], audio_mel_mask=~features["input_features_mask"].bool())
        return model(**features)

    def _takes_audio_mel(self, model):
        import inspect

        try:
            return "audio_mel" in inspect.signature(getattr(model, "forward", model)).parameters
        except (TypeError, ValueError):
            return False

    def _postprocess(self, task, model, extractor, inputs, outputs, single, options):
        if task == "audio_embedding":
            return self._audio_embeddings(outputs, options)
        return self._classification_result(model, outputs.logits, options)

    def _audio_embeddings(self, outputs, options):
        hidden = getattr(outputs, "last_hidden_state", None)
        if hidden is None:
            hidden = outputs[0]
        padding = getattr(outputs, "audio_mel_mask", None)
        if hidden.dim() == 3 and padding is not None:
            # Gemma3n's audio tower returns its frames' padding mask: the mean over valid frames.
            valid = (~padding.bool()).unsqueeze(-1).to(hidden.dtype)
            hidden = (hidden * valid).sum(dim=1) / valid.sum(dim=1).clamp(min=1)
        elif hidden.dim() == 3:
            # [n, frames, hidden]: the mean over time (frames are not the input samples, so no mask).
            hidden = hidden.mean(dim=1)
        embeddings = hidden.reshape(hidden.shape[0], -1).float()
        if options.get("normalize"):
            embeddings = self.torch.nn.functional.normalize(embeddings, p=2, dim=1)
        return {"embeddings": embeddings.cpu(), "dimensions": int(embeddings.shape[-1]), "count": int(embeddings.shape[0])}

    def _mock_result(self, task, batch, single, options):
        # Deterministic labels or embeddings for host tests without a model; labelled MOCK by the caller.
        if task == "audio_embedding":
            dims = int(self.metadata.get("mock_dimensions", 32))
            seeds = [len(item) if hasattr(item, "__len__") else 1 for item in batch]
            rows = [[((s + 7 * j) % 17) / 17.0 for j in range(dims)] for s in seeds]
            return {"embeddings": rows, "dimensions": dims, "count": len(batch)}
        return self._mock_classification(len(batch), options)

