"""Key numbers of notebooks/04_rag.ipynb, asserted within ranges (each with the reason for its bounds)."""

import math

import pytest


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("04_rag")


def test_about_half_the_sections_overflow_the_embedders_window(numbers):
    # measured 0.48: SQLite pages are split at ~6,000 characters, far beyond 256 tokens; FAQ answers mostly fit
    assert 0.3 < numbers["share_sections_truncated"] < 0.7


def test_section_chunks_retrieve_answers_better_than_fixed_windows(numbers):
    # measured hit@1 0.78 vs 0.30 and hit@5 0.96 vs 0.70: windows cut answers apart or mix two of them
    assert numbers["chunk_sections_hit_at_1"] > numbers["chunk_windows_hit_at_1"] + 0.2
    assert numbers["chunk_sections_hit_at_5"] > numbers["chunk_windows_hit_at_5"]
    assert numbers["chunk_sections_hit_at_5"] >= 0.85


def test_approximate_indexes_keep_most_of_the_recall_and_hnsw_is_much_faster_at_scale(numbers):
    # measured recall 0.98 (HNSW) and 1.0 (IVF, nprobe 8) with a ~200x per-query speed-up over the exact scan of 100k
    assert 0.85 <= numbers["hnsw_recall_100k"] <= 1.0
    assert 0.85 <= numbers["ivf_recall_100k"] <= 1.0
    assert numbers["hnsw_speedup_100k"] > 10  # exact search reads every vector; HNSW visits a few hundred
    assert numbers["hnsw_build_s_100k"] > 0


def test_dense_retrieval_beats_bm25_on_faq_answers(numbers):
    # measured recall@5 0.94 vs 0.66: FAQ answers rarely repeat the words of their question
    assert numbers["domain_dense_recall_at_5"] > numbers["domain_bm25_recall_at_5"] + 0.15
    assert numbers["domain_dense_recall_at_5"] >= 0.85


def test_hybrid_retrieval_beats_both_on_the_handbook(numbers):
    # measured recall@1 0.89 vs 0.80 and 0.80: variant words ("Germany", "v2") are exact keywords BM25 catches
    assert numbers["handbook_hybrid_recall_at_1"] > numbers["handbook_dense_recall_at_1"]
    assert numbers["handbook_hybrid_recall_at_1"] > numbers["handbook_bm25_recall_at_1"]
    assert numbers["handbook_dense_recall_at_5"] >= 0.9


def test_rag_answers_more_questions_than_the_closed_book_model(numbers):
    # closed-book: the (fictional) company is unknown to the model, measured 0/20; extractive RAG measured 0.35 on 20
    assert numbers["accuracy_closed_book"] <= 0.1
    assert numbers["accuracy_rag_extractive"] > numbers["accuracy_closed_book"] + 0.15
    # SmolLM2-135M stays weak even with the right sources (measured 0.35): above 0.8 would mean a scoring bug
    assert numbers["accuracy_rag_extractive"] <= 0.8


def test_short_extractive_prompts_help_the_small_model(numbers):
    # measured 0.35 with two sentences vs 0.05 with the whole document, at half the prompt tokens
    assert numbers["accuracy_rag_extractive"] > numbers["accuracy_rag_prompt"]
    assert numbers["prompt_tokens_rag_extractive"] < numbers["prompt_tokens_rag_prompt"]


def test_each_document_costs_prompt_tokens_and_time(numbers):
    # handbook documents have 89-129 words: about 150 tokens each with the source number; measured ~5x slower at k=8
    assert 100 < numbers["prompt_tokens_per_document"] < 250
    assert numbers["first_token_slowdown_k8"] > 2
    assert 30 < numbers["documents_that_fit_window"] < 90


def test_the_middle_is_not_where_the_model_finds_the_answer_best(numbers):
    # measured -13.3 (first), -13.6 (middle), -13.3 (last) nats: a small U; log-probabilities are finite and negative
    values = [numbers[f"litm_log_prob_{label}"] for label in ("first", "middle", "last")]
    assert all(math.isfinite(v) and v < 0 for v in values)
    assert numbers["litm_log_prob_middle"] < max(numbers["litm_log_prob_first"], numbers["litm_log_prob_last"])


def test_top_k_misses_exhaustive_answers_that_searching_until_dissimilar_finds(numbers):
    # measured recall 0.67 (top-5) vs 0.85 (threshold): gold sets have 3-19 documents, top-5 returns 5
    assert numbers["exhaustive_recall_threshold"] > numbers["exhaustive_recall_top5"] + 0.1
    assert numbers["exhaustive_precision_threshold"] < numbers["exhaustive_precision_top5"]  # the price: more noise
    assert numbers["exhaustive_precision_category"] >= numbers["exhaustive_precision_threshold"]  # metadata removes some
    assert 0.1 < numbers["exhaustive_threshold"] < 0.5


def test_near_identical_variants_confuse_the_general_embedder(numbers):
    # variants share most words: measured cosine 0.94 within a cluster vs 0.24 across, the gold wins by ~0.04
    assert numbers["sibling_cosine"] > numbers["unrelated_cosine"] + 0.4
    assert 0.0 < numbers["sibling_top1_rate"] < 0.5
    assert numbers["gold_vs_sibling_margin"] < 0.15


def test_filtering_before_ranking_keeps_every_hr_document_out_of_it_prompts(numbers):
    # without the filter many IT-user prompts would contain an HR-only document (measured 108 of 285); with it, none
    assert numbers["hr_leaks_without_filter"] > 0
    assert numbers["hr_leaks_with_filter"] == 0
    assert numbers["post_filter_short_prompts"] > 0  # filtering after ranking loses sources instead


def test_filtering_untrusted_passages_stops_the_injection(numbers):
    # measured 0.25 of answers obey the planted instruction, 0.20 with the fenced prompt, 0 after the filter
    assert numbers["injection_followed_none"] > numbers["injection_followed_filter"]
    assert numbers["injection_followed_filter"] == 0
    assert numbers["injection_filter_caught"] == 1.0 and numbers["injection_filter_false_alarms"] == 0
