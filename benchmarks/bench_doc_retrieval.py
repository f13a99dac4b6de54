"""Retrieval on questions inside real documentation: every chunking x retriever x re-ranking, hit@1 and hit@5 with 95% CIs.

A chunk is a hit when it comes from the question's page and contains the answer (`doc_retrieval.contains_answer`).
Question sets: `doc_questions.jsonl` TEST split, and the FAQ questions held out from training (validation + test, those
whose gold section holds their answer). The best first stage is chosen on the doc questions' VALIDATION split; the
re-ranker re-orders its top-20; the abstention threshold is chosen on validation and reported on test.
Run: `python benchmarks/bench_doc_retrieval.py > benchmarks/DOC_RETRIEVAL.md` (prints markdown).
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ci_cell  # benchmarks/_common.py
from course_utils import doc_retrieval as dr
from course_utils.data import (
    load_doc_questions,
    load_domain_corpus,
    load_domain_qa,
    load_out_of_corpus_questions,
)
from course_utils.pretrained import load_embedder
from course_utils.retrieval import reciprocal_rank_fusion
from course_utils.stats import paired_difference


def timed(function, *args, **kwargs):
    """(result, seconds) of one call."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main() -> None:
    """Measure and print every configuration as markdown."""
    embedder = load_embedder(device="cpu")
    corpus = load_domain_corpus()
    url_of = {r["doc_id"]: r["url"] for r in corpus}
    faq_held_out_all = load_domain_qa("validation") + load_domain_qa("test")
    question_sets = {
        "doc test": load_doc_questions("test"),
        "FAQ held-out": dr.answerable(faq_held_out_all, corpus),
        "doc validation": load_doc_questions("validation"),
    }
    rows, stage_seconds, searches, firsts = [], {}, {}, {}
    chunkings, chunk_s = timed(dr.domain_chunkings, embedder, corpus)
    for chunking, chunks in chunkings.items():
        vectors, embed_s = timed(dr.chunk_vectors, embedder, chunking, chunks)
        search, index_s = timed(dr.ChunkSearch.build, embedder, chunks, vectors)
        searches[chunking] = search
        stage_seconds[chunking] = {"chunks": len(chunks), "embed (cache) s": embed_s, "index s": index_s}
        for set_name, questions in question_sets.items():
            ranked, retrieve_s = timed(search.rankings, embedder, [q["question"] for q in questions], dr.CANDIDATES)
            for retriever, ranking in ranked.items():
                firsts[(chunking, retriever, set_name)] = ranking
                ids = dr.ids_of(ranking)
                rows.append({"set": set_name, "chunking": chunking, "retriever": retriever, "rerank": "none",
                             "hit1": dr.hits_at_k(ids, chunks, questions, url_of, 1), "hit5": dr.hits_at_k(ids, chunks, questions, url_of, 5),
                             "seconds": retrieve_s})

    # The first stage for re-ranking: best hit@5 on doc VALIDATION (never chosen on test).
    validation = [r for r in rows if r["set"] == "doc validation"]
    best = max(validation, key=lambda r: (sum(r["hit5"]), sum(r["hit1"])))
    best_chunking, best_retriever = best["chunking"], best["retriever"]
    chunks = searches[best_chunking].chunks
    second_stage_notes = []
    if dr.reranker_path(best_chunking).exists():  # trained by dr.ensure_reranker(); too slow to train inside this benchmark
        reranker, load_s = timed(dr.ensure_reranker, best_chunking)
        meta = dr.reranker_metadata(best_chunking)
        second_stage_notes.append(f"cross-encoder loaded in {load_s:.1f} s; trained on {meta['pairs']} pairs in {meta['train_seconds']} s")
        for set_name, questions in question_sets.items():
            (_, reranked), rerank_s = timed(dr.two_stage, embedder, reranker, searches[best_chunking], questions, best_retriever, dr.slug(set_name))
            add_row(rows, set_name, best_chunking, best_retriever, f"cross-encoder top-{dr.CANDIDATES}", dr.ids_of(reranked), chunks, questions, url_of, rerank_s)
    else:
        second_stage_notes.append("cross-encoder: no trained model in the cache (train it with `doc_retrieval.ensure_reranker()`, "
                                  "then rerun), so no cross-encoder rows")
    idf, idf_s = timed(dr.word_idf, chunks)
    second_stage_notes.append(f"word idf over the {len(chunks)} chunks for the sentence re-ranker: {idf_s:.1f} s")
    for set_name, questions in question_sets.items():
        texts = [q["question"] for q in questions]
        first = dr.ids_of(firsts[(best_chunking, best_retriever, set_name)])
        by_sentence, sentence_s = timed(dr.rerank_by_sentence, texts, first, chunks, idf)
        sentence_ids = dr.ids_of(by_sentence)
        add_row(rows, set_name, best_chunking, best_retriever, f"best-sentence word overlap top-{dr.CANDIDATES}", sentence_ids, chunks, questions, url_of, sentence_s)
        fused = [[c for c, _ in reciprocal_rank_fusion([f, b])] for f, b in zip(first, sentence_ids)]
        add_row(rows, set_name, best_chunking, best_retriever, "RRF(first stage, best-sentence)", fused, chunks, questions, url_of, sentence_s)

    print("# Retrieval on questions inside real documentation\n")
    print(f"Run {datetime.date.today().isoformat()} by `python benchmarks/bench_doc_retrieval.py` on the course's shared machine "
          f"(2 CPU cores shared with other jobs; torch threads: {__import__('torch').get_num_threads()}; `nice -n 10`). "
          f"Embedder all-MiniLM-L6-v2 (window {embedder.max_seq_length} tokens), corpus: {len(corpus)} sections "
          f"(SQLite docs + Python FAQ). A chunk is a **hit** when it comes from the question's page and contains the answer "
          f"(case, punctuation and spacing ignored; answers longer than {dr.ANSWER_PREFIX_CHARS} characters: their first "
          f"{dr.ANSWER_PREFIX_CHARS}). Hit rates with Wilson 95% CIs. FAQ held-out = validation + test FAQ questions whose gold "
          f"section holds the answer ({len(question_sets['FAQ held-out'])} of {len(faq_held_out_all)}).\n")
    print("## Stages\n")
    print(f"- chunking all three ways: {chunk_s:.1f} s")
    for chunking, info in stage_seconds.items():
        print(f"- {chunking}: {info['chunks']} chunks; embeddings {info['embed (cache) s']:.1f} s (read from the cache that "
              f"`make setup` prepares); dense + BM25 indexes {info['index s']:.1f} s")
    print(f"- first stage chosen for re-ranking on doc VALIDATION hit@5: **{best_chunking} / {best_retriever}**")
    for note in second_stage_notes:
        print(f"- {note}")
    print("- seconds column: first-stage rows = one call that ranks all n questions with all three retrievers (query embedding "
          "+ faiss + BM25 + RRF); re-rank rows = the second stage alone over the first stage's top 20\n")
    for set_name in ("doc test", "FAQ held-out", "doc validation"):
        n = len(question_sets[set_name])
        print(f"## {set_name} (n = {n})\n")
        print("| chunking | retriever | rerank | hit@1 (95% CI) | hit@5 (95% CI) | seconds |")
        print("|---|---|---|---|---|---|")
        for r in (r for r in rows if r["set"] == set_name):
            print(f"| {r['chunking']} | {r['retriever']} | {r['rerank']} | {ci_cell(r['hit1'])} | {ci_cell(r['hit5'])} | {r['seconds']:.1f} |")
        first = next(r for r in rows if r["set"] == set_name and r["chunking"] == best_chunking and r["retriever"] == best_retriever and r["rerank"] == "none")
        print()
        for second in (r for r in rows if r["set"] == set_name and r["rerank"] != "none"):
            gain = paired_difference(second["hit1"], first["hit1"], "reranked", "first stage")
            print(f"- {second['rerank']}: hit@1 change (paired) {gain.difference:+.2f} (95% CI {gain.low:+.2f} to {gain.high:+.2f})")
        print()

    # Abstention: a threshold on one retriever's top score (RRF scores are rank-based, so not usable), chosen on validation.
    out_val = load_out_of_corpus_questions("docs", "validation")
    out_test = load_out_of_corpus_questions("docs", "test")
    search = searches[best_chunking]
    print(f"## Abstention by top retrieval score ({best_chunking})\n")
    print(f"Threshold chosen on validation ({len(question_sets['doc validation'])} doc questions vs {len(out_val)} out-of-corpus "
          f"docs questions) to get the most right; reported on test ({len(question_sets['doc test'])} doc vs {len(out_test)} out-of-corpus).\n")
    print("| score | threshold | abstains on out-of-corpus test (95% CI) | false abstention on doc test (95% CI) |")
    print("|---|---|---|---|")
    out_ranked = {name: search.rankings(embedder, [q["question"] for q in qs], dr.CANDIDATES) for name, qs in (("val", out_val), ("test", out_test))}
    for retriever in ("dense", "BM25"):
        in_val = dr.top_scores(firsts[(best_chunking, retriever, "doc validation")])
        in_test = dr.top_scores(firsts[(best_chunking, retriever, "doc test")])
        threshold = dr.choose_threshold(in_val, dr.top_scores(out_ranked["val"][retriever]))
        print(f"| top {retriever} score | {threshold:.3f} | {ci_cell(dr.abstains(dr.top_scores(out_ranked['test'][retriever]), threshold))} "
              f"| {ci_cell(dr.abstains(in_test, threshold))} |")


def add_row(rows: list, set_name: str, chunking: str, retriever: str, rerank: str, ids: list, chunks: list, questions: list, url_of: dict, seconds: float) -> None:
    """Append one configuration's hit@1 and hit@5 lists."""
    rows.append({"set": set_name, "chunking": chunking, "retriever": retriever, "rerank": rerank, "seconds": seconds,
                 "hit1": dr.hits_at_k(ids, chunks, questions, url_of, 1), "hit5": dr.hits_at_k(ids, chunks, questions, url_of, 5)})


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
