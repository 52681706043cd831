"""Input decoding shared by the families that take images or audio."""

from .base import SkillInputError


class Images:
    """Image input decoding."""


    # ---- image input: PIL image, file path, bytes, HxWxC array or tensor, or a list of them ----

    def _is_image(self, x):
        return isinstance(x, (str, bytes, bytearray)) or hasattr(x, "convert") or hasattr(x, "shape")

    def _to_image(self, x, index=0):
        import io
        import os

        from PIL import Image

        try:
            if hasattr(x, "convert"):
                # An RGB image is used as is: convert() would copy every pixel on each call.
                return x if getattr(x, "mode", None) == "RGB" else x.convert("RGB")
            if isinstance(x, (bytes, bytearray)):
                return Image.open(io.BytesIO(bytes(x))).convert("RGB")
            if isinstance(x, str):
                if not os.path.isfile(x):
                    raise SkillInputError("image " + str(index) + ": no such file " + repr(x))
                with Image.open(x) as image:
                    return image.convert("RGB")
            if hasattr(x, "shape"):
                import numpy as np

                if hasattr(x, "detach"):
                    tensor = x.detach().cpu()
                    # float32 for half/bfloat16 tensors (numpy has no bfloat16); integers kept.
                    array = (tensor.float() if tensor.is_floating_point() else tensor).numpy()
                else:
                    array = np.asarray(x)
                if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
                    array = array.transpose(1, 2, 0)
                if array.dtype == np.bool_:
                    array = array.astype(np.uint8) * 255
                elif array.dtype != np.uint8:
                    # Floats in [0, 1] are scaled to 0..255; anything else is taken as 0..255.
                    scale = 255.0 if array.size and float(array.max()) <= 1.0 else 1.0
                    array = (array.astype(np.float32) * scale).round().clip(0, 255).astype(np.uint8)
                if array.ndim == 3 and array.shape[-1] == 1:
                    array = array[..., 0]
                return Image.fromarray(array).convert("RGB")
        except SkillInputError:
            raise
        except Exception as e:
            raise SkillInputError("image " + str(index) + " could not be read: " + type(e).__name__ + ": " + str(e))
        raise SkillInputError("image " + str(index) + " is " + type(x).__name__ + "; expected a PIL image, path, bytes or array")

    def _image_batch(self, x):
        """(list of RGB PIL images, single?) from one image or a list of them."""
        if x is None:
            raise SkillInputError("no image given")
        if isinstance(x, (list, tuple)):
            if not x:
                raise SkillInputError("the input list is empty")
            return [self._to_image(item, i) for i, item in enumerate(x)], False
        if hasattr(x, "shape") and len(x.shape) == 4:
            # A batch array or tensor, NxHxWxC or NxCxHxW.
            if x.shape[0] == 0:
                raise SkillInputError("the input batch is empty")
            return [self._to_image(x[i], i) for i in range(x.shape[0])], False
        return [self._to_image(x)], True

    def _sample_image(self, height=32, width=32, factor=7):
        # A small synthetic RGB image (no file, no network).
        np = self.np
        if np is None:
            import numpy as np
        return (np.arange(height * width * 3, dtype=np.int64).reshape(height, width, 3) * factor % 256).astype(np.uint8)



    def _to_device(self, encoded, model, device):
        """Tensors to the device; floating ones (pixel values) to the model's dtype as well."""
        dtype = next(model.parameters()).dtype
        moved = {}
        for key, value in encoded.items():
            if hasattr(value, "is_floating_point"):
                value = value.to(device=device, dtype=dtype) if value.is_floating_point() else value.to(device)
            moved[key] = value
        return moved



class Audio:
    """Audio input decoding."""


    # ---- audio input: 1-D float array (16 kHz unless given; integer PCM is scaled to [-1, 1]),
    # WAV path or bytes, a dict {"array"/"audio": ..., "sampling_rate": n}, or a list of them ----

    TARGET_SAMPLING_RATE = 16000

    def _numpy(self):
        # Mock mode decodes its input without init(): numpy alone, never torch.
        if self.np is None:
            import numpy
            self.np = numpy
        return self.np

    def _is_number(self, v):
        import numbers

        return isinstance(v, numbers.Number) and not isinstance(v, bool)

    def _read_wav(self, source, index):
        import io
        import wave

        try:
            with wave.open(io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray)) else source, "rb") as w:
                rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
                frames = w.readframes(w.getnframes())
        except Exception as e:
            raise SkillInputError("audio " + str(index) + " could not be read as WAV: " + type(e).__name__ + ": " + str(e))
        np = self._numpy()
        if width == 1:
            data = (np.frombuffer(frames, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
        elif width == 2:
            data = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
        elif width == 3:
            raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
            ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
            data = (ints - ((ints & 0x800000) << 1)).astype(np.float32) / 8388608.0
        elif width == 4:
            data = np.frombuffer(frames, dtype="<i4").astype(np.float32) / 2147483648.0
        else:
            raise SkillInputError("audio " + str(index) + ": unsupported WAV sample width " + str(width))
        if channels > 1:
            data = data.reshape(-1, channels).mean(axis=1)
        return data, rate

    def _to_waveform(self, x, index=0, rate=None, target=None):
        import os

        np = self._numpy()
        if isinstance(x, dict):
            rate = x.get("sampling_rate", rate)
            x = x.get("array", x.get("audio"))
        if isinstance(x, str):
            if not os.path.isfile(x):
                raise SkillInputError("audio " + str(index) + ": no such file " + repr(x))
            x, rate = self._read_wav(x, index)
        elif isinstance(x, (bytes, bytearray)):
            x, rate = self._read_wav(x, index)
        elif hasattr(x, "detach"):
            x = x.detach().cpu()
            x = (x.float() if x.is_floating_point() else x).numpy()
        if isinstance(x, (list, tuple)) and x and not all(self._is_number(v) for v in x):
            raise SkillInputError("audio " + str(index) + ": expected numbers in the waveform")
        if not (isinstance(x, (list, tuple)) or hasattr(x, "shape")):
            raise SkillInputError("audio " + str(index) + " is " + type(x).__name__ + "; expected a waveform, WAV path or bytes")
        try:
            array = np.asarray(x)
            if hasattr(x, "dtype") and array.dtype.kind in "iu":
                info = np.iinfo(array.dtype)
                wave_ = ((array.astype(np.float64) - (info.max + 1 + info.min) / 2.0) / ((info.max - info.min + 1) / 2.0)).astype(np.float32)
            else:
                wave_ = array.astype(np.float32)
        except Exception:
            raise SkillInputError("audio " + str(index) + " is " + type(x).__name__ + "; expected a waveform, WAV path or bytes")
        if wave_.ndim == 2 and 1 in wave_.shape:
            wave_ = wave_.reshape(-1)
        if wave_.ndim != 1 or wave_.size == 0:
            raise SkillInputError("audio " + str(index) + ": expected a non-empty 1-D waveform, got shape " + str(tuple(wave_.shape)))
        if not np.isfinite(wave_).all():
            raise SkillInputError("audio " + str(index) + ": the waveform has NaN or infinite samples")
        target = int(target or self.TARGET_SAMPLING_RATE)
        if isinstance(rate, bool) or not (rate is None or (self._is_number(rate) and rate > 0)):
            raise SkillInputError("audio " + str(index) + ": sampling_rate must be a positive number, not " + repr(rate))
        rate = int(rate or self.TARGET_SAMPLING_RATE)  # unlabelled audio is 16 kHz, whatever the model wants
        if rate != target:
            # Linear resampling: enough for speech models, and needs only numpy.
            n = max(1, int(round(wave_.size * target / rate)))
            wave_ = np.interp(np.linspace(0, wave_.size - 1, n), np.arange(wave_.size), wave_).astype(np.float32)
        return wave_

    def _split_audio_input(self, x, allowed=()):
        """(raw items, single?, options) from one input, a list of inputs, or a dict
        {"audio" (or "array"): one input or a list, "sampling_rate": n, option: value}; the items
        are decoded by _decode_audio once the processor's sampling rate is known."""
        options = {}
        if isinstance(x, dict):
            if "audio" not in x and "array" not in x:
                raise SkillInputError("a dict input needs 'audio' (or 'array'); got keys " + repr(sorted(str(k) for k in x)))
            options = {k: v for k, v in x.items() if k not in ("audio", "array")}
            x = x["audio"] if "audio" in x else x["array"]
        unknown = sorted(str(k) for k in options if k != "sampling_rate" and k not in allowed)
        if unknown:
            raise SkillInputError("unknown option(s) " + repr(unknown) + "; allowed: " + repr(("sampling_rate",) + tuple(allowed)))
        if x is None:
            raise SkillInputError("no audio given")
        if isinstance(x, (list, tuple)) and not x:
            raise SkillInputError("the input list is empty")
        if isinstance(x, (list, tuple)) and not self._is_number(x[0]):
            batch, single = list(x), False
        else:
            batch, single = [x], True
        for i, item in enumerate(batch):
            self._check_audio_item(item, i)
        return batch, single, options

    def _check_audio_item(self, x, index):
        """Type check of one raw audio input (no decoding: mock mode validates with it too)."""
        if isinstance(x, dict):
            x = x.get("array", x.get("audio"))
        if isinstance(x, (str, bytes, bytearray)) or hasattr(x, "shape"):
            return
        if isinstance(x, (list, tuple)) and x and all(self._is_number(v) for v in x):
            return
        raise SkillInputError(
            "audio " + str(index) + " is " + type(x).__name__ + "; expected a waveform (numbers, array or tensor), WAV path or bytes"
        )

    def _decode_audio(self, batch, options, target):
        """1-D float32 waveforms at `target` Hz, one per raw item."""
        return [self._to_waveform(item, i, options.get("sampling_rate"), target) for i, item in enumerate(batch)]

    def _feature_tensors(self, encoded, device, model):
        """Feature-extractor output on the model's device, floating tensors in the model's dtype."""
        dtype = getattr(model, "dtype", None)
        out = {}
        for key, value in encoded.items():
            if hasattr(value, "to"):
                value = value.to(device)
                if dtype is not None and value.is_floating_point():
                    value = value.to(dtype)
            out[key] = value
        return out

    def _sample_waveform(self, seconds=1.0, rate=16000):
        # A quiet 440 Hz tone as plain floats (no numpy, no file, no network).
        import math

        return [0.1 * math.sin(2.0 * math.pi * 440.0 * i / rate) for i in range(int(seconds * rate))]

    def _audio_batch(self, x, rate=None, target=None):
        """(list of 1-D float32 waveforms at `target` Hz (TARGET_SAMPLING_RATE by default), single?)."""
        if x is None:
            raise SkillInputError("no audio given")
        if isinstance(x, (list, tuple)) and not x:
            raise SkillInputError("the input list is empty")
        if isinstance(x, (list, tuple)) and not self._is_number(x[0]):
            return [self._to_waveform(item, i, rate, target) for i, item in enumerate(x)], False
        return [self._to_waveform(x, 0, rate, target)], True


