{% extends "base.py" %}
{%- import "blocks/loading.py" as loading %}
{%- import "blocks/media.py" as media %}
{%- block summary %}CTC speech recognition (audio -> transcription){% endblock %}
{%- block class_doc %}CTC speech-recognition skillset: audio or a list of audio -> transcription per input.

    Input: a 1-D float waveform (list, numpy array or tensor; 16 kHz unless "sampling_rate" says
    otherwise, resampled to the feature extractor's rate), a WAV file path or WAV bytes, or a list
    of them; or a dict {"audio": one or a list, "sampling_rate": n}. Output keeps the batch
    dimension: {"text": [transcription per input], "count": n}. Decoding is greedy: the argmax
    of the CTC logits per frame, collapsed by the tokenizer's batch_decode. The checkpoint must
    have a CTC head (architectures *ForCTC): a pretraining-only or audio-classification
    checkpoint is refused at load instead of being given a random CTC head.
    {% endblock %}
{%- block family_constants %}
    HALF_PRECISION = True
    AUTO_CLASSES = {"speech_recognition": "AutoModelForCTC"}
    OPTIONS = ()
{%- endblock %}
{%- block family %}

    # ---- speech CTC: load ----

    def _load_processor(self, model, task, config):
        # Called before _load_model: refuse a checkpoint without a CTC head before any loading.
        heads = list(getattr(config, "architectures", None) or ())
        if heads and not any(str(head).endswith("ForCTC") for head in heads):
            raise ValueError(
                repr(model) + " is a " + ", ".join(heads) + " checkpoint, not a CTC head: loading it for "
                "speech recognition would add an untrained CTC layer"
            )
        return self._speech_processor(model, "CTC tokenizer")
{{- loading::speech_processor() }}
{{- loading::auto_model() }}

    def _sample_input(self, task):
        return self._sample_waveform()

    # ---- speech CTC: preprocess -> forward -> postprocess ----

    def _split_input(self, task, x):
        return self._split_audio_input(x, self.OPTIONS)

    def _preprocess(self, task, processor, batch, options, device, model):
        extractor = processor.feature_extractor
        waves = self._decode_audio(batch, options, extractor.sampling_rate)
        encoded = extractor(waves, sampling_rate=extractor.sampling_rate, padding=True, return_tensors="pt")
        return {"features": self._feature_tensors(encoded, device, model)}

    def _forward(self, task, model, inputs, options):
        return model(**inputs["features"])

    def _postprocess(self, task, model, processor, inputs, outputs, single, options):
        ids = outputs.logits.argmax(dim=-1).cpu()
        texts = processor.tokenizer.batch_decode(ids)
        return {"text": texts, "count": len(texts)}

    def _mock_result(self, task, batch, single, options):
        # Deterministic text for host tests without a model; labelled MOCK by the caller.
        texts = ["mock transcription " + str(i) for i in range(len(batch))]
        return {"text": texts, "count": len(texts)}
{{ media::audio() }}
{%- endblock %}
