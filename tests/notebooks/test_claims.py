"""The claims ledger: every claim a notebook records carries an effect, a 95% CI, n and a computed verdict.

The verdicts asserted here are the ones the committed runs measured and the lessons' wording relies on; a library
upgrade or a code change that flips one fails CI, and the lesson's text has to be re-read against the new verdict.
"""

import pytest

from course_utils.stats import DIRECTIONS

NOTEBOOKS = ("01_pretraining", "02_continued_pretraining", "03_instruction_finetuning", "04_rag", "05_embedding_finetuning",
             "06_prompt_engineering", "07_choosing_and_combining")
VERDICTS = ("supported", "contradicted")

# (notebook, claim key) -> the verdict the committed run measured. Left out: claims whose interval touches zero (the
# injection guard's and the injection filter's effect on obedience), where a one-answer change flips the verdict; their
# lessons print the verdict instead of assuming it.
EXPECTED = {
    ("01_pretraining", "pretraining_lowers_validation_loss"): "supported",
    ("02_continued_pretraining", "cpt_lowers_domain_loss"): "supported",
    ("02_continued_pretraining", "cpt_raises_general_loss"): "supported",
    ("02_continued_pretraining", "replay_costs_domain_loss"): "supported",
    ("02_continued_pretraining", "replay_reduces_forgetting"): "supported",
    ("03_instruction_finetuning", "answer_adapter_beats_base"): "supported",
    ("03_instruction_finetuning", "answer_adapter_reaches_target"): "contradicted",
    ("03_instruction_finetuning", "cpt_then_ift_beats_ift_then_cpt"): "supported",
    ("03_instruction_finetuning", "general_mix_costs_instruction_score"): "not measurable at n = 500",
    ("03_instruction_finetuning", "general_mix_lowers_general_loss"): "supported",
    ("03_instruction_finetuning", "general_mix_raises_general_task_score"): "supported",
    ("03_instruction_finetuning", "ift_learns_digit"): "supported",
    ("03_instruction_finetuning", "ift_learns_length"): "supported",
    ("03_instruction_finetuning", "ift_learns_question"): "supported",
    ("03_instruction_finetuning", "ift_learns_quotes"): "supported",
    ("03_instruction_finetuning", "ift_learns_source"): "supported",
    ("03_instruction_finetuning", "ift_lowers_general_task_score"): "supported",
    ("03_instruction_finetuning", "ift_raises_general_loss"): "supported",
    ("03_instruction_finetuning", "ift_raises_instruction_score"): "supported",
    ("03_instruction_finetuning", "lora_close_to_full"): "supported",
    ("03_instruction_finetuning", "masking_helps"): "supported",
    ("03_instruction_finetuning", "trl_matches_hand_assembled"): "supported",
    ("04_rag", "adapter_abstains_out_of_corpus"): "contradicted",
    ("04_rag", "adapter_rag_reaches_target"): "contradicted",
    ("04_rag", "adapter_rarely_abstains_wrongly"): "contradicted",
    ("04_rag", "answer_adapter_helps_rag"): "supported",
    ("04_rag", "bm25_beats_dense_inside_pages"): "supported",
    ("04_rag", "filter_catches_unseen_injections"): "contradicted",
    ("04_rag", "filter_spares_clean_sentences"): "supported",
    ("04_rag", "lost_in_the_middle"): "not measurable at n = 30",
    ("04_rag", "filter_before_ranking_stops_leaks"): "supported",
    ("04_rag", "look_alike_documents_confuse_retrieval"): "not measurable at n = 23",
    ("04_rag", "retrieval_lengthens_prompts"): "supported",
    ("04_rag", "search_above_threshold_finds_more"): "supported",
    ("04_rag", "rag_beats_closed_book"): "supported",
    ("04_rag", "short_context_beats_whole_document"): "supported",
    ("04_rag", "split_sections_help_dense_retrieval"): "supported",
    ("05_embedding_finetuning", "finetuning_faq_r1"): "not measurable at n = 80",
    ("05_embedding_finetuning", "finetuning_handbook_r1"): "not measurable at n = 55",
    ("05_embedding_finetuning", "finetuning_headings_r5"): "supported",
    ("05_embedding_finetuning", "stale_index_breaks_with_drift"): "contradicted",
    ("05_embedding_finetuning", "stale_index_loses_recall"): "supported",
    ("05_embedding_finetuning", "tuned_embedder_raises_rag_accuracy"): "not measurable at n = 23",
    ("06_prompt_engineering", "adapter_beats_best_prompt_with_rag"): "supported",
    ("06_prompt_engineering", "base_model_continues_instruct_answers"): "supported",
    ("06_prompt_engineering", "base_model_needs_examples"): "supported",
    ("06_prompt_engineering", "few_shot_beats_zero_shot"): "supported",
    ("06_prompt_engineering", "ift_needs_its_chat_format"): "supported",
    ("06_prompt_engineering", "one_label_examples_bias_answers"): "supported",
    ("06_prompt_engineering", "paraphrase_moves_accuracy_ift"): "supported",
    ("06_prompt_engineering", "paraphrase_moves_accuracy_smol"): "supported",
    ("06_prompt_engineering", "priming_raises_valid_json"): "supported",
    ("06_prompt_engineering", "prompt_plus_rag_beats_prompt_alone"): "supported",
    ("06_prompt_engineering", "prompt_transfer_loses_accuracy"): "supported",
    ("06_prompt_engineering", "step_by_step_helps_small_model"): "not measurable at n = 16",
    ("07_choosing_and_combining", "agent_routes_to_the_right_tool"): "supported",
    ("07_choosing_and_combining", "example_router_beats_description_router"): "supported",
    ("07_choosing_and_combining", "lora_helps_rag"): "supported",
    ("07_choosing_and_combining", "role_filter_blocks_hr_only_documents"): "supported",
    ("07_choosing_and_combining", "rag_answers_are_traceable"): "supported",
    ("07_choosing_and_combining", "rag_beats_prompt_only"): "supported",
    ("07_choosing_and_combining", "tuned_embedder_helps_rag"): "not measurable at n = 104",
}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_recorded_claim_has_an_interval_n_and_a_verdict_from_it(notebook, notebook_claims):
    claims = notebook_claims(notebook)
    assert claims, f"{notebook} records no claim"
    for key, claim in claims.items():
        assert claim["low"] <= claim["effect"] <= claim["high"], key
        assert claim["n"] >= 3 and claim["expected"] in DIRECTIONS, key
        assert claim["verdict"] in VERDICTS or claim["verdict"] == f"not measurable at n = {claim['n']}", key
        if claim["expected"] == "higher" and claim["verdict"] == "supported":
            assert claim["low"] > claim["threshold"], key
        if claim["expected"] == "lower" and claim["verdict"] == "supported":
            assert claim["high"] < claim["threshold"], key


@pytest.mark.parametrize(("notebook", "key"), sorted(EXPECTED))
def test_claims_keep_their_measured_verdicts(notebook, key, notebook_claims):
    assert notebook_claims(notebook)[key]["verdict"] == EXPECTED[(notebook, key)]


def test_the_ledger_has_at_least_eighteen_claims(notebook_claims):
    assert sum(len(notebook_claims(notebook)) for notebook in NOTEBOOKS) >= 18
