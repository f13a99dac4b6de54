import numpy as np
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
    hits = retrieval.search(index, embedder, "How do I change my login password?", k=2, allowed_ids=retrieval.UNFILTERED)
    assert hits[0][0] == "it-password" and hits[0][1] >= hits[1][1]


def test_hr_document_never_reaches_a_user_it_is_filtered_out_for(index, embedder):
    allowed = ["it-password", "it-printer"]
    hits = retrieval.search(index, embedder, "What are the salary bands?", k=4, allowed_ids=allowed)
    assert {doc_id for doc_id, _ in hits} <= set(allowed)


def test_search_refuses_a_query_embedder_that_did_not_build_the_index(index, embedder, monkeypatch):
    monkeypatch.setattr(embedder, "course_name", "fine-tuned-minilm", raising=False)
    with pytest.raises(retrieval.EmbedderMismatchError, match="same model"):
        retrieval.search(index, embedder, "password", k=1, allowed_ids=retrieval.UNFILTERED)


def test_index_round_trips_through_the_cache(tmp_cache, index, embedder):
    retrieval.save_vector_index(index, "test-index")
    loaded = retrieval.load_vector_index("test-index")
    assert loaded.doc_ids == DOC_IDS and loaded.embedder_name == "all-MiniLM-L6-v2"
    assert retrieval.search(loaded, embedder, "paper stuck in printer", k=1, allowed_ids=retrieval.UNFILTERED)[0][0] == "it-printer"


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


# --- Notebook 04: index kinds, cached embeddings, keyword search, fusion, threshold search, windows ---


@pytest.fixture(scope="module")
def vectors(embedder):
    return retrieval.embed_texts(embedder, TEXTS)


@pytest.mark.parametrize("kind", retrieval.FAISS_KINDS)
def test_every_index_kind_finds_a_document_from_its_own_vector(vectors, kind):
    many = np.repeat(vectors, 20, axis=0) + 0.01 * np.random.default_rng(0).standard_normal((80, vectors.shape[1])).astype(np.float32)
    ids = [f"doc-{i}" for i in range(len(many))]
    vector_index = retrieval.index_from_vectors(ids, many, "all-MiniLM-L6-v2", kind=kind, nprobe=2)
    hits = retrieval.search_vectors(vector_index, many[5], k=3, allowed_ids=retrieval.UNFILTERED)[0]
    assert hits[0][0] == "doc-5" and len(hits) == 3


def test_make_faiss_index_rejects_unknown_kinds_and_empty_input(vectors):
    with pytest.raises(ValueError, match="Unknown index kind"):
        retrieval.make_faiss_index(vectors, kind="annoy")
    with pytest.raises(ValueError, match="non-empty 2-D"):
        retrieval.make_faiss_index(np.zeros((0, 384), dtype=np.float32))


def test_index_from_vectors_needs_one_unique_id_per_vector_and_an_embedder_name(vectors):
    with pytest.raises(ValueError, match="one id per"):
        retrieval.index_from_vectors(DOC_IDS[:2], vectors, "all-MiniLM-L6-v2")
    with pytest.raises(ValueError, match="unique"):
        retrieval.index_from_vectors(["a", "a", "b", "c"], vectors, "all-MiniLM-L6-v2")
    with pytest.raises(ValueError, match="Name the embedder"):
        retrieval.index_from_vectors(DOC_IDS, vectors, "")


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_allowed_ids_filter_works_for_approximate_indexes_too(vectors, kind):
    many = np.repeat(vectors, 20, axis=0)
    ids = [f"{DOC_IDS[i // 20]}-{i}" for i in range(len(many))]
    vector_index = retrieval.index_from_vectors(ids, many, "all-MiniLM-L6-v2", kind=kind, nprobe=2)
    allowed = [doc_id for doc_id in ids if doc_id.startswith("it-")]
    hits = retrieval.search_vectors(vector_index, vectors[3], k=10, allowed_ids=allowed)[0]
    assert hits and {doc_id for doc_id, _ in hits} <= set(allowed)


def test_an_empty_allow_list_returns_nothing(index, embedder):
    assert retrieval.search(index, embedder, "salary", k=3, allowed_ids=[]) == []


def test_search_many_matches_search_one_query_at_a_time(index, embedder):
    queries = ["printer paper jam", "vacation days"]
    assert [retrieval.ranked_ids(h) for h in retrieval.search_many(index, embedder, queries, k=2, allowed_ids=retrieval.UNFILTERED)] == [
        retrieval.ranked_ids(retrieval.search(index, embedder, q, k=2, allowed_ids=retrieval.UNFILTERED)) for q in queries
    ]


def test_search_rejects_a_list_instead_of_one_query(index, embedder):
    with pytest.raises(TypeError, match="search_many"):
        retrieval.search(index, embedder, ["a", "b"], k=1, allowed_ids=retrieval.UNFILTERED)


def test_search_above_keeps_searching_past_the_first_page(embedder):
    texts = [f"Employees in office {i} receive thirty days of paid vacation." for i in range(12)] + TEXTS
    ids = [f"vacation-{i}" for i in range(12)] + DOC_IDS
    vector_index = retrieval.build_vector_index(embedder, ids, texts)
    hits = retrieval.search_above(vector_index, embedder, "paid vacation days for employees", min_score=0.5, page_size=5, allowed_ids=retrieval.UNFILTERED)
    assert {f"vacation-{i}" for i in range(12)} <= set(retrieval.ranked_ids(hits))
    assert all(score >= 0.5 for _, score in hits)
    assert len(retrieval.search(vector_index, embedder, "paid vacation days for employees", k=5, allowed_ids=retrieval.UNFILTERED)) == 5
    with pytest.raises(ValueError, match="page_size"):
        retrieval.search_above(vector_index, embedder, "x", 0.5, page_size=0, allowed_ids=retrieval.UNFILTERED)


def test_cached_embeddings_compute_once_and_then_read_the_cache(tmp_cache, embedder, monkeypatch):
    first = retrieval.cached_embeddings(embedder, TEXTS, "unit")
    monkeypatch.setattr(retrieval, "embed_texts", lambda *a, **k: pytest.fail("should read the cache"))
    second = retrieval.cached_embeddings(embedder, TEXTS, "unit")
    assert np.array_equal(first, second) and first.shape == (4, 384)
    assert len(list((tmp_cache / "embeddings").glob("unit-*.npy"))) == 1


def test_cached_embeddings_key_changes_with_the_texts():
    assert retrieval.embeddings_path("x", "m", ["a"]) != retrieval.embeddings_path("x", "m", ["b"])
    assert retrieval.embeddings_path("x", "m", ["a"]) != retrieval.embeddings_path("x", "other-model", ["a"])


def test_cached_embeddings_reject_empty_input(embedder):
    with pytest.raises(ValueError, match="non-empty"):
        retrieval.cached_embeddings(embedder, [], "unit")


def test_bm25_ranks_exact_word_matches_first_and_drops_unrelated_documents():
    keyword_index = retrieval.build_bm25_index(DOC_IDS, TEXTS)
    hits = retrieval.bm25_search(keyword_index, "printer jams tray", k=4, allowed_ids=retrieval.UNFILTERED)
    assert hits[0][0] == "it-printer"
    assert all(score > 0 for _, score in hits) and len(hits) == 1


def test_bm25_allowed_ids_filter_before_ranking():
    keyword_index = retrieval.build_bm25_index(DOC_IDS, TEXTS)
    assert retrieval.bm25_search(keyword_index, "salary bands", k=4, allowed_ids=["it-password", "it-printer"]) == []
    with pytest.raises(KeyError):
        retrieval.bm25_search(keyword_index, "salary", allowed_ids=["nope"])


def test_bm25_rejects_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        retrieval.build_bm25_index([], [])
    with pytest.raises(ValueError, match="one id per"):
        retrieval.build_bm25_index(["a"], ["x", "y"])
    keyword_index = retrieval.build_bm25_index(DOC_IDS, TEXTS)
    with pytest.raises(ValueError, match="k must be positive"):
        retrieval.bm25_search(keyword_index, "x", k=0, allowed_ids=retrieval.UNFILTERED)


def test_reciprocal_rank_fusion_rewards_documents_both_rankers_like():
    fused = retrieval.reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert retrieval.ranked_ids(fused) == ["b", "c", "a", "d"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert len(retrieval.reciprocal_rank_fusion([["a", "b"], ["c"]], top_n=2)) == 2


def test_reciprocal_rank_fusion_rejects_bare_strings():
    with pytest.raises(TypeError, match="list of rankings"):
        retrieval.reciprocal_rank_fusion(["abc", "bcd"])


def test_token_window_spans_keep_the_original_text_and_overlap(embedder):
    tokenizer = embedder.tokenizer
    text = " ".join(f"Word{i}." for i in range(80))
    spans = retrieval.token_window_spans(text, tokenizer, chunk_size=40, overlap=10)
    assert len(spans) >= 3 and spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(start < end for start, end in spans)
    assert all(later_start < earlier_end for (_, earlier_end), (later_start, _) in zip(spans, spans[1:]))  # windows overlap
    assert text[spans[0][0] : spans[0][1]].startswith("Word0.")  # case and punctuation survive (decode would lower-case)
    assert retrieval.token_window_spans("   ", tokenizer, 10, 2) == []
    with pytest.raises(ValueError):
        retrieval.token_window_spans(text, tokenizer, chunk_size=10, overlap=10)


def test_perturbed_copies_are_unit_vectors_near_their_base():
    base = np.eye(4, dtype=np.float32)
    copies = retrieval.perturbed_copies(base, n=50, noise=0.1, seed=0)
    assert copies.shape == (50, 4) and np.allclose(np.linalg.norm(copies, axis=1), 1, atol=1e-5)
    assert (copies.max(axis=1) > 0.9).all()  # each copy still points along one base vector
    assert np.array_equal(copies, retrieval.perturbed_copies(base, n=50, noise=0.1, seed=0))
    with pytest.raises(ValueError):
        retrieval.perturbed_copies(base, n=0)


def test_benchmark_index_measures_build_latency_and_recall_against_exact_search():
    vectors = retrieval.perturbed_copies(np.eye(8, dtype=np.float32), n=400, noise=0.5, seed=0)
    queries = retrieval.perturbed_copies(np.eye(8, dtype=np.float32), n=20, noise=0.5, seed=1)
    exact = retrieval.exact_neighbours(vectors, queries, k=5)
    assert exact.shape == (20, 5)
    flat = retrieval.benchmark_index(vectors, queries, "flat", exact, n_timed=5)
    assert flat["recall@5_vs_exact"] == 1.0 and flat["query_ms"] > 0 and flat["vectors"] == 400
    hnsw = retrieval.benchmark_index(vectors, queries, "hnsw", exact, n_timed=5)
    assert 0.5 <= hnsw["recall@5_vs_exact"] <= 1.0
    with pytest.raises(ValueError, match="exact neighbours of every query"):
        retrieval.benchmark_index(vectors, queries[:3], "flat", exact)


# --- hand-computed cases: each would change under a plausible bug ---

UNIT_IDS = ["a", "b", "c", "d"]


@pytest.fixture
def unit_index():
    """Four documents whose vectors are the unit axes: a query along axis i scores 1 for document i and 0 for the rest."""
    return retrieval.index_from_vectors(UNIT_IDS, np.eye(4, dtype=np.float32), "hand-made")


def test_search_vectors_filters_before_ranking_and_drops_faiss_padding(unit_index):
    # "a" is the best match, but only "d" is allowed: a filter applied after ranking the top 1 would return nothing,
    # and asking for 3 results out of 1 allowed document must not pad the answer with faiss's -1 positions.
    query = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    assert retrieval.search_vectors(unit_index, query, k=1, allowed_ids=["d"]) == [[("d", 0.0)]]
    assert retrieval.search_vectors(unit_index, query, k=3, allowed_ids=["d"]) == [[("d", 0.0)]]


def test_subset_index_keeps_the_vectors_of_the_named_documents(unit_index):
    subset = retrieval.subset_index(unit_index, ["c", "a"])
    assert subset.doc_ids == ["c", "a"]
    assert np.array_equal(retrieval.vectors_of(subset), np.array([[0, 0, 1, 0], [1, 0, 0, 0]], dtype=np.float32))


def test_cosine_similarity_divides_by_both_norms():
    assert retrieval.cosine_similarity(np.array([3.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(1 / np.sqrt(2))


def test_reciprocal_rank_fusion_defaults_to_k_60():
    # y is 10th in both rankings, x 1st in one: with k=60 y wins (2/70 > 1/61); with k=6 x would (1/7 > 2/16)
    rankings = [["x", *[f"p{i}" for i in range(8)], "y"], [*[f"q{i}" for i in range(9)], "y"]]
    fused = retrieval.reciprocal_rank_fusion(rankings)
    assert fused[0] == ("y", pytest.approx(2 / 70)) and dict(fused)["x"] == pytest.approx(1 / 61)


def test_reciprocal_rank_fusion_breaks_ties_by_doc_id():
    assert retrieval.ranked_ids(retrieval.reciprocal_rank_fusion([["b"], ["a"]])) == ["a", "b"]


class _WordTokenizer:
    """A stand-in tokenizer: one token per whitespace-separated word, so windows can be checked by hand."""

    def __call__(self, text, add_special_tokens=False, return_offsets_mapping=False, verbose=False):
        words, offsets, cursor = text.split(), [], 0
        for word in words:
            start = text.index(word, cursor)
            offsets.append((start, start + len(word)))
            cursor = start + len(word)
        self.words = words
        return {"input_ids": list(range(len(words))), "offset_mapping": offsets}

    def decode(self, ids):
        return " ".join(self.words[i] for i in ids)


def test_token_windows_by_hand():
    text = "aa bb cc dd ee"
    tokenizer = _WordTokenizer()
    # 2-token windows overlapping by 1 token: start every token, the last window ends at the text's end
    assert retrieval.token_window_spans(text, tokenizer, chunk_size=2, overlap=1) == [(0, 5), (3, 8), (6, 11), (9, 14)]
    assert retrieval.token_window_spans(text, tokenizer, chunk_size=3, overlap=0) == [(0, 8), (9, 14)]
    assert retrieval.chunk_tokens(text, tokenizer, chunk_size=2, overlap=1) == ["aa bb", "bb cc", "cc dd", "dd ee"]


class _AxisEmbedder:
    """A stand-in embedder that embeds every text as the first unit axis (so document "a" of `unit_index` scores 1)."""

    course_name = "hand-made"

    def encode(self, texts, **kwargs):
        return np.tile(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32), (len(texts), 1))


def test_search_above_keeps_a_score_equal_to_the_threshold(unit_index):
    hits = retrieval.search_above(unit_index, _AxisEmbedder(), "q", min_score=1.0, page_size=1, allowed_ids=retrieval.UNFILTERED)
    assert hits == [("a", 1.0)]


def test_bm25_returns_k_results_when_k_documents_share_a_word():
    keyword_index = retrieval.build_bm25_index(DOC_IDS, TEXTS)
    hits = retrieval.bm25_search(keyword_index, "paid vacation salary", k=2, allowed_ids=retrieval.UNFILTERED)
    assert sorted(retrieval.ranked_ids(hits)) == ["hr-salary", "hr-vacation"]
