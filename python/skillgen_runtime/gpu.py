"""CUDA and ROCm through torch, with the host's cuda_utils when it is importable."""


class Gpu:
    """Mixin: the GPU init paths (CPU fallback, labelled, when torch has no such GPU)."""

    def init_cuda(self, model=None, device="cuda:0", cuda_label="cuda:0"):
        return self._init_gpu(model, device, cuda_label, "cuda")

    def init_rocm(self, model=None, device="cuda:0", rocm_label="rocm:0"):
        return self._init_gpu(model, device, rocm_label, "rocm")

    def _init_gpu(self, model, device, label, backend):
        if self._mock_requested():
            return self._mock_endpoint(model, label, backend)
        try:
            self.init()
            torch = self.torch
            hip = getattr(torch.version, "hip", None)
            if not torch.cuda.is_available():
                reason = "torch reports no GPU"
            elif backend == "rocm" and not hip:
                reason = "torch is not a ROCm (HIP) build"
            else:
                reason = None
        except Exception as e:
            reason = type(e).__name__ + ": " + str(e)
        if reason is not None:
            return self._init_endpoint(model, "cpu", label, backend, fallback=backend + " unavailable (" + reason + "); ran on CPU")
        index, note = self._gpu_index(device, label)
        utils = self._cuda_utils()
        if utils is not None:
            try:
                chosen = utils.get_cuda_device(label)
                chosen_index = getattr(chosen, "index", None)
                if chosen_index is None and isinstance(chosen, str) and chosen.rsplit(":", 1)[-1].isdigit():
                    chosen_index = int(chosen.rsplit(":", 1)[-1])
                if isinstance(chosen_index, int) and 0 <= chosen_index < self.torch.cuda.device_count():
                    index = chosen_index
            except Exception as e:
                note = ((note + "; ") if note else "") + "host cuda_utils.get_cuda_device failed: " + type(e).__name__
        return self._init_endpoint(model, "cuda:" + str(index), label, backend, fallback=note, gpu_utils=utils)

    def _gpu_index(self, device, label):
        """The GPU index from 'cuda:N' / 'rocm:N'; an invalid one falls back to 0, with a note."""
        count = self.torch.cuda.device_count()
        for text in (label, device):
            if isinstance(text, str) and ":" in text:
                tail = text.rsplit(":", 1)[1]
                if tail.isdigit():
                    index = int(tail)
                    if index < count:
                        return index, None
                    return 0, "device index " + tail + " out of range (" + str(count) + " GPUs); using 0"
        return 0, None

    GPU_BYTES_PER_ITEM = 256 * 1024 * 1024

    def _batch_size(self, device):
        """metadata["batch_size"], else on a GPU one per 256 MiB of free memory (1..64, measured
        after the model is loaded), else 8."""
        size = self.metadata.get("batch_size")
        if isinstance(size, int) and not isinstance(size, bool) and size >= 1:
            return size
        if str(device).startswith("cuda") and self.torch is not None:
            try:
                free, _total = self.torch.cuda.mem_get_info(self.torch.device(device))
                return max(1, min(64, int(free // self.GPU_BYTES_PER_ITEM)))
            except Exception:
                pass
        return 8
