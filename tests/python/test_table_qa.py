"""table_question_answering (TAPAS) on a tiny offline TapasForQuestionAnswering with an aggregation
head (tests/fixtures/fixtures_table_bark.py), against transformers' table-question-answering
pipeline on the same tables and queries. The tapas skillset is generated with the built binary
(conftest.generated_skillset)."""
import os
import sys

import pandas as pd
import pytest
import torch
import transformers

TABLE = {"animal": ["cat", "dog", "fox"], "city": ["paris", "france", "the"], "count": ["12", "7", "30"]}
OTHER_TABLE = {"name": ["the dog", "a cat"], "weather": ["sunny", "breeze"]}
QUERIES = ["the dog", "paris weather", "what is the capital of france?", "a cat sat on the mat"]


def load_tapas(generated_skillset):
    return generated_skillset("google/tapas-base-finetuned-wtq", "tapas")({"torch": torch, "transformers": transformers}, {})


@pytest.fixture(scope="module")
def tapas(generated_skillset, fixtures):
    skill = load_tapas(generated_skillset)
    path = os.path.join(fixtures, "tapas-wtq")
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    return skill, handler, transformers.pipeline("table-question-answering", model=path)


def as_pipeline(answer):
    """The handler's answer in the pipeline's shape (coordinates as (row, column) tuples)."""
    return {**answer, "coordinates": [tuple(c) for c in answer["coordinates"]]}


def test_table_qa_matches_the_pipeline(tapas):
    skill, handler, pipe = tapas
    assert handler.task == "table_question_answering"
    result = handler({"table": TABLE, "query": QUERIES})
    assert result["implementation_type"] == "REAL", result
    want = pipe(table=TABLE, query=QUERIES)
    assert len(result["answers"]) == len(want) == len(QUERIES)
    assert [as_pipeline(a) for a in result["answers"]] == want
    # Different queries select different cells (and aggregators): the answers depend on the query.
    assert len({str(a["coordinates"]) for a in want}) >= 3 and len({a["aggregator"] for a in want}) >= 2
    assert all(a["cells"] for a in want)
    # One query (a str) alone, as the pipeline answers it alone.
    single = handler({"table": TABLE, "query": QUERIES[1]})
    assert [as_pipeline(a) for a in single["answers"]] == [pipe(table=TABLE, query=QUERIES[1])]
    assert skill.__test__("tapas", handler, "cpu")["ok"]


def test_table_qa_answers_depend_on_the_table(tapas):
    _, handler, pipe = tapas
    inputs = [{"table": TABLE, "query": QUERIES[0]}, {"table": OTHER_TABLE, "query": [QUERIES[0], QUERIES[3]]}]
    result = handler(inputs)
    assert result["implementation_type"] == "REAL", result
    want = [pipe(table=TABLE, query=QUERIES[0])] + pipe(table=OTHER_TABLE, query=[QUERIES[0], QUERIES[3]])
    assert [as_pipeline(a) for a in result["answers"]] == want
    assert want[0]["cells"] != want[1]["cells"]
    # A DataFrame is taken as its columns.
    frame = handler({"table": pd.DataFrame(OTHER_TABLE), "query": QUERIES[0]})
    assert frame["answers"] == result["answers"][1:2]


@pytest.mark.parametrize("bad", [
    None, "a table?", [], [3], {"query": "the dog"}, {"table": TABLE}, {"table": {}, "query": "the dog"},
    {"table": TABLE, "query": ""}, {"table": TABLE, "query": []}, {"table": TABLE, "query": [3]},
    {"table": {"a": ["1", "2"], "b": ["x"]}, "query": "the dog"},
    {"table": {"a": [1, 2]}, "query": "the dog"}, {"table": {"a": []}, "query": "the dog"},
    {"table": [["cat", "dog"]], "query": "the dog"}, {"table": {3: ["x"]}, "query": "the dog"},
    {"table": TABLE, "query": "the dog", "sequential": True},
])
def test_table_qa_bad_input_is_an_error_dict(tapas, bad):
    _, handler, _ = tapas
    result = handler(bad)
    assert result["implementation_type"] == "ERROR" and result["error"], result


def test_table_qa_without_pandas_is_an_error_handler(generated_skillset, fixtures, monkeypatch):
    skill = load_tapas(generated_skillset)
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, "tapas-wtq"), "cpu", "cpu")
    result = handler({"table": TABLE, "query": "the dog"})
    assert result["implementation_type"] == "ERROR" and "needs pandas" in result["error"], result
