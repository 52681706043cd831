"""The audio codec family: neural audio codecs (encodec, dac, mimi, xcodec, wavtokenizer) that turn
a waveform into discrete codes and the codes back into a waveform."""

from ..base import Skillset
from ..errors import SkillInputError
from ..media import Audio


class AudioCodec(Audio, Skillset):
    """Audio-tokenization skillset: audio or a list of audio -> the codec's discrete codes per input.

    Input: a 1-D float waveform (list, numpy array or tensor; 16 kHz unless "sampling_rate" says
    otherwise, resampled to the feature extractor's rate), a WAV file path or WAV bytes, or a list
    of them; or a dict {"audio": one or a list, "sampling_rate": n, "reconstruct": bool}. Each input
    runs alone through the feature extractor and the model's forward (encode, then decode), so a
    batch never pads one input with another's length. Output keeps the batch dimension:
    {"codes": [per input, the model's code tensor for it as nested int lists, batch axis dropped:
    [quantizers, frames], EnCodec's chunked layout [chunks, quantizers, frames]], "code_shapes",
    "sampling_rate", "count"}; with "reconstruct": true also "audio" (tensor [n, longest], the
    decoded waveforms cut to each input's length, zero-padded) and "lengths"."""

    FAMILY = "audio_codec"
    PROCESSOR_CLASS = "AutoFeatureExtractor"
    OPTIONS = ("reconstruct",)

    def _sample_input(self, task):
        return {"audio": self._sample_waveform(0.5), "reconstruct": True}

    def _split_input(self, task, x):
        batch, single, options = self._split_audio_input(x, self.OPTIONS)
        if not isinstance(options.get("reconstruct", False), bool):
            raise SkillInputError("reconstruct must be true or false, not " + repr(options["reconstruct"]))
        return batch, single, options

    def _preprocess(self, task, extractor, batch, options, device, model):
        import inspect

        rate = getattr(extractor, "sampling_rate", None) or self.TARGET_SAMPLING_RATE
        waves = self._decode_audio(batch, options, rate)
        # Only what forward takes: extractors also return a padding_mask that some codecs (DAC)
        # have no parameter for.
        accepted = inspect.signature(model.forward).parameters
        encoded = []
        for wave in waves:
            features = extractor(wave, sampling_rate=rate, return_tensors="pt")
            encoded.append(self._feature_tensors({k: v for k, v in features.items() if k in accepted}, device, model))
        return {"encoded": encoded, "lengths": [int(w.shape[0]) for w in waves], "rate": int(rate)}

    def _forward(self, task, model, inputs, options):
        return [model(**features) for features in inputs["encoded"]]

    def _postprocess(self, task, model, extractor, inputs, outputs, single, options):
        codes, shapes, waves = [], [], []
        for length, output in zip(inputs["lengths"], outputs):
            found = output.audio_codes
            # The batch axis (one input): EnCodec's codes are [chunks, batch, quantizers, frames].
            found = found[:, 0] if found.dim() == 4 else found[0]
            codes.append(found.cpu().tolist())
            shapes.append(list(found.shape))
            if options.get("reconstruct"):
                audio = getattr(output, "audio_values", None)
                if audio is None:
                    raise SkillInputError("this codec returns no reconstruction (no audio_values); ask without reconstruct")
                waves.append(audio[0].reshape(-1)[:length].float().cpu())
        result = {"codes": codes, "code_shapes": shapes, "sampling_rate": inputs["rate"], "count": len(codes)}
        if options.get("reconstruct"):
            longest = max(int(w.shape[0]) for w in waves)
            audio = self.torch.zeros(len(waves), longest)
            for i, w in enumerate(waves):
                audio[i, : w.shape[0]] = w
            result["audio"] = audio
            result["lengths"] = [int(w.shape[0]) for w in waves]
        return result

    def _mock_result(self, task, batch, single, options):
        # Deterministic codes for host tests without a model; labelled MOCK by the caller.
        seeds = [len(item) if hasattr(item, "__len__") else 1 for item in batch]
        codes = [[[(s + 3 * q + 5 * f) % 32 for f in range(8)] for q in range(2)] for s in seeds]
        result = {"codes": codes, "code_shapes": [[2, 8] for _ in codes], "sampling_rate": self.TARGET_SAMPLING_RATE, "count": len(codes)}
        if options.get("reconstruct"):
            result["audio"] = [[0.0] * 8 for _ in codes]
            result["lengths"] = [8 for _ in codes]
        return result
