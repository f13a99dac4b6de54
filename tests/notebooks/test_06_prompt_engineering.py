"""Key numbers of notebooks/06_prompt_engineering.ipynb, asserted within ranges (each with the reason for its bounds).

Sections 3-7 score every variant on a balanced sample of each task's test split (16 questions to route, 32 to extract,
16 passages; one answer is 0.03-0.06, the time budget allows no more); section 8 on all 55 single-answer test questions.
The bounds leave room for a changed answer or two across CPUs and library versions, and assert the direction of each
finding (tied to its recorded claim where there is one) rather than its exact size.
"""

import pytest


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("06_prompt_engineering")


@pytest.fixture(scope="module")
def claims(notebook_claims):
    return notebook_claims("06_prompt_engineering")


def test_the_ift_model_answers_only_in_its_own_chat_format(numbers, claims):
    # measured 1.00 in its chat template vs 0.69 as raw text (16 passages; the earlier GPT-2 with biases: 0.94 vs 0): the tiny
    # model never saw a prompt without its turn markers
    assert numbers["source_chat_ift"] >= 0.5
    assert numbers["source_raw_ift"] <= numbers["source_chat_ift"] - 0.2
    assert claims["ift_needs_its_chat_format"]["verdict"] == "supported"
    assert numbers["ift_fewshot_too_long"] == numbers["source_test_passages"]  # four examples never fit its 128-token window


def test_the_base_model_needs_examples_not_instructions(numbers, claims):
    # measured 0 zero-shot (raw, or as a chat transcript) vs 0.94 with four examples: a base model continues patterns
    assert numbers["source_raw_4shot_base"] >= numbers["source_chat_base"] + 0.5
    assert numbers["source_raw_base"] <= 0.3
    assert claims["base_model_needs_examples"]["verdict"] == "supported"


def test_the_instruct_model_needs_a_chat_or_examples(numbers):
    # measured 0 as raw zero-shot text (it writes URLs and code), 0.5 through its chat template, up to 0.75 with examples
    best_few_shot = max(numbers[key] for key in ("fewshot_k1", "fewshot_k3", "source_raw_4shot_smol", "fewshot_k5"))
    assert best_few_shot >= numbers["source_raw_smol"] + 0.3
    assert numbers["source_chat_smol"] >= numbers["source_raw_smol"] + 0.2


def test_a_prompt_tuned_for_one_model_fails_on_another(numbers):
    # the article's claim: the best variant differs between models, and reusing another model's best loses accuracy
    # (measured 0.94: SmolLM2's best, chat zero-shot, gets nothing right on the base model, whose best, 4-shot, gets 0.94)
    assert numbers["distinct_best_source_variants"] >= 2
    assert numbers["worst_transfer_loss"] >= 0.5


def test_no_prompt_makes_the_small_models_route_reliably(numbers):
    # three labels, so chance is about 0.33; measured 0.31 (SmolLM2's best variant) and 0.38 (Gemma, 3-shot) on 16 questions
    assert numbers["route_best_smol"] <= 0.7
    assert numbers["route_raw_3shot_base"] <= 0.8


def test_examples_help_and_one_sided_examples_bias_the_answers(numbers, claims):
    # measured k=1 0.44, k=3 0.75, k=5 0.62 against 0 at k=0 (16 passages); three 'novel' examples made every answer 'novel'
    assert max(numbers["fewshot_k3"], numbers["fewshot_k5"]) >= 0.4
    assert claims["few_shot_beats_zero_shot"]["verdict"] == "supported"
    assert numbers["one_label_novel_share"] >= 0.8
    assert claims["one_label_examples_bias_answers"]["verdict"] == "supported"
    # more examples are not monotonically better: five gain at most one or two answers over three (measured two fewer)
    assert numbers["fewshot_k5"] <= numbers["fewshot_k3"] + 0.13
    assert numbers["one_label_accuracy"] <= 0.6  # half the passages are documentation
    assert 150 < numbers["fewshot_tokens_k5"] < 300  # five 16-word passages with labels, plus the instruction (measured 201)


def test_step_by_step_costs_tokens_and_does_not_help_a_135m_model(numbers):
    # measured on 16 passages: no change in accuracy, no reply with the requested 'Answer:' line, 28.4 new tokens per
    # passage (27.3 on 10, 3.4x zero-shot's 8).
    # The time ratio (3.3x and 4.2x idle) is printed, not asserted: a busy machine moved it to 0.19x once. Tokens are deterministic.
    assert numbers["cot_change"] <= 0.2
    assert numbers["cot_answer_line_share"] <= 0.5
    assert numbers["cot_new_tokens"] > 15 and numbers["cot_new_token_ratio"] > 2


def test_a_primed_reply_makes_valid_json_and_a_retry_never_hurts_validity(numbers, claims):
    # measured on 32 questions: 0.12 valid with the instruction alone, 0.28 with the hint (the retry repaired none),
    # 1.0 primed with '{"department": "'
    assert numbers["json_valid_primed"] >= 0.8
    assert numbers["json_valid_primed"] > numbers["json_valid_plain"]
    assert claims["priming_raises_valid_json"]["verdict"] == "supported"
    assert claims["format_hint_and_retry_raise_valid_json"]["verdict"] != "contradicted"
    assert numbers["json_valid_retry"] >= numbers["json_valid_hint"]  # a retry only replaces invalid replies
    assert numbers["json_fields_retry"] >= numbers["json_fields_hint"]
    assert numbers["json_fields_primed"] >= 0.4  # measured 0.62: valid JSON can still hold a wrong field


def test_paraphrases_move_the_accuracy(numbers, claims):
    # measured ranges of 0.5 (SmolLM2) and 0.88 (IFT model) over five wordings of one instruction (16 passages); the
    # claims pair each model's best and worst wording on the same passages
    assert numbers["paraphrase_range_smol"] >= 0.2
    assert numbers["paraphrase_range_ift"] >= 0.2
    assert claims["paraphrase_moves_accuracy_smol"]["verdict"] == "supported"
    assert claims["paraphrase_moves_accuracy_ift"]["verdict"] == "supported"


def test_retrieved_sources_make_answers_possible(numbers):
    # the handbook is fictional: measured 0 or 1 of 55 test questions correct without sources for every model;
    # with them 0.15 (SmolLM2), 0.36 (Gemma): sources must add answers (the paired verdict is in test_claims)
    for key in ("smol", "ift", "base"):
        assert numbers[f"rag_alone_{key}"] <= 0.1
        assert numbers[f"rag_sources_{key}"] >= numbers[f"rag_alone_{key}"]
    assert numbers["rag_sources_smol"] >= numbers["rag_alone_smol"] + 0.05
    assert numbers["rag_sources_ift"] <= 0.2  # never trained to answer from sources, and a 128-token window


def test_the_trained_reader_beats_the_best_prompt_on_the_same_sources(numbers, claims):
    # measured 0.51 with notebook 03's answer adapter vs 0.15 for SmolLM2 with its best prompt, same 55 questions and sources
    assert numbers["rag_sources_adapter"] > numbers["rag_sources_smol"]
    assert claims["adapter_beats_best_prompt_with_rag"]["verdict"] != "contradicted"


def test_the_base_model_continues_requests_the_instruct_model_answers(numbers):
    # measured 0/20 replies that continue for SmolLM2-135M-Instruct and 19/20 for base Gemma 3 270M (pe.continues_text)
    assert numbers["continues_instruct"] <= 0.2
    assert numbers["continues_base"] >= 0.5


def test_a_best_handbook_variant_is_recorded_for_each_model(numbers):
    from course_utils.prompt_eval import COMPARED_MODELS, best_variant_key, handbook_variants, recorded_best_variant

    names = {variant.name for variant in handbook_variants()}
    for model_name in COMPARED_MODELS:
        assert numbers[best_variant_key(model_name)] in names
        assert recorded_best_variant(model_name).name in names


def test_few_shot_examples_never_show_a_document_the_asker_may_not_see(numbers):
    # the old pool (every training question, whatever its document's access level) leaked restricted sentences into
    # few-shot prompts; the pool of documents every role may see leaks none. 0 after is the only acceptable count.
    assert numbers["fewshot_leaks_after"] == 0
    assert numbers["fewshot_leaks_before"] > 0  # the control: the measurement does find the leak the old pool caused


def test_the_recorded_verdicts_agree_with_the_notebooks_claims(claims):
    # step by step does not help a 135M model (the opposite, a supported gain, fails); examples, sources and a model's own
    # prompt must not come out measurably worse than their alternatives
    assert claims["step_by_step_helps_small_model"]["verdict"] != "supported"
    assert claims["few_shot_beats_zero_shot"]["verdict"] != "contradicted"
    assert claims["prompt_plus_rag_beats_prompt_alone"]["verdict"] != "contradicted"
    assert claims["prompt_transfer_loses_accuracy"]["verdict"] != "contradicted"
