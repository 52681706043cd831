"""visual_document_retrieval (ColPali-style retrievers: colpali, colqwen2, colmodernvbert) on tiny
offline models (tests/fixtures/fixtures_retrieval.py), against the recipe of transformers' Col* docs
(no pipeline exists for the task): `processor(images=...)` and `processor(text=...)`, the model's
`embeddings`, and `processor.score_retrieval(query_embeddings, image_embeddings)`. The skillset is
generated with the built binary (conftest.generated_skillset)."""
import os

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

QUERIES = ["the cat sat on the mat", "paris is the capital of france", "machine learning"]


def page(seed, height=40, width=50):
    rng = np.random.RandomState(seed)
    return Image.fromarray((rng.rand(height, width, 3) * 255).astype("uint8"))


@pytest.fixture(scope="module")
def colpali(generated_skillset, fixtures):
    skill = generated_skillset("vidore/colpali-v1.3-hf", "colpali")({"torch": torch, "transformers": transformers}, {})
    _, _, handler, _, _ = skill.init_cpu(os.path.join(fixtures, "colpali"), "cpu", "cpu")
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
    images = [page(0), page(1, 60, 30)]
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
    pages = handler([page(2), page(3)])
    assert "error" not in pages, pages
    assert len(pages["image_embeddings"]) == 2 and "scores" not in pages
    assert not torch.allclose(pages["image_embeddings"][0], pages["image_embeddings"][1])
    assert "error" in handler({"images": page(2), "passages": ["x"]})
    assert "error" in handler({"queries": [""]})
    assert "error" in handler({})
    assert "error" in handler(42)


@pytest.mark.parametrize("model_id,model_type,cls", [
    # Images of different sizes: ColQwen2 gives them different patch grids and token counts.
    ("vidore/colqwen2-v1.0-hf", "colqwen2", "ColQwen2ForRetrieval"),
    ("ModernVBERT/colmodernvbert-merged", "colmodernvbert", "ColModernVBertForRetrieval"),
])
def test_other_retrievers_match_their_docs_recipe(generated_skillset, fixtures, model_id, model_type, cls):
    skill = generated_skillset(model_id, model_type)({"torch": torch, "transformers": transformers}, {})
    path = os.path.join(fixtures, model_type)
    _, _, handler, _, _ = skill.init_cpu(path, "cpu", "cpu")
    images = [page(4), page(5, 60, 30)]
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
