"""Finding documents: embeddings, a faiss vector index that remembers its embedder, filtered search.

Introduced in notebook 00 (one similarity query), taught in 04 (RAG), reused in 05 (fine-tuned
embeddings) and 07 (the assistant's HR and IT tools). An index records the name of the model that
embedded its documents, and `search` refuses a query embedder with another name: vectors from two
models live in different spaces, so mixing them silently returns nonsense.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .paths import artifact_path, atomic_path, cache_lock


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


@dataclass
class VectorIndex:
    """A faiss index over documents, with their ids and the name of the model that embedded them."""

    index: Any
    doc_ids: list[str]
    embedder_name: str

    def __len__(self) -> int:
        return len(self.doc_ids)


def build_vector_index(embedder: Any, doc_ids: Sequence[str], texts: Sequence[str]) -> VectorIndex:
    """Embed `texts` and return an exact inner-product index (`faiss.IndexFlatIP`) over them."""
    import faiss

    if len(doc_ids) != len(texts):
        raise ValueError(f"Got {len(doc_ids)} ids for {len(texts)} texts; pass one id per text.")
    if len(set(doc_ids)) != len(doc_ids):
        raise ValueError("Document ids must be unique.")
    vectors = embed_texts(embedder, texts)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return VectorIndex(index=index, doc_ids=list(doc_ids), embedder_name=embedder_name_of(embedder))


def search(
    vector_index: VectorIndex,
    embedder: Any,
    query: str,
    k: int = 5,
    allowed_ids: Sequence[str] | None = None,
) -> list[tuple[str, float]]:
    """Return the top-k (doc_id, score) for `query`; `allowed_ids` filters *before* ranking (access control)."""
    import faiss

    if embedder_name_of(embedder) != vector_index.embedder_name:
        raise EmbedderMismatchError(
            f"This index was built with {vector_index.embedder_name!r} but the query embedder is "
            f"{embedder_name_of(embedder)!r}. Embed queries with the same model, or rebuild the index with the new one."
        )
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    query_vector = embed_texts(embedder, [query])
    params = None
    if allowed_ids is not None:
        positions = {doc_id: i for i, doc_id in enumerate(vector_index.doc_ids)}
        unknown = [doc_id for doc_id in allowed_ids if doc_id not in positions]
        if unknown:
            raise KeyError(f"allowed_ids not in the index: {unknown[:5]}")
        selector = faiss.IDSelectorBatch(np.array([positions[d] for d in allowed_ids], dtype=np.int64))
        params = faiss.SearchParameters(sel=selector)
    scores, positions_found = vector_index.index.search(query_vector, min(k, len(vector_index)), params=params)
    return [(vector_index.doc_ids[p], float(s)) for s, p in zip(scores[0], positions_found[0]) if p >= 0]


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
