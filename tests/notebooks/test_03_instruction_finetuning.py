"""Key numbers of notebooks/03_instruction_finetuning.ipynb, asserted within ranges."""

import pytest

TASKS = ("source", "length", "digit", "question", "quotes")


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("03_instruction_finetuning")


@pytest.fixture(scope="module")
def claims(notebook_claims):
    return notebook_claims("03_instruction_finetuning")


def test_the_prepared_ift_model_learns_every_judgement_task_above_chance(numbers, claims):
    # measured: 0.81-0.99 per task family on 100 held-out instructions each (chance 0.50); the CPT model never answers in
    # format (0.00), so the claim that matters is the one against chance, per family
    assert numbers["ift_tasks_learned"] >= 4
    assert sum(claims[f"ift_learns_{task}"]["verdict"] == "supported" for task in TASKS) == numbers["ift_tasks_learned"]
    assert all(claims[f"ift_learns_{task}"]["n"] >= 100 for task in TASKS)
    assert numbers["ift_score"] >= 0.8 and numbers["base_score"] <= 0.1
    assert claims["ift_raises_instruction_score"]["verdict"] == "supported"
    assert numbers["ift_stops"] >= numbers["base_stops"] + 0.5


def test_the_live_run_is_the_start_of_the_prepared_runs_curve(numbers):
    # the same recipe for a tenth of the steps (measured 0.796 against 0.896): above chance on average, below the prepared run
    assert 0.5 <= numbers["live_ift_score"] < numbers["ift_score"]
    assert numbers["prepared_ift_seconds"] > 0


def test_lora_trains_under_five_percent_of_the_parameters(numbers):
    assert numbers["lora_fraction"] < 0.05
    assert numbers["lora_trainable"] < numbers["full_trainable"] / 20


def test_cpt_after_ift_forgets_the_learned_tasks(numbers, claims):
    # the article's claim: CPT after IFT loses the instruction behaviour (measured 0.90 -> 0.14 on the learned families)
    assert numbers["ift_then_cpt_score"] < numbers["cpt_then_ift_score"] - 0.3
    assert claims["cpt_then_ift_beats_ift_then_cpt"]["verdict"] == "supported"
    assert claims["cpt_then_ift_beats_ift_then_cpt"]["n"] >= 400
    assert numbers["ift_then_cpt_stops"] < numbers["ift_stops"] - 0.5


def test_ift_costs_general_ability_and_the_general_mix_buys_it_back(numbers, claims):
    # measured: Austen perplexity 496 -> 39,093 after the long IFT run, 155 with the mix; the word-order task 1.00 -> 0.59 -> 1.00
    assert numbers["general_ppl_after_ift"] > numbers["general_ppl_before_ift"]
    assert numbers["general_ppl_mixed_ift"] < numbers["general_ppl_after_ift"]
    assert numbers["general_task_before_ift"] >= 0.8  # the task is one the CPT model can do
    for key in ("ift_raises_general_loss", "general_mix_lowers_general_loss"):
        assert claims[key]["verdict"] == "supported"
    assert claims["ift_lowers_general_task_score"]["verdict"] != "contradicted"
    assert claims["general_mix_raises_general_task_score"]["verdict"] != "contradicted"


def test_the_general_mix_keeps_most_of_the_instruction_score(numbers, claims):
    # measured 0.938 -> 0.898 with the earlier GPT-2 with biases, 0.896 -> 0.896 without them, on 500 paired instructions:
    # the mix must not undo the instruction tuning
    assert numbers["ift_score"] - 0.15 <= numbers["mixed_score"] <= numbers["ift_score"] + 0.02
    assert claims["general_mix_costs_instruction_score"]["verdict"] != "contradicted"


def test_trl_sfttrainer_matches_the_hand_assembled_run(numbers, claims):
    # same data, masking, steps and seed (measured 0.796 both): within the claim's margin of 0.1, and TRL must have
    # learned what the live run learned (a run that learned nothing scores the base model's ~0 and fails both)
    assert abs(numbers["trl_score"] - numbers["live_ift_score"]) <= 0.1
    assert numbers["trl_score"] >= numbers["base_score"] + 0.3
    assert claims["trl_matches_hand_assembled"]["verdict"] == "supported"


def test_masking_the_prompt_raises_the_score(numbers, claims):
    # measured 0.796 masked vs 0.00 unmasked after the same 120 steps, on 500 paired instructions
    assert claims["masking_helps"]["verdict"] == "supported"
    assert numbers["live_ift_score"] >= numbers["unmasked_score"] + 0.2


def test_the_answer_adapter_reads_the_given_sentence_better_than_smollm2(numbers, claims):
    # the reading step the adapter was trained for, on the 110 held-out questions with their answer sentence given:
    # SmolLM2 alone measured about 0.2-0.3 (issue 20); the adapter must beat it by a paired interval that excludes zero
    assert claims["answer_adapter_beats_base"]["verdict"] == "supported"
    assert claims["answer_adapter_beats_base"]["n"] >= 100
    assert numbers["sentence_given_adapter"] >= numbers["sentence_given_base"] + 0.15


def test_lora_optimizer_state_is_measured_twenty_times_smaller(numbers):
    # AdamW's measured state scales with trainable parameters: LoRA trains < 1/20 of them
    assert numbers["lora_optimizer_state_mb"] < numbers["full_optimizer_state_mb"] / 20
    assert numbers["full_optimizer_state_mb"] > 1.0  # ~1.3M parameters x 8 bytes


def test_lora_with_its_own_recipe_comes_close_to_full_fine_tuning(numbers, claims):
    # with 4x the steps (chosen on validation) LoRA reached 0.758 against full fine-tuning's live 0.796 on 500 test
    # instructions; that full fine-tuning's own steps leave LoRA far below is asserted by exercise 3 in the solutions notebook
    assert numbers["lora_score"] >= numbers["live_ift_score"] - 0.1
    assert claims["lora_close_to_full"]["verdict"] != "contradicted"
