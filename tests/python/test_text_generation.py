"""The generated text_decoder (gpt2, llama) and text_encoder_decoder (t5) skillsets on tiny
offline-built models: greedy output must be token-identical to a direct `model.generate` call on
the same (left-padded, for decoders) inputs, cut after the first end-of-sequence token, lengths
included; different prompts must give different continuations (tests/python/expect.py)."""
import json
import os

import pytest
import torch
import transformers

import expect
from conftest import load_bare

PROMPTS = ["The quick brown fox", "Paris is the capital of France and a city of"]
CONVERSATION = [{"role": "user", "content": "What is the capital of France?"}]
GREEDY = {"max_new_tokens": 8, "do_sample": False}


def skill_for(model_type, metadata=None):
    cls = getattr(load_bare("hf_" + model_type + ".py"), "hf_" + model_type)
    return cls({"torch": torch, "transformers": transformers}, metadata or {})


def handler_for(fixtures, model_type, fixture):
    path = os.path.join(fixtures, fixture)
    endpoint, tokenizer, handler, queue, batch_size = skill_for(model_type).init_cpu(path, "cpu", "cpu")
    assert endpoint is not None, handler(None)
    return path, handler


def direct_decoder(path, texts, max_new_tokens=8, add_special_tokens=True):
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    encoded = tokenizer(texts, padding=True, add_special_tokens=add_special_tokens, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    ids = expect.cut_at_eos(out[:, encoded["input_ids"].shape[1]:], model.generation_config.eos_token_id)
    return ids, [tokenizer.decode(i, skip_special_tokens=True) for i in ids]


def direct_seq2seq(path, texts, max_new_tokens=8):
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    encoded = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False)
    ids = expect.cut_at_eos(out[:, 1:], model.generation_config.eos_token_id)
    return ids, [tokenizer.decode(i, skip_special_tokens=True) for i in ids]


def check(result, ids, texts, distinct=True):
    """The skillset's tokens and texts are the reference's (lengths included); the reference rows
    of different prompts differ, and run longer than 2 tokens (a truncation cannot pass)."""
    assert result["implementation_type"] == "REAL", result
    for got, want in expect.pairs(result["generated_token_ids"], ids, "generated token ids"):
        assert len(got) == len(want) and got == want, (got, want)
    assert result["generated_text"] == texts
    assert result["count"] == len(ids)
    if distinct and len(ids) > 1:
        expect.distinct(ids, "reference continuations")
    json.dumps(result)


@pytest.mark.parametrize("model_type,fixture", [("gpt2", "gpt2"), ("llama", "llama")])
def test_decoder_matches_generate(fixtures, model_type, fixture):
    path, handler = handler_for(fixtures, model_type, fixture)
    assert handler.task == "text_generation"
    ids, texts = direct_decoder(path, PROMPTS)
    assert all(len(row) > 2 for row in ids), ids
    batch = handler({"prompt": PROMPTS, **GREEDY})
    check(batch, ids, texts)
    assert len(set(sum(batch["generated_token_ids"], []))) > 2, batch  # not a degenerate repeat
    single = handler({"prompt": PROMPTS[1], **GREEDY})
    check(single, *direct_decoder(path, [PROMPTS[1]]))
    # transformers' text-generation pipeline gives the same continuation text.
    generator = transformers.pipeline("text-generation", model=path, device="cpu")
    piped = generator(PROMPTS[1], max_new_tokens=8, do_sample=False, return_full_text=False)
    assert single["generated_text"] == [piped[0]["generated_text"]]
    # A bare list goes through the queue consumer path: the batch's default generation.
    bare = handler(PROMPTS)
    default = bare["generation"]["max_new_tokens"]
    check(bare, *direct_decoder(path, PROMPTS, max_new_tokens=default))


def test_decoder_batch_is_left_padded_like_generate(fixtures):
    # Prompts of different lengths: the batch result is that of the left-padded batched generate.
    path, handler = handler_for(fixtures, "gpt2", "gpt2")
    texts = ["A", PROMPTS[1]]
    check(handler({"prompt": texts, **GREEDY}), *direct_decoder(path, texts))
    texts = [PROMPTS[1], "A"]  # the other order: rows follow their prompts
    check(handler({"prompt": texts, **GREEDY}), *direct_decoder(path, texts))


def test_decoder_defaults_from_generation_config(fixtures):
    path, gpt2 = handler_for(fixtures, "gpt2", "gpt2")
    result = gpt2("The quick")
    assert result["generation"]["max_new_tokens"] == 12  # its generation_config
    check(result, *direct_decoder(path, ["The quick"], max_new_tokens=12))
    path, llama = handler_for(fixtures, "llama", "llama")
    result = llama("The quick")
    assert result["generation"]["max_new_tokens"] == 20  # none set: the fallback
    check(result, *direct_decoder(path, ["The quick"], max_new_tokens=20))


def test_per_call_max_new_tokens(fixtures):
    path, handler = handler_for(fixtures, "gpt2", "gpt2")
    for n in (1, 3, 10):
        result = handler({"prompt": PROMPTS, "max_new_tokens": n, "do_sample": False})
        assert result["generation"]["max_new_tokens"] == n
        assert all(len(ids) <= n for ids in result["generated_token_ids"])
        check(result, *direct_decoder(path, PROMPTS, max_new_tokens=n))
    assert max(len(ids) for ids in result["generated_token_ids"]) > 3


def test_chat_messages_use_the_chat_template(fixtures):
    path, handler = handler_for(fixtures, "llama", "llama")
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    text = tokenizer.apply_chat_template(CONVERSATION, tokenize=False, add_generation_prompt=True)
    assert text.endswith("assistant:")
    expected = direct_decoder(path, [text], add_special_tokens=False)
    check(handler({"messages": CONVERSATION, **GREEDY}), *expected)
    bare = handler(CONVERSATION)  # a bare message list is one conversation
    check(bare, *direct_decoder(path, [text], max_new_tokens=bare["generation"]["max_new_tokens"], add_special_tokens=False))
    both = handler({"messages": [CONVERSATION, CONVERSATION + [{"role": "user", "content": "And Spain?"}]], **GREEDY})
    second = tokenizer.apply_chat_template(CONVERSATION + [{"role": "user", "content": "And Spain?"}], tokenize=False, add_generation_prompt=True)
    check(both, *direct_decoder(path, [text, second], add_special_tokens=False))


def test_chat_without_template_is_a_clear_error(fixtures):
    _, handler = handler_for(fixtures, "gpt2", "gpt2")
    result = handler({"messages": CONVERSATION})
    assert result["implementation_type"] == "ERROR"
    assert "chat_template" in result["error"]


def test_seq2seq_matches_generate(fixtures):
    path, handler = handler_for(fixtures, "t5", "t5")
    assert handler.task == "text2text_generation"
    ids, texts = direct_seq2seq(path, PROMPTS)
    assert all(len(row) > 2 for row in ids), ids
    batch = handler({"text": PROMPTS, **GREEDY})
    check(batch, ids, texts)
    assert len(set(sum(batch["generated_token_ids"], []))) > 2, batch
    check(handler({"text": PROMPTS[0], **GREEDY}), *direct_seq2seq(path, [PROMPTS[0]]))
    check(handler({"text": PROMPTS[::-1], **GREEDY}), *direct_seq2seq(path, PROMPTS[::-1]))
    result = handler({"text": PROMPTS, "max_new_tokens": 2, "do_sample": False})
    check(result, *direct_seq2seq(path, PROMPTS, max_new_tokens=2))
    assert result["generation"]["max_new_tokens"] == 2


def test_sampling_options_run(fixtures):
    _, handler = handler_for(fixtures, "gpt2", "gpt2")
    result = handler({"prompt": PROMPTS, "max_new_tokens": 4, "do_sample": True, "temperature": 0.7, "top_p": 0.9})
    assert result["implementation_type"] == "REAL", result
    assert result["generation"] == {"max_new_tokens": 4, "do_sample": True, "temperature": 0.7, "top_p": 0.9}


BAD_DECODER = [
    None, "", [], [1, 2], 42, {"text": "x"}, {"prompt": "x", "messages": CONVERSATION},
    {"prompt": "x", "max_new_tokens": 0}, {"prompt": "x", "max_new_tokens": "5"}, {"prompt": "x", "do_sample": "yes"},
    {"prompt": "x", "temperature": -1}, {"prompt": "x", "top_p": 1.5}, {"prompt": "x", "bogus": 1},
    {"messages": []}, {"messages": [{"content": "no role"}]}, [CONVERSATION[0], "mixed"],
]
BAD_SEQ2SEQ = [None, [], [None], 3.5, {"prompt": "x"}, {"text": "x", "max_new_tokens": -2}, {"text": ["a", 1]}]


@pytest.mark.parametrize("model_type,fixture,bad", [("gpt2", "gpt2", b) for b in BAD_DECODER] + [("t5", "t5", b) for b in BAD_SEQ2SEQ])
def test_bad_inputs_are_errors(fixtures, model_type, fixture, bad):
    _, handler = handler_for(fixtures, model_type, fixture)
    result = handler(bad)
    assert result["implementation_type"] == "ERROR", (bad, result)
    assert result["error"]


def test_mock_mode_is_labelled_and_deterministic():
    for model_type, x in (("gpt2", ["a", "bb"]), ("t5", {"text": ["a", "bb"], "max_new_tokens": 3})):
        skill = skill_for(model_type, {"mock": True})
        _, _, handler, _, _ = skill.init_cpu("none", "cpu", "cpu")
        first, second = handler(x), handler(x)
        assert first["implementation_type"] == "MOCK"
        assert first["generated_text"] == second["generated_text"] and len(first["generated_text"]) == 2
        assert handler(None)["implementation_type"] == "ERROR"


def test_dunder_test_runs_the_sample(fixtures):
    for model_type, fixture in (("gpt2", "gpt2"), ("llama", "llama"), ("t5", "t5")):
        skill = skill_for(model_type)
        endpoint, tokenizer, handler, _, _ = skill.init_cpu(os.path.join(fixtures, fixture), "cpu", "cpu")
        report = skill.__test__(endpoint, handler, "cpu", tokenizer)
        assert report["ok"], report
        assert report["implementation_type"] == "REAL", report
