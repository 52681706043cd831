"""visual_document_retrieval (ColPali-style retrievers: colpali, colqwen2, colmodernvbert) on tiny
offline models (tests/fixtures/fixtures_retrieval.py), against the recipe of transformers' Col* docs
(no pipeline exists for the task): `processor(images=...)` and `processor(text=...)`, the model's
`embeddings`, and `processor.score_retrieval(query_embeddings, image_embeddings)`. The skillset is
generated with the built binary (conftest.generated_skillset)."""
import os

import pytest
import torch
import transformers

from expect import random_image

QUERIES = ["the cat sat on the mat", "paris is the capital of france", "machine learning"]


@pytest.fixture(scope="module")
def colpali(cpu_handler):
    skill, handler, _ = cpu_handler("vidore/colpali-v1.3-hf", "colpali", "colpali")
    return skill, handler


def reference(path, images, queries, cls="ColPaliForRetrieval"):
    processor = transformers.AutoProcessor.from_pretrained(path)
    model = getattr(transformers, cls).from_pretrained(path).eval()
    if cls == "ColModernVBertForRetrieval":
        # Its process_images prepends the visual prompt (its __call__ on images alone gives no input_ids).
        batch_images = processor.process_images(images=images)
        batch_queries = processor.process_queries(text=queries)
    else:
        batch_images = processor(images=images)
        batch_queries = processor(text=queries)
    with torch.no_grad():
        image_embeddings = model(**batch_images).embeddings
        query_embeddings = model(**batch_queries).embeddings
    scores = processor.score_retrieval(query_embeddings, image_embeddings)
    return image_embeddings, batch_images["attention_mask"], query_embeddings, batch_queries["attention_mask"], scores


def test_embeddings_and_scores_match_the_docs_recipe(fixtures, colpali):
    skill, handler = colpali
    assert skill.FAMILY == "document_retrieval" and handler.task == "visual_document_retrieval"
    images = [random_image(0), random_image(1, 60, 30)]
    result = handler({"images": images, "queries": QUERIES})
    assert "error" not in result, result
    image_embeddings, image_mask, query_embeddings, query_mask, scores = reference(os.path.join(fixtures, "colpali"), images, QUERIES)
    torch.testing.assert_close(result["scores"], scores, rtol=1e-4, atol=1e-5)
    assert result["scores"].shape == (3, 2)
    for got, want, mask in zip(result["image_embeddings"], image_embeddings, image_mask):
        torch.testing.assert_close(got, want[mask.bool()], rtol=1e-4, atol=1e-5)
    for got, want, mask in zip(result["query_embeddings"], query_embeddings, query_mask):
        torch.testing.assert_close(got, want[mask.bool()], rtol=1e-4, atol=1e-5)
    # The query embeddings keep each query's own tokens (the queries differ in length).
    assert len({row.shape[0] for row in result["query_embeddings"]}) > 1
    # Different pages and queries give different scores.
    assert not torch.allclose(result["scores"][:, 0], result["scores"][:, 1])
    assert not torch.allclose(result["scores"][0], result["scores"][1])


def test_one_side_alone_and_bad_input(colpali):
    _, handler = colpali
    queries = handler("the cat sat on the mat")
    assert "error" not in queries, queries
    assert set(queries) >= {"query_embeddings"} and "scores" not in queries and len(queries["query_embeddings"]) == 1
    pages = handler([random_image(2), random_image(3)])
    assert "error" not in pages, pages
    assert len(pages["image_embeddings"]) == 2 and "scores" not in pages
    assert not torch.allclose(pages["image_embeddings"][0], pages["image_embeddings"][1])
    assert "error" in handler({"images": random_image(2), "passages": ["x"]})
    assert "error" in handler({"queries": [""]})
    assert "error" in handler({})
    assert "error" in handler(42)


@pytest.mark.parametrize("model_id,model_type,cls", [
    # Images of different sizes: ColQwen2 gives them different patch grids and token counts.
    ("vidore/colqwen2-v1.0-hf", "colqwen2", "ColQwen2ForRetrieval"),
    ("ModernVBERT/colmodernvbert-merged", "colmodernvbert", "ColModernVBertForRetrieval"),
])
def test_other_retrievers_match_their_docs_recipe(cpu_handler, model_id, model_type, cls):
    skill, handler, path = cpu_handler(model_id, model_type, model_type)
    images = [random_image(4), random_image(5, 60, 30)]
    result = handler({"images": images, "queries": QUERIES})
    assert "error" not in result, result
    image_embeddings, image_mask, query_embeddings, query_mask, scores = reference(path, images, QUERIES, cls)
    torch.testing.assert_close(result["scores"], scores, rtol=1e-4, atol=1e-5)
    for got, want, mask in zip(result["image_embeddings"], image_embeddings, image_mask):
        torch.testing.assert_close(got, want[mask.bool()], rtol=1e-4, atol=1e-5)
    for got, want, mask in zip(result["query_embeddings"], query_embeddings, query_mask):
        torch.testing.assert_close(got, want[mask.bool()], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(result["scores"][:, 0], result["scores"][:, 1])
    assert not torch.allclose(result["scores"][0], result["scores"][1])
