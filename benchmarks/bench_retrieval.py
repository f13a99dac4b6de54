"""Retrieval latency per faiss index type (exact flat, IVF, HNSW) on the real corpus and on SYNTHETIC 10k/100k vectors.

The synthetic vectors are the real documentation-section embeddings plus noise (`retrieval.perturbed_copies`,
the same construction as notebook 04), so they keep the clustered shape of text embeddings. Latency is one query
at a time (as users send them); recall@10 is against exact search. Run: `python benchmarks/bench_retrieval.py`.
"""

from __future__ import annotations

from _common import run_benchmark

from course_utils import rag
from course_utils.data import load_domain_corpus, texts_of
from course_utils.pretrained import load_embedder
from course_utils.retrieval import benchmark_index, cached_embeddings, exact_neighbours, perturbed_copies

SIZES = (10_000, 100_000)
N_QUERIES = 200


def measure() -> dict:
    """Build time, ms per query and recall@10 for each index kind at each size."""
    embedder = load_embedder(device="cpu")
    real = cached_embeddings(embedder, texts_of(load_domain_corpus()), rag.DOMAIN_INDEX)  # notebook 04's cache, else computed once
    sets = {f"real sections ({len(real):,})": real}
    sets.update({f"SYNTHETIC {n:,}": perturbed_copies(real, n=n, noise=1.0, seed=0) for n in SIZES})
    queries = perturbed_copies(real, n=N_QUERIES, noise=1.0, seed=1)  # SYNTHETIC queries near real sections
    rows = []
    for name, vectors in sets.items():
        exact = exact_neighbours(vectors, queries, k=10)
        for kind in ("flat", "ivf", "hnsw"):
            result = benchmark_index(vectors, queries, kind, exact, n_timed=100)
            rows.append({"vectors": name, "index": kind, "build s": round(result["build_s"], 2), "ms/query": round(result["query_ms"], 3),
                         "recall@10 vs exact": round(result["recall@10_vs_exact"], 3)})
    return {
        "tables": {"faiss inner-product indexes, 384-d, one query at a time": rows},
        "notes": ["Index settings are the course defaults (`retrieval.make_faiss_index`): IVF with about sqrt(n) lists and "
                  "nprobe 8; HNSW with M 16, efConstruction 40, efSearch 32."],
    }


if __name__ == "__main__":
    run_benchmark("retrieval", "Retrieval latency per index type", measure)
