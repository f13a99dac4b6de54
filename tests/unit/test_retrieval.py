import pytest

from course_utils import retrieval

DOC_IDS = ["it-password", "hr-vacation", "it-printer", "hr-salary"]
TEXTS = [
    "To reset a forgotten password, open the self-service portal and confirm with your phone.",
    "Employees receive thirty days of paid vacation per calendar year.",
    "If the printer jams, open tray two and remove the stuck paper.",
    "Salary bands are reviewed every April by the compensation committee.",
]


@pytest.fixture(scope="module")
def index(embedder):
    return retrieval.build_vector_index(embedder, DOC_IDS, TEXTS)


def test_embeddings_are_unit_length(embedder):
    vectors = retrieval.embed_texts(embedder, ["hello", "world"])
    assert vectors.shape == (2, 384)
    assert abs((vectors**2).sum(axis=1) - 1).max() < 1e-4


def test_related_sentences_are_more_similar_than_unrelated_ones(embedder):
    query, related, unrelated = retrieval.embed_texts(embedder, ["I forgot my password", TEXTS[0], TEXTS[3]])
    assert retrieval.cosine_similarity(query, related) > retrieval.cosine_similarity(query, unrelated) + 0.2


def test_search_ranks_the_relevant_document_first(index, embedder):
    hits = retrieval.search(index, embedder, "How do I change my login password?", k=2)
    assert hits[0][0] == "it-password" and hits[0][1] >= hits[1][1]


def test_hr_document_never_reaches_a_user_it_is_filtered_out_for(index, embedder):
    allowed = ["it-password", "it-printer"]
    hits = retrieval.search(index, embedder, "What are the salary bands?", k=4, allowed_ids=allowed)
    assert {doc_id for doc_id, _ in hits} <= set(allowed)


def test_search_refuses_a_query_embedder_that_did_not_build_the_index(index, embedder, monkeypatch):
    monkeypatch.setattr(embedder, "course_name", "fine-tuned-minilm", raising=False)
    with pytest.raises(retrieval.EmbedderMismatchError, match="same model"):
        retrieval.search(index, embedder, "password", k=1)


def test_index_round_trips_through_the_cache(tmp_cache, index, embedder):
    retrieval.save_vector_index(index, "test-index")
    loaded = retrieval.load_vector_index("test-index")
    assert loaded.doc_ids == DOC_IDS and loaded.embedder_name == "all-MiniLM-L6-v2"
    assert retrieval.search(loaded, embedder, "paper stuck in printer", k=1)[0][0] == "it-printer"


def test_missing_index_names_the_notebook(tmp_cache):
    with pytest.raises(FileNotFoundError, match="notebook 04"):
        retrieval.load_vector_index("nope")


def test_build_rejects_duplicate_or_mismatched_ids(embedder):
    with pytest.raises(ValueError, match="unique"):
        retrieval.build_vector_index(embedder, ["a", "a"], ["x", "y"])
    with pytest.raises(ValueError, match="one id per text"):
        retrieval.build_vector_index(embedder, ["a"], ["x", "y"])


def test_embed_texts_rejects_a_bare_string(embedder):
    with pytest.raises(TypeError, match="list of strings"):
        retrieval.embed_texts(embedder, "just a string")


def test_chunk_tokens_overlaps_windows(embedder):
    tokenizer = embedder.tokenizer
    text = " ".join(f"word{i}" for i in range(60))
    chunks = retrieval.chunk_tokens(text, tokenizer, chunk_size=40, overlap=10)
    assert len(chunks) >= 2
    first_ids = tokenizer(chunks[0], add_special_tokens=False)["input_ids"]
    second_ids = tokenizer(chunks[1], add_special_tokens=False)["input_ids"]
    assert first_ids[-10:] == second_ids[:10]
    with pytest.raises(ValueError):
        retrieval.chunk_tokens(text, tokenizer, chunk_size=10, overlap=10)
