"""Key numbers of notebooks/04_rag.ipynb, asserted within ranges (each with the reason for its bounds)."""

import pytest


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("04_rag")


@pytest.fixture(scope="module")
def claims(notebook_claims):
    return notebook_claims("04_rag")


def test_about_half_the_sections_overflow_the_embedders_window(numbers):
    # measured 0.48: SQLite pages are split at ~6,000 characters, far beyond 256 tokens; FAQ answers mostly fit
    assert 0.3 < numbers["share_sections_truncated"] < 0.7


def test_section_chunks_retrieve_answers_better_than_fixed_windows(numbers):
    # measured hit@1 0.78 vs 0.30 and hit@5 0.96 vs 0.70: windows cut answers apart or mix two of them
    assert numbers["chunk_sections_hit_at_1"] > numbers["chunk_windows_hit_at_1"] + 0.2
    assert numbers["chunk_sections_hit_at_5"] > numbers["chunk_windows_hit_at_5"]
    assert numbers["chunk_sections_hit_at_5"] >= 0.85


def test_approximate_indexes_keep_most_of_the_recall_at_scale(numbers):
    # measured recall@10 0.98 (HNSW) and 1.0 (IVF, nprobe 8) against the exact scan of 100k vectors; "most" = at least 0.85.
    # The speed-up (measured ~200x) is a wall-time ratio: benchmarks/ measures it, a test on a shared machine cannot.
    assert numbers["hnsw_recall_100k"] >= 0.85
    assert numbers["ivf_recall_100k"] >= 0.85


def test_dense_retrieval_beats_bm25_on_faq_answers(numbers):
    # measured recall@5 0.94 vs 0.66: FAQ answers rarely repeat the words of their question
    assert numbers["domain_dense_recall_at_5"] > numbers["domain_bm25_recall_at_5"] + 0.15
    assert numbers["domain_dense_recall_at_5"] >= 0.85


def test_hybrid_retrieval_beats_both_on_the_handbook(numbers):
    # measured recall@1 0.89 vs 0.80 and 0.80: variant words ("Germany", "v2") are exact keywords BM25 catches
    assert numbers["handbook_hybrid_recall_at_1"] > numbers["handbook_dense_recall_at_1"]
    assert numbers["handbook_hybrid_recall_at_1"] > numbers["handbook_bm25_recall_at_1"]
    assert numbers["handbook_dense_recall_at_5"] >= 0.9


def test_retrieval_lengthens_every_prompt(numbers):
    # what makes an answer with sources slower, stated in tokens: two sentences of sources add at least 20 prompt tokens
    # to the bare question, the whole top document (89-129 words) at least 100
    assert numbers["prompt_tokens_rag_extractive"] >= numbers["prompt_tokens_closed_book"] + 20
    assert numbers["prompt_tokens_rag_prompt"] >= numbers["prompt_tokens_closed_book"] + 100


def test_the_small_model_rarely_cites_its_sources_itself(numbers):
    # "rarely writes a citation even when asked to": at most 6 of the 20 rag_prompt answers carry a [n]
    assert numbers["citation_rate_rag_prompt"] <= 0.3


def test_rag_answers_more_questions_than_the_closed_book_model(numbers):
    # closed-book: the (fictional) company is unknown to the model (0 of 30 in the committed run); extractive RAG 0.21 of 110
    assert numbers["accuracy_closed_book"] <= 0.1
    assert numbers["accuracy_rag_extractive"] > numbers["accuracy_closed_book"] + 0.15
    # SmolLM2-135M stays weak even with the right sources (measured 0.35): above 0.8 would mean a scoring bug
    assert numbers["accuracy_rag_extractive"] <= 0.8


def test_short_extractive_prompts_help_the_small_model(numbers):
    # measured 0.35 with two sentences vs 0.05 with the whole document, at half the prompt tokens
    assert numbers["accuracy_rag_extractive"] > numbers["accuracy_rag_prompt"]
    assert numbers["prompt_tokens_rag_extractive"] < numbers["prompt_tokens_rag_prompt"]


def test_each_document_costs_prompt_tokens(numbers):
    # handbook documents have 89-129 words: about 150 tokens each with the source number (the time to first token that
    # these tokens cost, measured ~5x at k=8, is a wall-time ratio and is left to benchmarks/)
    assert 100 < numbers["prompt_tokens_per_document"] < 250
    assert 30 < numbers["documents_that_fit_window"] < 90


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


def test_the_injection_filter_is_measured_on_phrasings_it_was_not_written_from(numbers, claims):
    # the pattern was written from the dev phrasings: missing one of them is a bug in the pattern, not a finding
    assert numbers["injection_filter_caught_dev"] == 1.0
    # on the held-out phrasings its rate is an estimate, judged against the 0.80 target by its interval (issue 26 asks
    # for at least 15 phrasings); the verdict itself is pinned in test_claims.py
    held_out = claims["filter_catches_unseen_injections"]
    assert held_out["n"] >= 15 and held_out["threshold"] == 0.8 and held_out["expected"] == "higher"
    # no clean handbook sentence looks like an instruction to the pattern (0 of 589 by a check script); at most 1% may
    assert claims["filter_spares_clean_sentences"]["verdict"] == "supported"


def test_an_injection_the_filter_misses_reaches_the_model(numbers, claims):
    # a missed attack leaves the undefended prompt unchanged, and a caught one gives section 7's clean prompt, which
    # holds no phishing address: the filter can lower obedience, never raise it
    assert numbers["injection_followed_filter"] <= numbers["injection_followed_none"]
    assert numbers["injection_followed_filter_guard"] <= numbers["injection_followed_guard"]  # the same, under the guarded prompt
    assert claims["filter_reduces_injection"]["verdict"] != "contradicted"
    # issue 26: obedience is measured on every held-out phrasing (at least 15), each in its own question, paired across defences
    held_out_phrasings = claims["filter_catches_unseen_injections"]["n"]
    for key in ("guard_prompt_reduces_injection", "filter_reduces_injection", "filter_and_guard_reduce_injection"):
        assert claims[key]["n"] == held_out_phrasings >= 15 and claims[key]["expected"] == "lower", key


def test_no_prompt_shows_a_document_its_asker_may_not_see_once_filtered_before_ranking(numbers):
    # every handbook question x 3 roles; measured by a check script 234 of 855 prompts leaking from an unfiltered top-3
    # search (the mistake, shown for contrast) and 0 through rag.prompts_for_user. Anything but 0 after is a leak.
    assert numbers["prompt_leaks_after"] == 0
    assert numbers["prompt_leaks_before"] > 0  # the control: without the filter, restricted documents do reach prompts


def test_the_recorded_verdicts_agree_with_the_notebooks_claims(claims):
    # paired per question, with a CI: sources must measurably beat closed-book (0 right without them); the shorter context
    # and the ends-versus-middle effect may be too small to resolve, but their opposite must not be measured
    assert claims["rag_beats_closed_book"]["verdict"] == "supported"
    assert claims["short_context_beats_whole_document"]["verdict"] != "contradicted"
    assert claims["lost_in_the_middle"]["verdict"] != "contradicted"


def test_the_answer_adapter_answers_more_from_the_same_retrieved_sentences(numbers, claims):
    # notebook 03's adapter on the same two sentences as the extractive prompt, 110 held-out questions: measured 0.45
    # against 0.22 without it; it must not do measurably worse, and must answer more than closed-book
    assert claims["answer_adapter_helps_rag"]["verdict"] != "contradicted"
    assert claims["answer_adapter_helps_rag"]["n"] >= 100
    assert numbers["accuracy_rag_adapter"] > numbers["accuracy_closed_book"] + 0.15


def test_splitting_sections_to_the_embedders_window_helps_dense_retrieval_inside_pages(claims):
    # 78 test questions about facts inside SQLite sections: measured hit@5 0.88 split vs 0.73 whole (dense), and
    # BM25 over whole sections beat dense over them at hit@1 (0.73 vs 0.35): the embedder never sees past 256 tokens
    assert claims["split_sections_help_dense_retrieval"]["verdict"] != "contradicted"
    assert claims["bm25_beats_dense_inside_pages"]["verdict"] != "contradicted"


def test_a_retrieval_score_threshold_abstains_on_questions_the_documentation_cannot_answer(numbers):
    # threshold chosen on validation; on test, measured 0.88 of out-of-corpus questions abstained (BM25) and 0.05 of
    # answerable ones: abstaining on everything or on nothing would fail one of the two bounds
    assert numbers["retrieval_abstains_out_of_corpus_bm25"] >= 0.5
    assert numbers["retrieval_false_abstention_bm25"] <= 0.25
