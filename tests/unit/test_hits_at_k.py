"""Per-query hits for notebook 05's paired claims, on vectors written by hand."""

import numpy as np
import pytest

from course_utils.embedder_finetuning import hits_at_k

DOCUMENTS = [{"doc_id": "a"}, {"doc_id": "b"}, {"doc_id": "c"}]
CORPUS = np.eye(3, dtype=np.float32)  # document a points along x, b along y, c along z


class FixedEmbedder:
    """Embeds each query as the vector written for it."""

    def __init__(self, vectors):
        self.vectors = vectors

    def encode(self, texts, **_):
        return np.array([self.vectors[t] for t in texts], dtype=np.float32)


def test_a_query_is_a_hit_when_its_gold_document_is_within_the_top_k():
    embedder = FixedEmbedder({"q1": [0.9, 0.4, 0.1], "q2": [0.9, 0.4, 0.1]})  # ranking a, b, c for both
    queries = [{"query": "q1", "gold_doc_ids": ["b"]}, {"query": "q2", "gold_doc_ids": ["c"]}]
    assert hits_at_k(embedder, queries, DOCUMENTS, CORPUS, k=1) == [0.0, 0.0]
    assert hits_at_k(embedder, queries, DOCUMENTS, CORPUS, k=2) == [1.0, 0.0]
    assert hits_at_k(embedder, queries, DOCUMENTS, CORPUS, k=3) == [1.0, 1.0]


def test_any_of_several_gold_documents_counts():
    embedder = FixedEmbedder({"q": [0.1, 0.2, 0.9]})
    assert hits_at_k(embedder, [{"query": "q", "gold_doc_ids": ["a", "c"]}], DOCUMENTS, CORPUS, k=1) == [1.0]


def test_k_must_be_positive():
    with pytest.raises(ValueError, match="positive k"):
        hits_at_k(FixedEmbedder({"q": [1, 0, 0]}), [{"query": "q", "gold_doc_ids": ["a"]}], DOCUMENTS, CORPUS, k=0)
