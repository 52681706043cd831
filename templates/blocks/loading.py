{#- Loading shared by the families: the model through its task's auto class, the processor when
    one auto class loads it as is, and the dict-input split. A family template imports this file
    and calls the macros it needs inside its `family` block (a family with its own loading rules
    defines the method itself instead):
    {% import "blocks/loading.py" as loading %} … {{ loading::auto_model() }} -#}

{%- macro auto_model() %}

    def _load_model(self, model, task, config):
        auto = getattr(self.transformers, self.AUTO_CLASSES[task])
        return auto.from_pretrained(model, config=config, trust_remote_code=self.TRUST_REMOTE_CODE)
{%- endmacro %}

{#- `auto`: the transformers class, e.g. "AutoTokenizer", "AutoImageProcessor". -#}
{%- macro processor(auto) %}

    def _load_processor(self, model, task, config):
        return self.transformers.{{ auto }}.from_pretrained(model, trust_remote_code=self.TRUST_REMOTE_CODE)
{%- endmacro %}

{#- `_speech_processor`: AutoProcessor, refused unless it pairs a feature extractor with a
    tokenizer (`what` names the tokenizer in the error). -#}
{%- macro speech_processor() %}

    def _speech_processor(self, model, what):
        processor = self.transformers.AutoProcessor.from_pretrained(model, trust_remote_code=self.TRUST_REMOTE_CODE)
        if getattr(processor, "tokenizer", None) is None or getattr(processor, "feature_extractor", None) is None:
            raise ValueError(repr(model) + " has no feature extractor + " + what + " pair (AutoProcessor gave " + type(processor).__name__ + ")")
        return processor
{%- endmacro %}

{%- macro dict_input() %}

    def _dict_input(self, x, key, allowed=None):
        """(input, options) from a dict {key: input, option: value, ...}; any other x is the input
        itself, with no options. allowed: the option names (None: any), others raise."""
        if not isinstance(x, dict):
            return x, {}
        if key not in x:
            raise SkillInputError("a dict input needs '" + key + "'")
        if allowed is not None:
            unknown = sorted(k for k in x if k != key and k not in allowed)
            if unknown:
                raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr((key,) + tuple(allowed)))
        return x[key], {k: v for k, v in x.items() if k != key}
{%- endmacro %}
