"""Embedding throughput of the shipped all-MiniLM-L6-v2: short queries and long documentation sections, by batch size.

Texts per second and word-piece tokens per second (tokens counted up to the model's window, as it reads them).
Run: `python benchmarks/bench_embedding.py`.
"""

from __future__ import annotations

from _common import run_benchmark

from course_utils.data import load_domain_corpus, load_handbook_questions, texts_of
from course_utils.pretrained import load_embedder
from course_utils.retrieval import embed_texts
from course_utils.runtime import best_of

BATCH_SIZES = (1, 16, 64)
N_QUERIES = 256
N_SECTIONS = 128


def measure() -> dict:
    """Texts/s and tokens/s for each kind of text and batch size."""
    embedder = load_embedder(device="cpu")
    window = embedder.max_seq_length
    sets = {
        "handbook questions": [q["question"] for q in load_handbook_questions()][:N_QUERIES],
        "documentation sections": texts_of(load_domain_corpus())[:N_SECTIONS],
    }
    embed_texts(embedder, sets["handbook questions"][:8])  # warm-up
    rows = []
    for name, texts in sets.items():
        n_tokens = sum(len(ids) for ids in embedder.tokenizer(texts, truncation=True, max_length=window)["input_ids"])
        for batch_size in BATCH_SIZES:
            if batch_size == 1 and name == "documentation sections":
                texts_timed = texts[:32]  # one at a time is slow; 32 sections are enough to time it
            else:
                texts_timed = texts
            seconds = best_of(lambda: embed_texts(embedder, texts_timed, batch_size=batch_size), repeats=2)
            share = len(texts_timed) / len(texts)
            rows.append({
                "texts": name, "batch size": batch_size, "texts/s": round(len(texts_timed) / seconds, 1),
                "tokens/s": round(n_tokens * share / seconds), "mean tokens/text": round(n_tokens / len(texts)),
            })
    return {
        "tables": {f"all-MiniLM-L6-v2 on CPU (window {window} tokens, best of 2)": rows},
        "notes": ["Long sections are cut at the window: their tails are never embedded (notebook 04 measures how many)."],
    }


if __name__ == "__main__":
    run_benchmark("embedding", "Embedding throughput", measure)
