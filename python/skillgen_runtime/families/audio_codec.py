"""The audio codec family: neural audio codecs (encodec, dac, mimi, xcodec, wavtokenizer) that turn
a waveform into discrete codes and the codes back into a waveform, and vocoders (HiFi-GAN) that turn
a spectrogram into a waveform."""

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
    decoded waveforms cut to each input's length, zero-padded) and "lengths". A continuous
    tokenizer (pocket_tts_audio_tokenizer, vibevoice_acoustic_tokenizer: latents, no codes) gives
    "latents" ([frames, dims] floats per input) and "latent_shapes" in place of "codes" and
    "code_shapes"; a sigma-VAE one (vibevoice) runs with sample=False (no noise added). An encoder half saved alone
    (mimi_encoder, wavtokenizer_encoder, pocket_tts_audio_tokenizer_encoder,
    vibevoice_acoustic_tokenizer_encoder) has no extractor: the waveform goes through its parent's,
    made at config.sampling_rate; no reconstruction; latents as the half returns them ([dims, frames]
    for Mimi's and pocket_tts's, whose parents transpose them; [frames, dims] for VibeVoice's).

    latents_to_audio (decoder halves saved alone: mimi_decoder, pocket_tts_audio_tokenizer_decoder,
    vibevoice_acoustic_tokenizer_decoder):
    latents [channels, frames] (channels = config.hidden_size, as the parent codec's decode hands its
    decoder; nested lists, array or tensor), a list of them or a [n, channels, frames] array, or
    {"latents": ...}; each runs alone through the model's forward -> output as for vocoders.

    spectrogram_to_audio (vocoders: speecht5_hifigan, fastspeech2_conformer_hifigan, univnet,
    qwen2_5_omni_bigvgan): a spectrogram [frames, mel bins] (nested lists, numpy array or tensor; the
    bins the model takes, config.model_in_dim, num_mel_bins or mel_dim; BigVGAN's is the log mel its
    token2wav DiT gives, handed over as [1, bins, frames]), a list of them or a [n, frames, bins] array, or
    {"spectrogram": ..., "seed": n}. Each runs alone through the model's forward; a vocoder that
    draws noise (UnivNet) draws it from a generator seeded with "seed" (0). -> {"audio": tensor
    [n, longest] zero-padded, "lengths", "sampling_rate" (config.sampling_rate; None where the
    config has none, as UnivNet's), "count"}."""

    FAMILY = "audio_codec"
    PROCESSOR_CLASS = "AutoFeatureExtractor"
    OPTIONS = ("reconstruct",)
    MEL_BINS = 80  # a mock vocoder's spectrogram bins (a loaded one says its own)
    HALF = False  # an encoder half with no extractor: raw audio in, no reconstruction
    CHANNELS = 16  # a mock decoder half's latent channels (a loaded one says its own)

    def _sample_input(self, task):
        if task == "spectrogram_to_audio":
            # A smooth 12-frame ramp over the loaded vocoder's bins.
            bins = self.MEL_BINS
            return {"spectrogram": [[0.1 * ((f + b) % 7) - 0.3 for b in range(bins)] for f in range(12)]}
        if task == "latents_to_audio":
            # 4 frames over the loaded decoder's channels, channels first as it takes them.
            return {"latents": [[0.1 * ((f + c) % 7) - 0.3 for f in range(4)] for c in range(self.CHANNELS)]}
        return {"audio": self._sample_waveform(0.5), "reconstruct": not self.HALF}

    def _load_processor(self, model, task, config):
        if task == "spectrogram_to_audio":
            # A vocoder takes the spectrogram itself; remember the bins it takes for checks.
            self.MEL_BINS = int(getattr(config, "model_in_dim", None) or getattr(config, "num_mel_bins", None) or getattr(config, "mel_dim", None) or self.MEL_BINS)
            return None
        if task == "latents_to_audio":
            # A decoder half takes latents [hidden_size, frames] itself (its docstring's shape).
            self.CHANNELS = int(config.hidden_size)
            return None
        mapping = self.transformers.models.auto.feature_extraction_auto.FEATURE_EXTRACTOR_MAPPING_NAMES
        if getattr(config, "model_type", None) not in mapping:
            # A codec half saved alone (mimi_encoder, ...): its model_type has no extractor; its
            # parent's, made at the half's rate (None where transformers names none: raw mono audio).
            self.HALF = True
            return self._parent_extractor(config, mapping)
        return super()._load_processor(model, task, config)

    def _parent_extractor(self, config, mapping):
        """The feature extractor of the model_type whose transformers module defines the half's
        config (vibevoice_acoustic_tokenizer for vibevoice_acoustic_tokenizer_encoder, mimi for
        mimi_encoder), at config.sampling_rate: the half gets its audio as the parent's
        encoder does (VibeVoice's extractor normalises the loudness; EnCodec's only shapes it)."""
        module = type(config).__module__.split(".")
        if len(module) < 3 or module[:2] != ["transformers", "models"]:
            return None
        to_module = self.transformers.models.auto.configuration_auto.model_type_to_module_name
        for parent, class_name in mapping.items():
            if parent != config.model_type and to_module(parent) == module[2] and hasattr(self.transformers, class_name):
                rate = getattr(config, "sampling_rate", None) or self.TARGET_SAMPLING_RATE
                return getattr(self.transformers, class_name)(sampling_rate=rate)
        return None

    def _split_input(self, task, x):
        if task in ("spectrogram_to_audio", "latents_to_audio"):
            return self._split_frames(task, x)
        batch, single, options = self._split_audio_input(x, self.OPTIONS)
        if not isinstance(options.get("reconstruct", False), bool):
            raise SkillInputError("reconstruct must be true or false, not " + repr(options["reconstruct"]))
        return batch, single, options

    def _split_frames(self, task, x):
        """Spectrograms [frames, bins] (vocoders) or latents [channels, frames] (decoder halves)."""
        latents = task == "latents_to_audio"
        what, layout = ("latents", "[channels, frames]") if latents else ("spectrogram", "[frames, bins]")
        x, options = self._dict_input(x, what, allowed=() if latents else ("seed",))
        seed = options.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SkillInputError("seed must be an integer >= 0, not " + repr(seed))
        np = self._numpy()
        if hasattr(x, "detach"):
            x = x.detach().cpu().float().numpy()
        if isinstance(x, (list, tuple)) and x and (hasattr(x[0], "shape") or hasattr(x[0], "detach") or self._depth(x) == 3):
            items, single = list(x), False
        else:
            items, single = [x], True
        batch = []
        for i, item in enumerate(items):
            if hasattr(item, "detach"):
                item = item.detach().cpu().float().numpy()
            try:
                array = np.asarray(item, dtype=np.float32)
            except (TypeError, ValueError):
                raise SkillInputError(what + " " + str(i) + " is not numeric (expected " + layout + " numbers)")
            if array.ndim == 3 and single:
                batch += list(array)
                single = False
                continue
            if array.ndim != 2 or array.shape[1 if latents else 0] == 0:
                raise SkillInputError(what + " " + str(i) + " must be " + layout + " with frames > 0, got shape " + str(tuple(array.shape)))
            if not np.isfinite(array).all():
                raise SkillInputError(what + " " + str(i) + " has NaN or infinite values")
            batch.append(array)
        for i, array in enumerate(batch):
            if latents and array.shape[0] != self.CHANNELS:
                raise SkillInputError("latents " + str(i) + " have " + str(array.shape[0]) + " channels; this decoder takes " + str(self.CHANNELS))
            if not latents and array.shape[1] != self.MEL_BINS:
                raise SkillInputError("spectrogram " + str(i) + " has " + str(array.shape[1]) + " bins; this vocoder takes " + str(self.MEL_BINS))
        return batch, single, options

    def _depth(self, x):
        depth = 0
        while isinstance(x, (list, tuple)) and x:
            x, depth = x[0], depth + 1
        return depth

    def _preprocess(self, task, extractor, batch, options, device, model):
        import inspect

        if task in ("spectrogram_to_audio", "latents_to_audio"):
            dtype = getattr(model, "dtype", None)
            return {"spectrograms": [self.torch.from_numpy(s).to(device=device, dtype=dtype) for s in batch]}
        if extractor is None:
            rate = getattr(model.config, "sampling_rate", None) or self.TARGET_SAMPLING_RATE
        else:
            rate = getattr(extractor, "sampling_rate", None) or self.TARGET_SAMPLING_RATE
        waves = self._decode_audio(batch, options, rate)
        # Only what forward takes: extractors also return a padding_mask that some codecs (DAC)
        # have no parameter for. The waveform (input_values) is kept: _forward passes it
        # positionally where forward calls it otherwise (VibeVoice's encoder half: hidden_states).
        accepted = set(inspect.signature(model.forward).parameters) | {"input_values"}
        encoded = []
        for wave in waves:
            if extractor is None:
                samples = self.torch.as_tensor(wave, dtype=self.torch.float32)
                features = {"input_values": samples[None, None], "padding_mask": self.torch.ones(1, samples.shape[0], dtype=self.torch.long)}
            else:
                features = extractor(wave, sampling_rate=rate, return_tensors="pt")
            encoded.append(self._feature_tensors({k: v for k, v in features.items() if k in accepted}, device, model))
        return {"encoded": encoded, "lengths": [int(w.shape[0]) for w in waves], "rate": int(rate)}

    def _forward(self, task, model, inputs, options):
        if task == "latents_to_audio":
            # Each alone (a batch axis added): no input padded with another's frames.
            outputs = [model(latents[None]) for latents in inputs["spectrograms"]]
            # VibeVoice's decoder names its waveform `audio`.
            return [o.audio_values if getattr(o, "audio_values", None) is not None else o.audio for o in outputs]
        if task == "spectrogram_to_audio":
            import inspect

            # Noise-drawing vocoders (UnivNet) draw noise [1, frames, model_in_channels] when given
            # none: drawn here as the model draws it, from a generator seeded with "seed", so equal
            # inputs give equal audio and the call is all tensors (what OpenVINO converts).
            parameters = inspect.signature(model.forward).parameters
            noisy = "noise_sequence" in parameters
            # Qwen2.5-Omni's BigVGAN takes its `mel_spectrogram` [batch, bins, frames] (what its
            # token2wav DiT hands it), not [frames, bins].
            bins_first = "mel_spectrogram" in parameters
            outputs = []
            for spectrogram in inputs["spectrograms"]:
                kwargs = {}
                if noisy:
                    generator = self.torch.Generator(device=spectrogram.device).manual_seed(options.get("seed", 0))
                    shape = (1, spectrogram.shape[0], model.config.model_in_channels)
                    kwargs["noise_sequence"] = self.torch.randn(shape, generator=generator, dtype=spectrogram.dtype, device=spectrogram.device)
                if bins_first:
                    spectrogram = spectrogram.transpose(0, 1)[None]
                output = model(spectrogram, **kwargs)
                outputs.append(output if hasattr(output, "reshape") else output[0])
            return outputs
        # sigma-VAE tokenizers (vibevoice_acoustic_tokenizer) add random noise to the latents unless
        # sample=False: the encoder's own latents, so equal audio gives equal latents.
        import inspect

        parameters = inspect.signature(model.forward).parameters
        kwargs = {"sample": False} if "sample" in parameters else {}
        if "input_values" in parameters:
            return [model(**features, **kwargs) for features in inputs["encoded"]]
        # The waveform as forward's first parameter, whatever forward names it.
        outputs = []
        for features in inputs["encoded"]:
            rest = {k: v for k, v in features.items() if k != "input_values"}
            outputs.append(model(features["input_values"], **rest, **kwargs))
        return outputs

    def _postprocess(self, task, model, extractor, inputs, outputs, single, options):
        if task in ("spectrogram_to_audio", "latents_to_audio"):
            waves = [w.reshape(-1).float().cpu() for w in outputs]
            rate = getattr(model.config, "sampling_rate", None)
            return dict(self._padded(waves), sampling_rate=int(rate) if rate else None, count=len(waves))
        codes, shapes, waves = [], [], []
        # Discrete codes, or a continuous tokenizer's latents (pocket_tts_audio_tokenizer).
        key = "codes" if getattr(outputs[0], "audio_codes", None) is not None else "latents"
        for length, output in zip(inputs["lengths"], outputs):
            found = output.audio_codes if key == "codes" else output.latents
            # The batch axis (one input): EnCodec's codes are [chunks, batch, quantizers, frames].
            found = found[:, 0] if found.dim() == 4 else found[0]
            codes.append(found.float().cpu().tolist() if key == "latents" else found.cpu().tolist())
            shapes.append(list(found.shape))
            if options.get("reconstruct"):
                audio = getattr(output, "audio_values", None)
                if audio is None:
                    audio = getattr(output, "audio", None)  # vibevoice_acoustic_tokenizer's name
                if audio is None:
                    raise SkillInputError("this codec returns no reconstruction (no audio_values); ask without reconstruct")
                waves.append(audio[0].reshape(-1)[:length].float().cpu())
        result = {key: codes, key[:-1] + "_shapes": shapes, "sampling_rate": inputs["rate"], "count": len(codes)}
        if options.get("reconstruct"):
            result.update(self._padded(waves))
        return result

    def _padded(self, waves):
        longest = max(int(w.shape[0]) for w in waves)
        audio = self.torch.zeros(len(waves), longest)
        for i, w in enumerate(waves):
            audio[i, : w.shape[0]] = w
        return {"audio": audio, "lengths": [int(w.shape[0]) for w in waves]}

    def _mock_result(self, task, batch, single, options):
        # Deterministic codes or waveforms for host tests without a model; labelled MOCK by the caller.
        if task in ("spectrogram_to_audio", "latents_to_audio"):
            lengths = [int(s.shape[1 if task == "latents_to_audio" else 0]) * 4 for s in batch]
            return {"audio": [[0.0] * n for n in lengths], "lengths": lengths, "sampling_rate": 16000, "count": len(batch)}
        seeds = [len(item) if hasattr(item, "__len__") else 1 for item in batch]
        codes = [[[(s + 3 * q + 5 * f) % 32 for f in range(8)] for q in range(2)] for s in seeds]
        result = {"codes": codes, "code_shapes": [[2, 8] for _ in codes], "sampling_rate": self.TARGET_SAMPLING_RATE, "count": len(codes)}
        if options.get("reconstruct"):
            result["audio"] = [[0.0] * 8 for _ in codes]
            result["lengths"] = [8 for _ in codes]
        return result
