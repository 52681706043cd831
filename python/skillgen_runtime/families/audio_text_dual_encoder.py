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
    "count" is the number of audio inputs (of texts when none).
    Perception Encoder audio (pe_audio: PeAudioModel) names its towers get_audio_embeds /
    get_text_audio_embeds (text alone: its forward's text path) and its output logits_audio_text (a dot product scaled and shifted by
    the model, trained with a sigmoid loss): the same keys come back, "logits_per_audio" being
    the model's logits_audio_text and "probabilities" their sigmoid ("probability": "sigmoid")."""

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
            # PE's extractor pads a batch only when asked (CLAP's pads or crops every clip itself).
            pad = {"padding": True} if self._pe(model) else {}
            features = extractor(waves, sampling_rate=rate, return_tensors="pt", **pad)
            encoded.update(self._feature_tensors(features, device, model))
        if batch["texts"] is not None:
            encoded.update(self._encode_texts(processor, batch["texts"], device, 512))
        return {"encoded": encoded, "texts": batch["texts"]}

    def _pe(self, model):
        # Perception Encoder audio: towers under other names (get_audio_embeds, get_text_audio_embeds).
        return callable(getattr(model, "get_text_audio_embeds", None))

    def _forward(self, task, model, inputs, options):
        if self._pe(model):
            return self._pe_outputs(model, inputs["encoded"])
        one_pass = options.get("normalize", True)
        return self._tower_outputs(model, inputs["encoded"], ("input_features", "is_longer"), "audio", one_pass)

    def _pe_outputs(self, model, encoded):
        """PE audio's towers: its forward when both sides are given (embeddings and logits from
        one call), else get_audio_embeds / get_text_audio_embeds."""
        media_keys = ("input_values", "padding_mask")
        media = {k: encoded[k] for k in media_keys if k in encoded}
        text = {k: v for k, v in encoded.items() if k not in media_keys}
        if media and text:
            out = model(**encoded)
            return {"audio_embeds": out.audio_embeds, "text_embeds": out.text_audio_embeds, "logits_per_audio": out.logits_audio_text}
        if media:
            return {"audio_embeds": model.get_audio_embeds(**media)}
        # As the forward computes it: get_text_audio_embeds (transformers 5.24) reads the text
        # model's hidden_states without asking for them, so it fails on a default config.
        hidden = model.text_model(**text, output_hidden_states=True).hidden_states[-1]
        return {"text_embeds": model.text_audio_head(hidden[:, 0])}

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        result, normed = self._embedding_result(outputs, ("audio_embeds", "text_embeds"), options)
        if "logits_per_audio" in outputs:
            logits = outputs["logits_per_audio"].float()
            pair = (normed["audio_embeds"], normed["text_embeds"])
            sigmoid = self._pe(model)
            probs = logits.sigmoid() if sigmoid else logits.softmax(dim=-1)
            self._zero_shot_scores(result, "logits_per_audio", logits, probs, inputs["texts"], options, pair)
            if sigmoid:
                result["probability"] = "sigmoid"
        return result

    def _mock_result(self, task, batch, single, options):
        clips = batch["audio"]
        return self._mock_embeddings("audio_embeds", None if clips is None else list(range(len(clips))), batch["texts"], options)

