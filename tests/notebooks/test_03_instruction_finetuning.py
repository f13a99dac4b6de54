"""Key numbers of notebooks/03_instruction_finetuning.ipynb, asserted within ranges."""

import pytest


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("03_instruction_finetuning")


@pytest.fixture(scope="module")
def claims(notebook_claims):
    return notebook_claims("03_instruction_finetuning")


def test_ift_beats_the_base_model_by_a_wide_margin(numbers, claims):
    # the CPT model never answers in format (score ~0, never stops); IFT learns at least the classification task
    assert numbers["ift_score"] >= numbers["base_score"] + 0.15
    assert claims["ift_raises_instruction_score"]["verdict"] == "supported"
    assert numbers["ift_stops"] >= numbers["base_stops"] + 0.3


def test_lora_trains_under_five_percent_of_the_parameters(numbers):
    assert numbers["lora_fraction"] < 0.05
    assert numbers["lora_trainable"] < numbers["full_trainable"] / 20


def test_cpt_after_ift_forgets_the_instructions(numbers, claims):
    # the article's claim: CPT after IFT loses the instruction behaviour (measured 0.205 -> 0.0 after a quarter of a CPT run)
    assert numbers["ift_then_cpt_score"] < numbers["cpt_then_ift_score"] - 0.1
    assert claims["cpt_then_ift_beats_ift_then_cpt"]["verdict"] == "supported"
    assert numbers["ift_then_cpt_stops"] < numbers["ift_stops"] - 0.3


def test_general_examples_in_the_ift_mix_protect_general_perplexity(numbers):
    assert numbers["general_ppl_mixed_ift"] < numbers["general_ppl_after_ift"]


def test_trl_sfttrainer_matches_the_hand_assembled_run(numbers, claims):
    # same data, masking, steps and seed (measured 0.205 both): within the claim's margin of 0.1, and TRL must have
    # learned what IFT learned (a run that learned nothing scores the base model's ~0 and fails both)
    assert abs(numbers["trl_score"] - numbers["ift_score"]) <= 0.1
    assert numbers["trl_score"] >= numbers["base_score"] + 0.15
    assert claims["trl_matches_hand_assembled"]["verdict"] != "contradicted"


def test_masking_the_prompt_does_not_cost_answers(numbers, claims):
    # "mask the prompt" is the course's recipe: measured 0.205 masked vs 0.177 unmasked; the paired CI may not resolve
    # a difference of one or two answers (the notebook says so), but masking must never be measurably worse
    assert claims["masking_helps"]["verdict"] != "contradicted"
    assert numbers["ift_score"] >= numbers["unmasked_score"] - 0.05


def test_the_answer_adapter_reads_the_given_sentence_better_than_smollm2(numbers, claims):
    # the reading step the adapter was trained for, on the 110 held-out questions with their answer sentence given:
    # SmolLM2 alone measured about 0.3 (issue 20); the adapter must beat it by a paired interval that excludes zero
    assert claims["answer_adapter_beats_base"]["verdict"] == "supported"
    assert claims["answer_adapter_beats_base"]["n"] >= 100
    assert numbers["sentence_given_adapter"] >= numbers["sentence_given_base"] + 0.15


def test_lora_with_its_own_recipe_comes_close_to_full_fine_tuning(numbers):
    # with 5x lr and 2x steps LoRA reaches full fine-tuning's score within half a task's worth (measured 0.156 and 0.198 in two runs vs 0.205);
    # that full fine-tuning's own lr and steps leave LoRA far below is asserted by exercise 3 in the solutions notebook
    assert numbers["lora_score"] >= numbers["ift_score"] - 0.1


def test_lora_optimizer_state_is_measured_twenty_times_smaller(numbers):
    # AdamW's measured state scales with trainable parameters: LoRA trains < 1/20 of them
    assert numbers["lora_optimizer_state_mb"] < numbers["full_optimizer_state_mb"] / 20
    assert numbers["full_optimizer_state_mb"] > 1.0  # ~1.4M parameters x 8 bytes
