"""The vision encoder family: vision encoder (image classification, image embeddings)."""

from ..base import SkillInputError, Skillset
from ..labels import Labels
from ..media import Images


class VisionEncoder(Images, Labels, Skillset):
    """Vision encoder skillset: image or list of images -> labels or embeddings.

    Input: one image, a list of images, or {"image": image | [images], "top_k": n,
    "pooling": "auto" | "pooler" | "cls" | "mean", "normalize": bool}. Images: PIL images,
    file paths, bytes, HxWxC / CxHxW arrays or tensors (an NxHxWxC array is a batch).
    image_classification (a model with an image-classification head): "logits" [n, classes] and
    "predictions": per image the top_k (default 5) labels from id2label with softmax scores
    (sigmoid for multi-label configs).
    image_embedding (a backbone without a head, e.g. Dinov2Model, ViTModel, ResNetModel):
    "embeddings" [n, dim]. pooling "auto" takes the model's pooler_output when it has one
    (Dinov2: the layer-normed CLS token; ResNet: global average pool; ViT: its tanh pooler),
    otherwise the mean of last_hidden_state over tokens (over H and W for feature maps; for a
    backbone-only type such as rt_detr_resnet, its last feature map's global average pool);
    "cls" takes last_hidden_state[:, 0] and "mean" the token mean. "normalize": True
    L2-normalises the rows. Towers fed patch sequences (no CLS): Qwen-VL-style ones (the image
    processor gives image_grid_thw) average each image's merged tokens (pooler_output; "mean":
    last_hidden_state), called and split as their parent model's get_image_features does
    (_forward_grid, _grid_rows, _grid_counts); Pix2Struct-style ones (flattened_patches) average each image's real patches."""

    FAMILY = "vision_encoder"
    PROCESSOR_CLASS = "AutoImageProcessor"
    LABEL_IDS = True
    HALF_PRECISION = True
    OPTIONS = ("top_k", "pooling", "normalize")
    POOLINGS = ("auto", "pooler", "cls", "mean")
    # Patch towers whose parent model passes the flattened patches as a batch of one
    # (PaddleOCRVLModel.get_image_features: pixel_values.unsqueeze(0); the tower unpacks 5 dims).
    PACKED_PATCH_TOWERS = frozenset({"PaddleOCRVisionModel"})
    # Per-image row counts of patch towers that add rows of their own (t, h, w: the image's patch
    # grid; m: the image processor's merge_size), as their parents' get_image_features split them:
    # hy_v4_vl ends each row of merged windows with a newline row; hunyuan_vl also adds the image's
    # begin and end rows. The other towers give a row per patch or per merged m x m window
    # (_grid_counts infers which from the row count).
    GRID_EXTRA_ROWS = (
        lambda t, h, w, m: t * (h // m) * (w // m + 1),
        lambda t, h, w, m: (h // m) * (w // m + 1) + 2,
    )

    # ---- vision encoder: load ----

    def _sample_input(self, task):
        return self._sample_image(64, 64)

    # ---- vision encoder: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        x, options = self._dict_input(x, "image", self.OPTIONS)
        self._check_top_k(options)
        if options.get("pooling", "auto") not in self.POOLINGS:
            raise SkillInputError("pooling must be one of " + repr(self.POOLINGS) + ", not " + repr(options.get("pooling")))
        if not isinstance(options.get("normalize", False), bool):
            raise SkillInputError("normalize must be true or false, not " + repr(options["normalize"]))
        images, single = self._image_batch(x)
        return images, single, options

    def _preprocess(self, task, processor, batch, options, device, model):
        encoded = processor(images=batch, return_tensors="pt")
        return self._to_device(encoded, model, device)

    def _forward(self, task, model, inputs, options):
        if "image_grid_thw" in inputs:
            return self._forward_grid(model, inputs)
        params = self._forward_params(model)
        if "pixel_values" in inputs and "pixel_values" not in params and "hidden_states" in params:
            # Florence-2's vision tower (DaViT) takes the image's pixels as `hidden_states`.
            return model(hidden_states=inputs["pixel_values"])
        if "flattened_patches" in inputs:
            # A Pix2Struct-style tower: the processor also returns the patch grid's rows/cols (kosmos-2.5),
            # which the tower does not take.
            return model(flattened_patches=inputs["flattened_patches"], attention_mask=inputs["attention_mask"])
        return model(**inputs)

    def _forward_grid(self, model, inputs):
        """A Qwen-VL-style vision tower, called as its parent model's get_image_features calls it:
        the parent's image processor gives every image's patches flattened into one sequence
        (pixel_values) and their (t, h, w) grid (image_grid_thw), which the tower takes as
        (hidden_states | pixel_values, grid_thw); any other per-image fact the processor gives
        (image_<name>, e.g. video_llama_3's image_merge_sizes) goes to the tower's <name> argument
        when its forward takes one. A tower in PACKED_PATCH_TOWERS takes the sequence as a batch of
        one (its parent passes pixel_values.unsqueeze(0))."""
        params = self._forward_params(model)
        if "grid_thw" not in params:
            raise SkillInputError(type(model).__name__ + " takes no patch grid, but the image processor gives one (image_grid_thw)")
        patches = inputs["pixel_values"]
        if type(model).__name__ in self.PACKED_PATCH_TOWERS:
            patches = patches.unsqueeze(0)
        kwargs = {name[len("image_"):]: value for name, value in inputs.items() if name.startswith("image_") and name[len("image_"):] in params}
        kwargs["hidden_states" if "hidden_states" in params else "pixel_values"] = patches
        return model(**kwargs)

    def _forward_params(self, model):
        """The names the model's forward takes (none known for a wrapper without a signature)."""
        import inspect

        try:
            return inspect.signature(getattr(model, "forward", model)).parameters
        except (TypeError, ValueError):
            return {}

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        if task == "image_classification":
            return self._classification_result(model, outputs.logits, options)
        if "image_grid_thw" in inputs:
            merge = getattr(processor, "merge_size", None)
            embeddings = self._pool_grid(outputs, inputs["image_grid_thw"], options.get("pooling", "auto"), merge).float()
        elif "flattened_patches" in inputs:
            embeddings = self._pool_patches(outputs, inputs["attention_mask"], options.get("pooling", "auto")).float()
        else:
            embeddings = self._pool(outputs, options.get("pooling", "auto")).float()
        if options.get("normalize"):
            embeddings = self.torch.nn.functional.normalize(embeddings, p=2, dim=1)
        return {"embeddings": embeddings.cpu(), "dimensions": int(embeddings.shape[-1]), "count": int(embeddings.shape[0])}

    def _pool(self, outputs, pooling):
        pooled = getattr(outputs, "pooler_output", None)
        if pooling in ("auto", "pooler") and pooled is not None:
            return pooled.reshape(pooled.shape[0], -1)
        if pooling == "pooler":
            raise SkillInputError("this model has no pooler output; use pooling 'cls' or 'mean'")
        maps = getattr(outputs, "feature_maps", None)
        if maps is not None:
            # A backbone (AutoBackbone class: rt_detr_resnet, vitpose_backbone) returns one map per
            # out_features stage and no last_hidden_state: its embedding is the last map's average
            # pool, over H and W ([n, c, h, w]) or over its patch tokens ([n, tokens, c], no CLS).
            if pooling == "cls":
                raise SkillInputError("this model returns feature maps; pooling 'cls' needs tokens")
            last = maps[-1]
            return last.mean(dim=(2, 3)) if last.dim() == 4 else last.mean(dim=1)
        hidden = outputs.last_hidden_state
        if hidden.dim() == 4:
            # A convolutional feature map [n, channels, h, w]: no tokens, so no CLS.
            if pooling == "cls":
                raise SkillInputError("this model returns feature maps; pooling 'cls' needs tokens")
            return hidden.mean(dim=(2, 3))
        if pooling == "cls":
            return hidden[:, 0]
        return hidden.mean(dim=1)

    def _pool_grid(self, outputs, grid, pooling, merge):
        """Per-image means of a patch tower's token rows, which hold every image's tokens one
        after the other: pooler_output (auto/pooler: the merged tokens the parent model's language
        model reads, as its get_image_features splits them) or last_hidden_state (mean: the tokens
        before merging, or the merged ones where the tower merges inside; also auto where the
        parent reads last_hidden_state because pooler_output is no token rows)."""
        if pooling == "cls":
            raise SkillInputError("this model's images are patch sequences without a CLS token; use pooling 'auto' or 'mean'")
        rows = self._grid_rows(outputs, pooling)
        counts = self._grid_counts(rows.shape[0], grid.tolist(), merge)
        return self.torch.stack([part.mean(dim=0) for part in rows.split(counts)])

    def _grid_rows(self, outputs, pooling):
        """A patch tower's token rows as [rows, dim]. pooler_output holds rows unless it has fewer
        dims than last_hidden_state (minimax_m3_vl's is the sequence's first token, [1, dim]: its
        parent reads last_hidden_state). A 3-dim last_hidden_state of batch 1 is the packed
        sequence as a batch of one (hunyuan_vl, hy_v4_vl, minimax_m3_vl: the parent squeezes it);
        rows of more dims are flattened (kimi_k25's pooler_output: [merged tokens, window, dim])."""
        hidden = outputs.last_hidden_state
        pooled = getattr(outputs, "pooler_output", None)
        rows = hidden if pooling == "mean" or pooled is None or pooled.dim() < hidden.dim() else pooled
        if hidden.dim() == 3 and hidden.shape[0] == 1:
            rows = rows[0]
        return rows.reshape(rows.shape[0], -1)

    def _grid_counts(self, total_rows, grid, merge):
        """Each image's number of rows: a layout with rows of the tower's own (GRID_EXTRA_ROWS,
        given the processor's merge size) whose total is the row count, else t*h*w / k for the one
        k that makes the total (1: a row per patch; merge^2: a row per merged window)."""
        if merge:
            for layout in self.GRID_EXTRA_ROWS:
                counts = [layout(t, h, w, merge) for t, h, w in grid]
                if sum(counts) == total_rows:
                    return counts
        patches = [t * h * w for t, h, w in grid]
        if not total_rows or sum(patches) % total_rows or any(c % (sum(patches) // total_rows) for c in patches):
            raise ValueError("the tower returned %d token rows for patch grids %r" % (total_rows, grid))
        return [c // (sum(patches) // total_rows) for c in patches]

    def _pool_patches(self, outputs, mask, pooling):
        """The mean of a Pix2Struct-style tower's last_hidden_state over each image's real patches
        (the processor pads every image to max_patches; the attention mask marks the real ones)."""
        if pooling in ("cls", "pooler"):
            raise SkillInputError("this model's images are patch sequences without a CLS token or pooler; use pooling 'auto' or 'mean'")
        weights = mask.to(outputs.last_hidden_state.dtype).unsqueeze(-1)
        return (outputs.last_hidden_state * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)

    def _mock_result(self, task, batch, single, options):
        # Deterministic values for host tests without a model; labelled MOCK by the caller.
        sizes = [image.size[0] * 31 + image.size[1] for image in batch]
        if task == "image_classification":
            k = min(int(options.get("top_k", 5)), 5)
            return {
                "predictions": [
                    [{"label": "LABEL_" + str((s + j) % 10), "label_id": (s + j) % 10, "score": 1.0 / (j + 2)} for j in range(k)]
                    for s in sizes
                ],
                "count": len(batch),
            }
        dims = int(self.metadata.get("mock_dimensions", 32))
        rows = [[((s + 7 * j) % 17) / 17.0 for j in range(dims)] for s in sizes]
        return {"embeddings": rows, "dimensions": dims, "count": len(batch)}

