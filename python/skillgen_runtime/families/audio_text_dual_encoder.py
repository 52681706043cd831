"""The audio text dual encoder family: audio-text dual encoder (audio/text embeddings, similarity, zero-shot labels)."""

from ..base import SkillInputError, Skillset
from ..dual_encoder import DualEncoder
from ..media import Audio


class AudioTextDualEncoder(DualEncoder, Audio, Skillset):
    """Audio-text dual encoder skillset (CLAP): audio and/or texts -> embeddings in one space.

    Input: {"audio": waveform | [waveforms], "text": str | [str], "sampling_rate": n} (audio and/or
    text), a bare str / list of str (texts), or a bare waveform / list of them. Audio: 1-D float
    arrays (16 kHz unless "sampling_rate" says otherwise; resampled to the feature extractor's
    rate, 48 kHz for CLAP), WAV paths or bytes, or {"array", "sampling_rate"} dicts.
    Output: "audio_embeds" [n_audio, dim] and/or "text_embeds" [n_texts, dim] (projected
    features, L2-normalised unless "normalize": False). With both: "similarity" [n_audio, n_texts]
    (cosine), "logits_per_audio" (the model's scaled logits), "probabilities" (softmax over the
    texts per audio) and "predictions": per audio the texts ranked ("top_k" limits them).
    "count" is the number of audio inputs (of texts when none)."""

    FAMILY = "audio_text_dual_encoder"
    PROCESSOR_CLASS = "AutoProcessor"
    HALF_PRECISION = True
    SAMPLE_TEXTS = ["a dog barking", "a piano playing"]
    HYPOTHESIS_TEMPLATE = "This is a sound of {}."
    OPTIONS = ("normalize", "top_k", "sampling_rate")

    # ---- audio-text dual encoder: load ----

    def _sample_input(self, task):
        return {"audio": self._sample_waveform(), "text": list(self.SAMPLE_TEXTS)}

    # ---- audio-text dual encoder: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        """batch = {"audio": [raw audio items] or None, "texts": [str] or None}."""
        audio, text, options = self._split_pair(x, "audio")
        clips = None
        single = True
        if isinstance(audio, dict):
            clips = [audio]  # one {"array", "sampling_rate"} item
        elif audio is not None:
            clips, single, _ = self._split_audio_input(audio)
        texts, single = self._pair_texts(clips, single, text, "no audio and no text given")
        for i, item in enumerate(clips or ()):
            # Decoding waits for the extractor's sampling rate; the item's kind is checked now.
            inner = item.get("array", item.get("audio")) if isinstance(item, dict) else item
            if not (isinstance(inner, (str, bytes, bytearray, list, tuple)) or hasattr(inner, "shape")):
                raise SkillInputError("audio " + str(i) + " is " + type(inner).__name__ + "; expected a waveform, WAV path or bytes")
        self._check_dual_options(options)
        return {"audio": clips, "texts": texts}, single, options

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = {}
        if batch["audio"] is not None:
            extractor = getattr(processor, "feature_extractor", None) or processor
            rate = getattr(extractor, "sampling_rate", None) or self.TARGET_SAMPLING_RATE
            waves = self._decode_audio(batch["audio"], options, rate)
            features = extractor(waves, sampling_rate=rate, return_tensors="pt")
            encoded.update(self._feature_tensors(features, device, model))
        if batch["texts"] is not None:
            encoded.update(self._encode_texts(processor, batch["texts"], device, 512))
        return {"encoded": encoded, "texts": batch["texts"]}

    def _forward(self, task, model, inputs, options):
        one_pass = options.get("normalize", True)
        return self._tower_outputs(model, inputs["encoded"], ("input_features", "is_longer"), "audio", one_pass)

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result, normed = self._embedding_result(outputs, ("audio_embeds", "text_embeds"), options)
        if "logits_per_audio" in outputs:
            logits = outputs["logits_per_audio"].float()
            pair = (normed["audio_embeds"], normed["text_embeds"])
            self._zero_shot_scores(result, "logits_per_audio", logits, logits.softmax(dim=-1), inputs["texts"], options, pair)
        return result

    def _mock_result(self, task, batch, single, options):
        clips = batch["audio"]
        return self._mock_embeddings("audio_embeds", None if clips is None else list(range(len(clips))), batch["texts"], options)

