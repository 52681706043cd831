"""The OpenVINO half of the remote-code tests (test_remote_code.py): an optimum-intel export carries
the listed revision and skips the host's helpers, which cannot be given one. Runs in the OpenVINO
venv (tests/requirements-openvino.txt) with the other test_openvino*.py files."""

from test_remote_code import BERT, BERT_COMMIT, CUSTOM_COMMIT, generated, loaders, resources, skill_class  # noqa: F401


def test_openvino_export_carries_the_revision_and_skips_host_helpers_that_cannot(generated, loaders, tmp_path):  # noqa: F811 (fixtures)
    helper_calls = []

    def helper(name):
        return lambda *args, **kwargs: helper_calls.append(name)

    helpers = [helper(n) for n in ("get_optimum_openvino_model", "get_openvino_model", "get_openvino_pipeline_type", "openvino_cli_convert")]
    skill = skill_class(generated[0], "bert")(resources(), {"cache_dir": str(tmp_path)})
    handler = skill.init_openvino(BERT, "bert", "CPU", "openvino:0", *helpers)[2]
    result = handler(["a b c"])
    assert result["implementation_type"] == "REAL" and result["backend"] == "openvino", result
    assert helper_calls == [], "the host's helpers cannot be given the revision"
    assert "host helpers not used" in result["backend_note"] and BERT_COMMIT in result["backend_note"], result
    names = {c[0] for c in loaders.calls}
    assert "OVModelForFeatureExtraction" in names and "AutoConfig" in names, loaders.calls
    for name, model, kwargs in loaders.calls:
        assert model == BERT and kwargs.get("revision") == BERT_COMMIT, (name, kwargs)
        assert kwargs.get("trust_remote_code") is False and "code_revision" not in kwargs, (name, kwargs)
    # The export cache is keyed on the revision too.
    dirs = {skill._cache_dir("openvino", BERT, r) for r in (None, BERT_COMMIT, CUSTOM_COMMIT)}
    assert len(dirs) == 3
