"""Finding documents: embeddings, faiss vector indexes that remember their embedder, keyword search, fusion.

Introduced in notebook 00 (one similarity query), taught in 04 (RAG: exact, IVF and HNSW indexes,
BM25, reciprocal rank fusion, threshold search, token-window chunking, cached embeddings), reused in
05 (fine-tuned embeddings) and 07 (the assistant's HR and IT tools). An index records the name of the
model that embedded its documents, and `search` refuses a query embedder with another name: vectors
from two models live in different spaces, so mixing them silently returns nonsense. Every search names its
filter, `allowed_ids`, applied *before* ranking so a document a user may not see is never a candidate: the ids
the user may see (`access.visible_ids`), or `UNFILTERED` to search every document, for work that is not about
users. A search without a filter is an error, not a search of everything.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .access import UNFILTERED, AccessError, Unfiltered
from .data import Record
from .paths import artifact_path, atomic_path, cache_lock

FAISS_KINDS = ("flat", "ivf", "hnsw")
Hit = tuple[str, float]  # (doc_id, score), best first
AllowedIds = Sequence[str] | Unfiltered  # the ids a search may return, or UNFILTERED (every document)


class EmbedderMismatchError(ValueError):
    """The query embedder is not the model that built the index."""


def embed_texts(embedder: Any, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Return L2-normalised float32 embeddings, one row per text (inner product = cosine similarity)."""
    if isinstance(texts, str):
        raise TypeError("embed_texts takes a list of strings; wrap a single text as [text].")
    if len(texts) == 0:
        raise ValueError("embed_texts needs at least one text.")
    vectors = embedder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two vectors (1 = same direction, 0 = unrelated)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0:
        raise ValueError("cosine_similarity is undefined for a zero vector.")
    return float(a @ b / norms)


def embedder_name_of(embedder: Any) -> str:
    """Return the name recorded for an embedder (set by `pretrained.load_embedder`)."""
    name = getattr(embedder, "course_name", None)
    if not name:
        raise ValueError("This embedder has no course_name; load it with course_utils.pretrained.load_embedder or set .course_name.")
    return name


def embeddings_path(name: str, embedder_name: str, texts: Sequence[str]) -> Path:
    """Return the cache file for the embeddings of `texts` by `embedder_name` (the name carries a hash of both)."""
    digest = hashlib.sha256(json.dumps([embedder_name, list(texts)]).encode("utf-8")).hexdigest()[:16]
    return artifact_path("embeddings", f"{name}-{digest}.npy")


def cached_embeddings(embedder: Any, texts: Sequence[str], name: str) -> np.ndarray:
    """Return `embed_texts(embedder, texts)`, computed once and then read from the cache (written atomically)."""
    from .runtime import log

    if isinstance(texts, str) or len(texts) == 0:
        raise ValueError("cached_embeddings needs a non-empty list of strings.")
    path = embeddings_path(name, embedder_name_of(embedder), texts)
    with cache_lock(path.name):
        if not path.exists():
            log(f"embedding {len(texts):,} texts for {name!r} (once; later runs read {path.parent.name}/{path.name})...")
            vectors = embed_texts(embedder, texts)
            with atomic_path(path) as tmp, tmp.open("wb") as handle:
                np.save(handle, vectors)
    return np.load(path)


@dataclass
class VectorIndex:
    """A faiss index over documents, with their ids and the name of the model that embedded them."""

    index: Any
    doc_ids: list[str]
    embedder_name: str

    def __len__(self) -> int:
        return len(self.doc_ids)


def make_faiss_index(
    vectors: np.ndarray,
    kind: str = "flat",
    nlist: int | None = None,
    nprobe: int = 8,
    hnsw_m: int = 16,
    ef_construction: int = 40,
    ef_search: int = 32,
) -> Any:
    """Return a faiss inner-product index holding `vectors`: "flat" (exact), "ivf" (clustered) or "hnsw" (graph)."""
    import faiss

    if kind not in FAISS_KINDS:
        raise ValueError(f"Unknown index kind {kind!r}; choose one of {FAISS_KINDS}.")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) == 0:
        raise ValueError(f"Need a non-empty 2-D matrix of vectors (one row per document), got shape {vectors.shape}.")
    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "ivf":
        # about sqrt(n) clusters, each with at least 39 training points (fewer and faiss's k-means is unreliable)
        nlist = nlist or max(1, min(round(math.sqrt(len(vectors))), len(vectors) // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(nprobe, nlist)
    else:
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
    index.add(vectors)
    return index


def _check_ids(doc_ids: Sequence[str], n_items: int, what: str) -> None:
    if len(doc_ids) != n_items:
        raise ValueError(f"Got {len(doc_ids)} ids for {n_items} {what}; pass one id per text.")
    if len(set(doc_ids)) != len(doc_ids):
        raise ValueError("Document ids must be unique.")


def index_from_vectors(doc_ids: Sequence[str], vectors: np.ndarray, embedder_name: str, kind: str = "flat", **params: Any) -> VectorIndex:
    """Wrap already-computed document vectors in a `VectorIndex` of one faiss kind (see `make_faiss_index`)."""
    _check_ids(doc_ids, len(vectors), "vectors")
    if not embedder_name:
        raise ValueError("Name the embedder that made these vectors: the index records it.")
    return VectorIndex(index=make_faiss_index(vectors, kind, **params), doc_ids=list(doc_ids), embedder_name=embedder_name)


def build_vector_index(embedder: Any, doc_ids: Sequence[str], texts: Sequence[str], kind: str = "flat", **params: Any) -> VectorIndex:
    """Embed `texts` and return an inner-product index over them (exact `faiss.IndexFlatIP` by default)."""
    _check_ids(doc_ids, len(texts), "texts")
    return index_from_vectors(doc_ids, embed_texts(embedder, texts), embedder_name_of(embedder), kind, **params)


def _search_parameters(index: Any, selector: Any) -> Any:
    """faiss wants the parameter class that matches the index type (IVF and HNSW have their own)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        return faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
    if isinstance(index, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    return faiss.SearchParameters(sel=selector)


def checked_allowed_ids(allowed_ids: AllowedIds, doc_ids: Sequence[str]) -> list[str] | None:
    """The ids a search may return (None for UNFILTERED); a missing filter, one id string or an unknown id is an error."""
    if allowed_ids is UNFILTERED:
        return None
    if allowed_ids is None:
        raise AccessError(
            "allowed_ids=None does not mean every document: pass the ids the user may see (access.visible_ids(documents, role)), "
            "or retrieval.UNFILTERED to search every document for work that is not about users."
        )
    if isinstance(allowed_ids, str):
        raise TypeError(f"allowed_ids is a list of document ids, not one string ({allowed_ids!r}): wrap it as [{allowed_ids!r}].")
    known = set(doc_ids)
    unknown = [doc_id for doc_id in allowed_ids if doc_id not in known]
    if unknown:
        raise KeyError(f"allowed_ids not in the index: {unknown[:5]}")
    return list(allowed_ids)


def search_vectors(vector_index: VectorIndex, query_vectors: np.ndarray, k: int = 5, *, allowed_ids: AllowedIds) -> list[list[Hit]]:
    """Return the top-k (doc_id, score) for each query vector; `allowed_ids` filters *before* ranking."""
    import faiss

    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    query_vectors = np.ascontiguousarray(np.atleast_2d(query_vectors), dtype=np.float32)
    allowed = checked_allowed_ids(allowed_ids, vector_index.doc_ids)
    params = None
    if allowed is not None:
        if not allowed:
            return [[] for _ in query_vectors]
        positions = {doc_id: i for i, doc_id in enumerate(vector_index.doc_ids)}
        selector = faiss.IDSelectorBatch(np.array([positions[d] for d in allowed], dtype=np.int64))
        params = _search_parameters(vector_index.index, selector)
    scores, found = vector_index.index.search(query_vectors, min(k, len(vector_index)), params=params)
    return [[(vector_index.doc_ids[p], float(s)) for s, p in zip(row_s, row_p) if p >= 0] for row_s, row_p in zip(scores, found)]


def _check_embedder(vector_index: VectorIndex, embedder: Any) -> None:
    if embedder_name_of(embedder) != vector_index.embedder_name:
        raise EmbedderMismatchError(
            f"This index was built with {vector_index.embedder_name!r} but the query embedder is "
            f"{embedder_name_of(embedder)!r}. Embed queries with the same model, or rebuild the index with the new one."
        )


def search(vector_index: VectorIndex, embedder: Any, query: str, k: int = 5, *, allowed_ids: AllowedIds) -> list[Hit]:
    """Return the top-k (doc_id, score) for `query` among `allowed_ids` (the filter runs *before* ranking), or UNFILTERED."""
    if not isinstance(query, str):
        raise TypeError("search takes one query string; use search_many for a list of queries.")
    return search_many(vector_index, embedder, [query], k, allowed_ids=allowed_ids)[0]


def search_many(vector_index: VectorIndex, embedder: Any, queries: Sequence[str], k: int = 5, *, allowed_ids: AllowedIds) -> list[list[Hit]]:
    """Return the top-k (doc_id, score) of each query among `allowed_ids` (or UNFILTERED), embedding the queries in one batch."""
    _check_embedder(vector_index, embedder)
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    checked_allowed_ids(allowed_ids, vector_index.doc_ids)  # before the embedding work
    return search_vectors(vector_index, embed_texts(embedder, queries), k, allowed_ids=allowed_ids)


def search_above(
    vector_index: VectorIndex, embedder: Any, query: str, min_score: float, page_size: int = 10, *, allowed_ids: AllowedIds
) -> list[Hit]:
    """Return every document among `allowed_ids` (or UNFILTERED) scoring at least `min_score`: fetch pages until they turn dissimilar."""
    if page_size <= 0:
        raise ValueError(f"page_size must be positive, got {page_size}.")
    _check_embedder(vector_index, embedder)
    allowed = checked_allowed_ids(allowed_ids, vector_index.doc_ids)
    query_vector = embed_texts(embedder, [query])
    limit = len(vector_index) if allowed is None else len(allowed)
    k = page_size
    while True:
        hits = search_vectors(vector_index, query_vector, k, allowed_ids=allowed_ids)[0]
        if not hits or hits[-1][1] < min_score or k >= limit:
            return [(doc_id, score) for doc_id, score in hits if score >= min_score]
        k += page_size


def ranked_ids(hits: Sequence[Hit]) -> list[str]:
    """Return the doc ids of (doc_id, score) hits, in rank order."""
    return [doc_id for doc_id, _ in hits]


@dataclass
class KeywordIndex:
    """A BM25 index (the `bm25s` package) over documents, with their ids."""

    retriever: Any
    doc_ids: list[str]

    def __len__(self) -> int:
        return len(self.doc_ids)


def _bm25_tokens(texts: Sequence[str]) -> Any:
    import bm25s

    # lower-case words of 2+ characters, English stop words removed (bm25s's defaults, written out)
    return bm25s.tokenize(list(texts), lower=True, stopwords="en", show_progress=False)


def build_bm25_index(doc_ids: Sequence[str], texts: Sequence[str]) -> KeywordIndex:
    """Return a BM25 keyword index over `texts` (scores exact word overlap, weighted by rarity)."""
    import bm25s

    if isinstance(texts, str) or len(texts) == 0:
        raise ValueError("build_bm25_index needs a non-empty list of texts.")
    _check_ids(doc_ids, len(texts), "texts")
    tokens = _bm25_tokens(texts)
    if not tokens.vocab:
        raise ValueError("build_bm25_index found no word to index: every text is empty or only stop words. Pass the documents' texts, e.g. data.texts_of(records).")
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return KeywordIndex(retriever=retriever, doc_ids=list(doc_ids))


def bm25_search(keyword_index: KeywordIndex, query: str, k: int = 5, *, allowed_ids: AllowedIds) -> list[Hit]:
    """Return the top-k (doc_id, score) by BM25 among `allowed_ids` (or UNFILTERED); documents sharing no word with the query are left out."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    if not isinstance(query, str):
        raise TypeError("bm25_search takes one query string.")
    allowed = checked_allowed_ids(allowed_ids, keyword_index.doc_ids)
    mask = None
    if allowed is not None:
        allowed_set = set(allowed)
        mask = np.array([doc_id in allowed_set for doc_id in keyword_index.doc_ids], dtype=np.float32)
    found, scores = keyword_index.retriever.retrieve(
        _bm25_tokens([query]), k=len(keyword_index), show_progress=False, n_threads=1, weight_mask=mask
    )
    hits = [(keyword_index.doc_ids[int(p)], float(s)) for p, s in zip(found[0], scores[0]) if s > 0]
    return hits[:k]


def bm25_rankings(keyword_index: KeywordIndex, queries: Sequence[str], k: int = 10, *, allowed_ids: AllowedIds) -> list[list[str]]:
    """The top-k doc ids by BM25 for each query (the keyword baseline's rankings, for the retrieval metrics)."""
    return [ranked_ids(bm25_search(keyword_index, query, k, allowed_ids=allowed_ids)) for query in queries]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60, top_n: int | None = None) -> list[Hit]:
    """Fuse several rankings of doc ids: each document scores sum(1 / (k + rank)) over the rankings it appears in."""
    if isinstance(rankings, str) or any(isinstance(ranking, str) for ranking in rankings):
        raise TypeError("Pass a list of rankings, each a list of doc ids.")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}.")
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    fused = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return fused if top_n is None else fused[:top_n]


def index_path(name: str) -> Path:
    """Return the cache folder of a named index."""
    return artifact_path("indexes", name)


def save_vector_index(vector_index: VectorIndex, name: str) -> Path:
    """Save the faiss index, its ids and its embedder name to the cache atomically."""
    import faiss

    final = index_path(name)
    with cache_lock(f"index-{name}"), atomic_path(final) as tmp:
        tmp.mkdir()
        faiss.write_index(vector_index.index, str(tmp / "index.faiss"))
        meta = {"doc_ids": vector_index.doc_ids, "embedder_name": vector_index.embedder_name}
        (tmp / "meta.json").write_text(json.dumps(meta))
    return final


def load_vector_index(name: str, made_by: str = "notebook 04") -> VectorIndex:
    """Load a named index from the cache, or say which notebook builds it."""
    import faiss

    folder = index_path(name)
    if not (folder / "index.faiss").exists():
        raise FileNotFoundError(f"Index {name!r} is not in the cache ({folder}); run {made_by} first.")
    meta = json.loads((folder / "meta.json").read_text())
    return VectorIndex(index=faiss.read_index(str(folder / "index.faiss")), doc_ids=meta["doc_ids"], embedder_name=meta["embedder_name"])


def chunk_tokens(text: str, tokenizer: Any, chunk_size: int, overlap: int = 0) -> list[str]:
    """Split `text` into windows of `chunk_size` tokens that overlap by `overlap` tokens."""
    if chunk_size <= 0 or not 0 <= overlap < chunk_size:
        raise ValueError(f"Need chunk_size > 0 and 0 <= overlap < chunk_size; got {chunk_size}, {overlap}.")
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    step = chunk_size - overlap
    starts = range(0, max(len(ids) - overlap, 1), step)
    return [tokenizer.decode(ids[start : start + chunk_size]) for start in starts]


def token_window_spans(text: str, tokenizer: Any, chunk_size: int, overlap: int = 0) -> list[tuple[int, int]]:
    """Return (start, end) character spans of token windows, so chunks keep the original text (case, spacing, code)."""
    if chunk_size <= 0 or not 0 <= overlap < chunk_size:
        raise ValueError(f"Need chunk_size > 0 and 0 <= overlap < chunk_size; got {chunk_size}, {overlap}.")
    if not text.strip():
        return []
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
    step = chunk_size - overlap
    starts = range(0, max(len(offsets) - overlap, 1), step)
    return [(offsets[start][0], offsets[min(start + chunk_size, len(offsets)) - 1][1]) for start in starts]


# --- Benchmarking index kinds (notebook 04) ---------------------------------------------------


def perturbed_copies(base: np.ndarray, n: int, noise: float = 1.0, seed: int = 0) -> np.ndarray:
    """Return `n` SYNTHETIC unit vectors: random rows of `base` plus Gaussian noise of norm about `noise`, renormalised."""
    if n <= 0 or noise < 0:
        raise ValueError(f"Need n > 0 and noise >= 0, got n={n}, noise={noise}.")
    base = np.asarray(base, dtype=np.float32)
    if base.ndim != 2 or len(base) == 0:
        raise ValueError(f"base must be a non-empty 2-D matrix of vectors, got shape {base.shape}.")
    rng = np.random.default_rng(seed)
    copies = base[rng.integers(0, len(base), n)] + noise * rng.standard_normal((n, base.shape[1]), dtype=np.float32) / math.sqrt(base.shape[1])
    return np.ascontiguousarray(copies / np.linalg.norm(copies, axis=1, keepdims=True), dtype=np.float32)


def exact_neighbours(vectors: np.ndarray, query_vectors: np.ndarray, k: int = 10) -> np.ndarray:
    """Return the positions of each query's k nearest vectors by exact inner product (the ground truth for recall)."""
    _, positions = make_faiss_index(vectors, "flat").search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
    return positions


def benchmark_index(
    vectors: np.ndarray, query_vectors: np.ndarray, kind: str, exact: np.ndarray, n_timed: int = 50, **params: Any
) -> dict[str, Any]:
    """Build one index kind and measure it: build seconds, milliseconds per single query, recall@k against `exact`."""
    import time

    query_vectors = np.ascontiguousarray(query_vectors, dtype=np.float32)
    if len(exact) != len(query_vectors):
        raise ValueError(f"Need the exact neighbours of every query: {len(exact)} rows for {len(query_vectors)} queries.")
    k = exact.shape[1]
    started = time.perf_counter()
    index = make_faiss_index(vectors, kind, **params)
    build_seconds = time.perf_counter() - started
    timed = query_vectors[: max(1, n_timed)]
    started = time.perf_counter()
    for row in range(len(timed)):  # one query at a time, as a user would send them
        index.search(timed[row : row + 1], k)
    query_ms = 1000 * (time.perf_counter() - started) / len(timed)
    _, found = index.search(query_vectors, k)
    recall = float(np.mean([len(set(f) & set(e)) / k for f, e in zip(found, exact)]))
    return {"index": kind, "vectors": len(vectors), "build_s": build_seconds, "query_ms": query_ms, f"recall@{k}_vs_exact": recall}


# --- Index copies: with a document added (freshness without retraining), or restricted to a subset ----------


def vectors_of(vector_index: Any) -> np.ndarray:
    """Return the stored document vectors of an exact (flat) index, one row per document, in index order."""
    index = vector_index.index
    if not hasattr(index, "reconstruct_n"):
        raise TypeError("vectors_of needs a faiss index that stores its vectors (e.g. IndexFlatIP).")
    return np.ascontiguousarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


def with_document(vector_index: Any, embedder: Any, document: Record) -> Any:
    """Return a new index holding every document of `vector_index` plus `document`, embedded now; the original is unchanged."""
    if embedder_name_of(embedder) != vector_index.embedder_name:
        raise ValueError(f"The index was built by {vector_index.embedder_name!r}; embed the new document with that model, not {embedder_name_of(embedder)!r}.")
    if document["doc_id"] in vector_index.doc_ids:
        raise ValueError(f"{document['doc_id']!r} is already in the index.")
    vectors = np.vstack([vectors_of(vector_index), embed_texts(embedder, [document["text"]])])
    return index_from_vectors([*vector_index.doc_ids, document["doc_id"]], vectors, vector_index.embedder_name)


def subset_index(vector_index: Any, doc_ids: Sequence[str]) -> Any:
    """Return a new index over only `doc_ids` (their stored vectors, no re-embedding), e.g. one tool's documents."""
    position = {doc_id: row for row, doc_id in enumerate(vector_index.doc_ids)}
    unknown = [doc_id for doc_id in doc_ids if doc_id not in position]
    if unknown or not doc_ids:
        raise KeyError(f"subset_index needs ids that are in the index; unknown: {unknown[:5]}")
    vectors = vectors_of(vector_index)[[position[doc_id] for doc_id in doc_ids]]
    return index_from_vectors(list(doc_ids), vectors, vector_index.embedder_name)
