"""Table question answering (TAPAS `*ForQuestionAnswering`): a table given as a dict of columns and
one or more queries → the selected cells, their coordinates and the aggregation operator, as
transformers' table-question-answering pipeline answers (batch inference: every query of a table
in one padded batch, rows dropped to fit the model's length, the tokenizer's
`convert_logits_to_predictions`). TAPAS's tokenizer takes a pandas DataFrame, so pandas is imported
here only when a table model is loaded; a host without it gets an error handler saying so."""

from .errors import SkillInputError

TABLE_QA = "table_question_answering"
TABLE_QA_KEYS = ("table", "query")


class TableQA:
    """Mixin for the text encoder family: table_question_answering."""

    def _load_processor(self, model, task, config):
        if task == TABLE_QA:
            try:
                import pandas  # noqa: F401
            except ImportError as e:
                # TapasTokenizer's own ImportError does not say which task needs it or how to fix it.
                raise ImportError("table_question_answering needs pandas (TAPAS's tokenizer takes a DataFrame): pip install pandas") from e
        return super()._load_processor(model, task, config)

    def _split_table_qa(self, x):
        """{"table": {column: [cell, ...]}, "query": str | [str]} or a list of such dicts →
        ([(columns, queries)], single, {})."""
        if isinstance(x, (list, tuple)):
            return self._dict_items(x, self._split_table_qa, "'table' and 'query'")
        if not isinstance(x, dict):
            raise SkillInputError("table_question_answering takes {'table': {column: [cells]}, 'query': str or list}; got " + type(x).__name__)
        unknown = sorted(k for k in x if k not in TABLE_QA_KEYS)
        if unknown:
            raise SkillInputError("unknown key(s) " + repr(unknown) + "; allowed: " + repr(TABLE_QA_KEYS))
        for key in TABLE_QA_KEYS:
            if key not in x:
                raise SkillInputError("table_question_answering needs '" + key + "'")
        columns = self._table_columns(x["table"])
        query = x["query"]
        queries = [query] if isinstance(query, str) else query
        if not isinstance(queries, (list, tuple)) or not queries:
            raise SkillInputError("'query' must be a non-empty str or a non-empty list of str")
        for q in queries:
            if not isinstance(q, str) or not q.strip():
                raise SkillInputError("each query must be a non-empty str, not " + repr(q))
        return [(columns, list(queries))], isinstance(query, str), {}

    def _table_columns(self, table):
        if type(table).__name__ == "DataFrame" and hasattr(table, "columns"):
            table = {column: list(table[column]) for column in table.columns}
        if not isinstance(table, dict) or not table:
            raise SkillInputError("'table' must be a non-empty dict of columns {name: [cell, ...]} (or a DataFrame)")
        rows = None
        for name, cells in table.items():
            if not isinstance(name, str) or not name.strip():
                raise SkillInputError("column names must be non-empty str, not " + repr(name))
            if not isinstance(cells, (list, tuple)) or not cells:
                raise SkillInputError("column " + repr(name) + " must be a non-empty list of cells")
            if not all(isinstance(cell, str) for cell in cells):
                raise SkillInputError("the cells of column " + repr(name) + " must be str (TAPAS parses numbers and dates from text)")
            if rows is not None and len(cells) != rows:
                raise SkillInputError("every column needs the same number of cells; " + repr(name) + " has " + str(len(cells)) + ", not " + str(rows))
            rows = len(cells)
        return {name: list(cells) for name, cells in table.items()}

    def _preprocess_table_qa(self, tokenizer, items, options, device, model):
        import pandas as pd

        encoded = []
        for columns, queries in items:
            table = pd.DataFrame(columns)
            inputs = tokenizer(table=table, queries=queries, padding=True, truncation="drop_rows_to_fit", return_tensors="pt")
            encoded.append({"table": table, "inputs": inputs, "feed": {k: v.to(device) for k, v in inputs.items()}})
        return {"tables": encoded}

    def _forward_table_qa(self, model, inputs):
        return [model(**item["feed"]) for item in inputs["tables"]]

    def _postprocess_table_qa(self, model, tokenizer, inputs, outputs):
        config = model.config
        labels = getattr(config, "aggregation_labels", None)
        aggregate = bool(labels and getattr(config, "num_aggregation_labels", None))
        answers = []
        for item, out in zip(inputs["tables"], outputs):
            logits = out.logits.float().cpu()
            if aggregate:
                coordinates, operators = tokenizer.convert_logits_to_predictions(item["inputs"], logits, out.logits_aggregation.float().cpu())
            else:
                coordinates, operators = tokenizer.convert_logits_to_predictions(item["inputs"], logits)[0], None
            table = item["table"]
            for index, cells_at in enumerate(coordinates):
                cells = [table.iat[coordinate] for coordinate in cells_at]
                answer = {"answer": ", ".join(cells), "coordinates": [list(c) for c in cells_at], "cells": cells}
                if aggregate:
                    operator = int(operators[index])
                    answer["aggregator"] = labels[operator]
                    # The pipeline writes "AGGREGATOR > cells" unless the model's no-aggregation label won.
                    if operator != getattr(config, "no_aggregation_label_index", None):
                        answer["answer"] = labels[operator] + " > " + answer["answer"]
                answers.append(answer)
        return {"answers": answers, "count": len(answers)}

    def _mock_table_qa(self, items):
        answers = []
        for columns, queries in items:
            first = next(iter(columns.values()))[0]
            answers += [{"answer": first, "coordinates": [[0, 0]], "cells": [first]} for _ in queries]
        return {"answers": answers, "count": len(answers)}
