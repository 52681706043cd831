"""The video family: video (video classification, video-text embeddings)."""

from ..base import SkillInputError, Skillset
from ..dual_encoder import DualEncoder
from ..labels import Labels
from ..media import Images


class Video(DualEncoder, Labels, Images, Skillset):
    """Video skillset: videos (lists of frames) -> labels, or video/text embeddings (X-CLIP).

    A video is a list of frames (PIL images, paths, bytes, HxWxC arrays) or a TxHxWxC array; a
    list of such videos is a batch. Frames are sampled uniformly (with repeats for short clips) to
    the model's num_frames. Input: a video, a list of videos, or a dict {"video": ..., "top_k": k}
    (video_classification) / {"video": ..., "text": str | [str], "normalize": bool}
    (video_text_embedding; either or both).
    video_classification: {"logits" [n, labels], "predictions": per video the top_k labels}.
    video_text_embedding: "video_embeds" [n_videos, dim] and/or "text_embeds" [n_texts, dim]
    (projected features, L2-normalised unless "normalize": False); with both, "logits_per_video"
    (the model's scaled, video-conditioned logits), "probabilities" (softmax over the texts) and
    "predictions": per video the texts ranked. "count" is the number of videos (of texts when none)."""

    FAMILY = "video"
    HALF_PRECISION = True
    SAMPLE_TEXTS = ["a person walking", "a person dancing"]
    OPTIONS = ("top_k", "normalize")

    # ---- video: load ----

    def _load_processor(self, model, task, config):
        transformers = self.transformers
        if task == "video_text_embedding":
            return transformers.AutoProcessor.from_pretrained(model, **self._hub_kwargs(model))
        return transformers.AutoImageProcessor.from_pretrained(model, **self._hub_kwargs(model))

    def _sample_input(self, task):
        # Four small synthetic RGB frames (no file, no network).
        frames = [self._sample_image(32, 32, 3 + t) for t in range(4)]
        if task == "video_text_embedding":
            return {"video": frames, "text": list(self.SAMPLE_TEXTS)}
        return {"video": frames, "top_k": 3}

    # ---- video: preprocess -> forward -> postprocess ----

    def _is_frames(self, x):
        """One video: a list of frames or a 4-D array (not a list of videos)."""
        if hasattr(x, "shape"):
            return len(x.shape) == 4
        return isinstance(x, (list, tuple)) and bool(x) and all(self._is_image(f) and not isinstance(f, (list, tuple)) and len(getattr(f, "shape", (0, 0, 0))) == 3 for f in x)

    def _video(self, x, index):
        if hasattr(x, "shape") and len(x.shape) == 4:
            x = [x[t] for t in range(x.shape[0])]
        if not isinstance(x, (list, tuple)) or not x:
            raise SkillInputError("video " + str(index) + " must be a non-empty list of frames or a TxHxWxC array")
        return [self._to_image(frame, t) for t, frame in enumerate(x)]

    def _split_input(self, task, x):
        """batch = {"videos": [[PIL frames]] or None, "texts": [str] or None}."""
        options = {}
        text = None
        if isinstance(x, dict):
            allowed = ("video", "text") + self.OPTIONS if task == "video_text_embedding" else ("video", "top_k")
            unknown = sorted(str(k) for k in x if k not in allowed)
            if unknown:
                raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr(allowed))
            if "video" not in x and not (task == "video_text_embedding" and "text" in x):
                raise SkillInputError("a dict input needs 'video'" + (" and/or 'text'" if task == "video_text_embedding" else ""))
            options = {k: v for k, v in x.items() if k not in ("video", "text")}
            text = x.get("text")
            x = x.get("video")
        elif task == "video_text_embedding" and (isinstance(x, str) or (isinstance(x, (list, tuple)) and x and all(isinstance(t, str) for t in x))):
            x, text = None, x
        videos = None
        single = True
        if x is not None:
            if self._is_frames(x):
                videos = [self._video(x, 0)]
            elif isinstance(x, (list, tuple)) and x:
                videos, single = [self._video(v, i) for i, v in enumerate(x)], False
            else:
                raise SkillInputError("expected a video (a list of frames or a TxHxWxC array) or a list of videos; got " + type(x).__name__)
        texts, single = self._pair_texts(videos, single, text, "no video given")
        self._check_dual_options(options)
        return {"videos": videos, "texts": texts}, single, options

    def _num_frames(self, model):
        config = model.config
        vision = getattr(config, "vision_config", None)
        n = getattr(vision, "num_frames", None) or getattr(config, "num_frames", None)
        return int(n) if isinstance(n, int) and n > 0 else 16

    def _sample_frames(self, frames, n):
        if len(frames) == n:
            return list(frames)
        # Uniform sampling over the clip (repeats frames when it is shorter than n).
        return [frames[min(len(frames) - 1, (2 * i + 1) * len(frames) // (2 * n))] for i in range(n)]

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = {}
        if batch["videos"] is not None:
            n = self._num_frames(model)
            videos = [self._sample_frames(frames, n) for frames in batch["videos"]]
            image_processor = getattr(processor, "image_processor", None) or processor
            pixels = image_processor(videos, return_tensors="pt")["pixel_values"]
            encoded["pixel_values"] = pixels.to(device=device, dtype=model.dtype)
        if batch["texts"] is not None:
            encoded.update(self._encode_texts(processor, batch["texts"], device, 77))
        return {"encoded": encoded, "texts": batch["texts"]}

    def _forward(self, task, model, inputs, options):
        encoded = inputs["encoded"]
        if task == "video_classification":
            return model(pixel_values=encoded["pixel_values"])
        return self._tower_outputs(model, encoded, ("pixel_values",), "video", False)

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        if task == "video_classification":
            return self._classification_result(model, outputs.logits, options)
        result, _ = self._embedding_result(outputs, ("video_embeds", "text_embeds"), options)
        if "logits_per_video" in outputs:
            logits = outputs["logits_per_video"].float()
            self._zero_shot_scores(result, "logits_per_video", logits, logits.softmax(dim=-1), inputs["texts"], options)
        return result

    def _mock_result(self, task, batch, single, options):
        # Deterministic output for host tests without a model; labelled MOCK by the caller.
        videos, texts = batch["videos"], batch["texts"]
        if task == "video_classification":
            return self._mock_classification(len(videos), options)
        seeds = None if videos is None else [len(v) for v in videos]
        return self._mock_embeddings("video_embeds", seeds, texts, options, similarity=False)

