"""The text to audio family: text to speech (text -> waveform): SpeechT5 (spectrogram + vocoder)
and forward-only waveform models (VITS / MMS-TTS)."""

from ..base import SkillInputError, Skillset


class TextToAudio(Skillset):
    """Text-to-speech skillset: str or list[str] -> one waveform per input.

    SpeechT5-style models (model.generate_speech): text -> mel spectrogram -> waveform through a
    HiFi-GAN vocoder, loaded from metadata["vocoder"], else the checkpoint's "vocoder" subfolder,
    else DEFAULT_VOCODER. Input: a str, a list of str, or a dict {"text": str | list,
    "speaker_embeddings": [floats of config.speaker_embedding_dim] (default: zeros), "seed": int
    (default 0; the decoder pre-net keeps dropout on, so each input is generated under
    torch.manual_seed(seed) in a forked RNG), "threshold", "minlenratio", "maxlenratio"}.
    Output keeps the batch dimension: {"audio": float tensor [n, longest] (zero-padded),
    "lengths": [samples per input], "sampling_rate": int, "count": n}.

    Forward-only waveform models (no generate(), a `waveform` output: VitsModel) take the same
    text input and "seed" (VITS samples noise; each input runs under torch.manual_seed(seed) in a
    forked RNG); sampling_rate from config.sampling_rate, as transformers' text-to-audio pipeline.
    Audio-token generators (musicgen, bark) run generate() per input under the seed, option
    "max_new_tokens" (the generation config's by default; for bark, whose generation config
    nests one per sub-model, the semantic model's, as Bark's docs pass it); sampling_rate from
    the generation config / config / audio encoder."""

    FAMILY = "text_to_audio"
    HALF_PRECISION = False
    DEFAULT_VOCODER = "microsoft/speecht5_hifigan"
    OPTIONS = ("speaker_embeddings", "seed", "threshold", "minlenratio", "maxlenratio", "max_new_tokens")
    SAMPLE_TEXT = "Hello, this is a test."
    # OpenVINO without optimum-intel: per torch model class, what generate() runs, converted
    # (openvino_convert.ConvertedGenerator): MusicGen's text encoder, its decoder per step (no KV
    # cache) and EnCodec's decode; sampling stays in transformers' loop under the request's seed.
    OPENVINO_GENERATION_MODULES = {
        "MusicgenForConditionalGeneration": ("text_encoder", "decoder", "audio_encoder.decode"),
    }
    # Why the others stay on CPU torch (labelled) under OpenVINO: a KV cache the step graph would
    # need (Bark), or random draws inside the model that the seeded torch path makes and a converted
    # graph would make with OpenVINO's own generator.
    OPENVINO_NOT_CONVERTED = {
        "BarkModel": (
            "Bark's semantic stage generates from inputs_embeds, for which transformers' generate turns the KV "
            "cache on whatever it is asked (decoder-only with inputs_embeds, transformers 5.5.4), so every step "
            "needs a graph with a KV cache; openvino.convert_model here converts cache-free steps only"
        ),
        "SpeechT5ForTextToSpeech": (
            "SpeechT5's decoder pre-net keeps dropout on at inference (torch.bernoulli, seeded in the CPU path); "
            "optimum-intel 2.2's OVModelForTextToSpeechSeq2Seq and a converted decoder draw it in the graph, "
            "so the waveform cannot equal the torch one"
        ),
        "VitsModel": (
            "VITS samples noise in its forward (torch.randn in the duration predictor and the flow, seeded in "
            "the CPU path) and its output length follows the sampled durations; a converted graph cannot draw "
            "the same noise (torch.export and TorchScript tracing both fail on it, torch 2.15, openvino 2026.4)"
        ),
    }

    # ---- text to audio: load ----

    def _load_processor(self, model, task, config):
        # Called before _load_model: refuse a checkpoint without a text-to-speech head first.
        heads = list(getattr(config, "architectures", None) or ())
        if heads and not any(head in self.HEAD_TASKS for head in heads):
            raise ValueError(
                repr(model) + " is a " + ", ".join(heads) + " checkpoint, not a text-to-speech head: loading it "
                "for text_to_audio would add untrained layers"
            )
        return self.transformers.AutoProcessor.from_pretrained(model, **self._hub_kwargs(model))

    def _vocoder_source(self, model):
        import os

        if self.metadata.get("vocoder"):
            return self.metadata["vocoder"], None
        if isinstance(model, str) and os.path.isfile(os.path.join(model, "vocoder", "config.json")):
            return model, "vocoder"
        return self.DEFAULT_VOCODER, None

    def _load_model(self, model, task, config):
        auto = getattr(self.transformers, self.AUTO_CLASSES[task])
        if type(config) not in getattr(auto, "_model_mapping", {type(config): None}):
            # Not a spectrogram model (SpeechT5): transformers' text-to-waveform table loads it.
            auto = self.transformers.AutoModelForTextToWaveform
        endpoint = auto.from_pretrained(model, config=config, **self._hub_kwargs(model))
        if not hasattr(endpoint, "generate_speech"):
            return endpoint  # a forward-only waveform model (VITS) or an audio-token generator (musicgen)
        source, subfolder = self._vocoder_source(model)
        # The vocoder's own revision when it is a listed model (its checkpoint's when a subfolder);
        # SpeechT5HifiGan is no Auto class, so no code_revision.
        kwargs = self._hub_kwargs(source, code_revision=False)
        if subfolder:
            kwargs["subfolder"] = subfolder
        try:
            vocoder = self.transformers.SpeechT5HifiGan.from_pretrained(source, **kwargs)
        except Exception as e:
            raise ValueError("could not load the vocoder " + repr(source) + " (set metadata['vocoder']): " + type(e).__name__ + ": " + str(e))
        vocoder.eval()
        if not hasattr(self, "_vocoders"):
            self._vocoders = {}
        self._vocoders[id(endpoint)] = vocoder
        return endpoint

    def _waveform_model(self, endpoint):
        """A forward-only text-to-waveform model (VITS): no generate_speech, cannot generate."""
        can_generate = getattr(endpoint, "can_generate", None)
        return not hasattr(endpoint, "generate_speech") and not (callable(can_generate) and can_generate())

    def _audio_generator(self, endpoint):
        """An audio-token generator (musicgen, bark): generate() returns the waveform."""
        return not hasattr(endpoint, "generate_speech") and not self._waveform_model(endpoint)

    def _max_new_tokens_name(self, model):
        """Bark's generate() chains semantic, coarse and fine models (its generation config has a
        `semantic_config`, as transformers' text-to-audio pipeline checks): the text decides only
        how many semantic tokens are generated; the coarse and fine lengths follow from them."""
        return "semantic_max_new_tokens" if hasattr(getattr(model, "generation_config", None), "semantic_config") else "max_new_tokens"

    def _generator_rate(self, model, processor):
        for source in (getattr(model, "generation_config", None), model.config, getattr(model.config, "audio_encoder", None),
                       getattr(processor, "feature_extractor", None)):
            for name in ("sample_rate", "sampling_rate"):
                rate = getattr(source, name, None)
                if isinstance(rate, int) and rate > 0:
                    return rate
        return 16000

    def _sample_input(self, task):
        return {"text": self.SAMPLE_TEXT, "seed": 0}

    # ---- text to audio: preprocess -> generate -> postprocess ----

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "text")
        unknown = sorted(str(k) for k in options if k not in self.OPTIONS)
        if unknown:
            raise SkillInputError("unknown option(s) " + repr(unknown) + "; allowed: " + repr(self.OPTIONS))
        seed = options.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SkillInputError("seed must be an integer >= 0, not " + repr(seed))
        if "max_new_tokens" in options:
            value = options["max_new_tokens"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SkillInputError("max_new_tokens must be an integer >= 1, not " + repr(value))
        for name in ("threshold", "minlenratio", "maxlenratio"):
            value = options.get(name, 0.5)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise SkillInputError(name + " must be a number >= 0, not " + repr(value))
        batch, single = self._text_batch(x, "a string, a list of strings, or a dict with 'text'")
        for i, text in enumerate(batch):
            if not text.strip():
                raise SkillInputError("input " + str(i) + " is empty")
        return batch, single, options

    def _speaker_embeddings(self, model, options, device):
        size = int(getattr(model.config, "speaker_embedding_dim", 512))
        given = options.get("speaker_embeddings")
        if given is None:
            return self.torch.zeros((1, size), dtype=model.dtype, device=device)
        if hasattr(given, "detach"):
            given = given.detach().cpu().float().reshape(-1).tolist()
        elif hasattr(given, "tolist"):
            given = self.np.asarray(given, dtype=self.np.float32).reshape(-1).tolist()
        if not isinstance(given, (list, tuple)) or len(given) != size or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in given
        ):
            raise SkillInputError("speaker_embeddings must be " + str(size) + " numbers (config.speaker_embedding_dim)")
        return self.torch.tensor([list(given)], dtype=model.dtype, device=device)

    def _preprocess(self, task, processor, batch, options, device, model):
        tokenizer = getattr(processor, "tokenizer", processor)
        if self._audio_generator(model):
            # One text per call, so no padding option: BarkProcessor pads to its max_length itself
            # (and refuses a second padding argument).
            encoded = [processor(text=[text], return_tensors="pt") for text in batch]
            rate = self._generator_rate(model, processor)
            return {"encoded": [{k: v.to(device) for k, v in e.items()} for e in encoded], "device": device, "generate": True, "rate": rate}
        if self._waveform_model(model):
            encoded = [tokenizer(text, return_tensors="pt") for text in batch]
            return {"encoded": [{k: v.to(device) for k, v in e.items()} for e in encoded], "device": device}
        ids = [tokenizer(text=text, return_tensors="pt")["input_ids"].to(device) for text in batch]
        return {"input_ids": ids, "speaker": self._speaker_embeddings(model, options, device), "device": device}

    def _forward(self, task, model, inputs, options):
        torch = self.torch
        if "encoded" in inputs:
            device = inputs["device"]
            devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
            waves = []
            for encoded in inputs["encoded"]:
                with torch.random.fork_rng(devices=devices):
                    torch.manual_seed(int(options.get("seed", 0)))
                    if inputs.get("generate"):
                        kwargs = {self._max_new_tokens_name(model): int(options["max_new_tokens"])} if "max_new_tokens" in options else {}
                        waves.append(model.generate(**encoded, **kwargs))
                    else:
                        waves.append(model(**encoded)[0])
            rate = inputs.get("rate") or int(getattr(model.config, "sampling_rate", 16000))
            return {"waves": waves, "sampling_rate": rate}
        vocoder = self._vocoders[id(model)].to(model.device)
        device = inputs["device"]
        devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        kwargs = {name: float(options[name]) for name in ("threshold", "minlenratio", "maxlenratio") if name in options}
        waves = []
        for input_ids in inputs["input_ids"]:
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(int(options.get("seed", 0)))
                waves.append(model.generate_speech(input_ids, inputs["speaker"], vocoder=vocoder, **kwargs))
        return {"waves": waves, "sampling_rate": int(getattr(vocoder.config, "sampling_rate", 16000))}

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        waves = [wave.reshape(-1).float().cpu() for wave in outputs["waves"]]
        lengths = [int(wave.shape[0]) for wave in waves]
        audio = self.torch.zeros((len(waves), max(lengths)), dtype=self.torch.float32)
        for row, wave in enumerate(waves):
            audio[row, : lengths[row]] = wave
        return {"audio": audio, "lengths": lengths, "sampling_rate": outputs["sampling_rate"], "count": len(waves)}

    def _mock_result(self, task, batch, single, options):
        # Deterministic silence-ish audio for host tests without a model; labelled MOCK by the caller.
        lengths = [160 * len(text) for text in batch]
        longest = max(lengths)
        audio = [[0.0] * length + [0.0] * (longest - length) for length in lengths]
        return {"audio": audio, "lengths": lengths, "sampling_rate": 16000, "count": len(batch)}

