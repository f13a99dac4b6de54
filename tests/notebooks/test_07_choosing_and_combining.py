"""Key numbers of notebooks/07_choosing_and_combining.ipynb, asserted within ranges (each with the reason for its bounds)."""

import pytest

KEYS = {"CPT only": "cpt", "IFT": "ift", "prompt only": "prompt", "RAG": "rag", "RAG + tuned embedder": "rag_tuned", "IFT + RAG": "ift_rag", "LoRA + RAG": "lora_rag"}
CLOSED_BOOK = ("cpt", "ift", "prompt")
RETRIEVING = ("rag", "rag_tuned", "ift_rag", "lora_rag")


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("07_choosing_and_combining")


@pytest.fixture(scope="module")
def claims(notebook_claims):
    return notebook_claims("07_choosing_and_combining")


def test_no_approach_without_retrieval_knows_the_fictional_companys_policies(numbers):
    # the handbook is SYNTHETIC and in no training set: closed-book answers are guesses (measured 0 for all three);
    # one lucky guess (0.04) is tolerated
    assert all(numbers[f"accuracy_{key}"] <= 0.1 for key in CLOSED_BOOK)


def test_retrieval_with_the_chat_model_answers_some_questions(numbers):
    # SmolLM2-135M copies the fact out of its sources for some questions: measured 0.23 (RAG), 0.20 (tuned embedder) and
    # 0.41 with notebook 03's answer adapter (LoRA + RAG), on 104 questions. Above 0.8 would mean a scoring bug here
    for key in ("rag", "rag_tuned", "lora_rag"):
        assert 0.08 <= numbers[f"accuracy_{key}"] <= 0.8
    best_closed_book = max(numbers[f"accuracy_{key}"] for key in CLOSED_BOOK)
    assert max(numbers[f"accuracy_{key}"] for key in RETRIEVING) >= best_closed_book + 0.1


def test_the_tiny_models_window_cannot_hold_the_sources(numbers):
    # two sentences of sources + notebook 06's prompt exceed 128 tokens of the tiny tokenizer for (nearly) every
    # question: measured 23 of 24 before, and nearly all of the 104 held-out questions now
    assert numbers["ift_rag_too_long"] >= 0.9 * numbers["n_questions"]
    assert numbers["accuracy_ift_rag"] <= 0.1


def test_only_retrieval_answers_about_a_document_newer_than_every_model(numbers):
    # the new policy's answers (a product name, a form number, a date) cannot be guessed
    assert all(numbers[f"fresh_{key}"] == 0 for key in CLOSED_BOOK)
    # both embedders put the new policy first for all three questions, without retraining
    assert numbers["fresh_retrieved_rag"] == 1.0 and numbers["fresh_retrieved_rag_tuned"] == 1.0
    # at least one retrieving approach gets at least one of the three right (measured 3/3 for LoRA + RAG)
    assert max(numbers[f"fresh_{key}"] for key in RETRIEVING) >= 1 / 3


def test_only_retrieval_makes_answers_traceable(numbers):
    assert all(numbers[f"traceable_{key}"] == 0 for key in CLOSED_BOOK)
    # the source shown is a gold document whenever retrieval's top-1 is right and an answer was generated: measured
    # 0.86-0.90 for the chat model's RAG rows; notebooks 04-05 measured recall@1 of 0.80 (base) and about 0.9 (fine-tuned)
    for key in ("rag", "rag_tuned", "lora_rag"):
        assert numbers[f"traceable_{key}"] >= 0.65


def test_a_prompt_that_did_not_fit_is_not_a_traceable_answer(numbers):
    # the tiny IFT model's 128-token window cannot hold the sources: those questions get no answer, so no traceable one
    n = numbers["n_questions"]
    assert numbers["traceable_ift_rag"] <= 1 - numbers["ift_rag_too_long"] / n + 1e-9


def test_compute_follows_the_articles_order(numbers):
    # pre-training + CPT (+ IFT) dwarf one embedding pass over the handbook; prompting costs nothing up front
    assert numbers["compute_flops_prompt"] == 0
    assert numbers["compute_flops_ift"] > numbers["compute_flops_cpt"] > numbers["compute_flops_rag"] > 0
    assert numbers["compute_flops_rag_tuned"] > numbers["compute_flops_rag"]  # the embedder's fine-tuning is added
    assert numbers["compute_flops_lora_rag"] > numbers["compute_flops_rag_tuned"]  # and the LoRA run on top


def test_labelled_data_is_needed_only_by_the_trained_approaches(numbers):
    # notebook 06's prompt may show one or two examples; RAG itself needs none
    assert numbers["labelled_cpt"] == 0 and numbers["labelled_rag"] <= 2
    assert numbers["labelled_ift"] >= 900  # 120 steps x 8 instructions
    assert numbers["labelled_rag_tuned"] >= 100 + numbers["labelled_rag"]  # notebook 05's labelled pairs
    assert numbers["labelled_lora_rag"] >= numbers["labelled_rag_tuned"] - numbers["labelled_rag"] + 20  # + the adapter's examples


def test_the_adapter_changes_the_format_of_the_answers(numbers):
    # notebook 03's answer adapter replies with the exact words or "Not in the sources.": measured 1.0 short replies vs 0.22 without it
    assert numbers["short_answers_lora_rag"] >= numbers["short_answers_rag"] + 0.3


def test_routers_route_far_better_than_chance(numbers):
    # three routes: the most common one (HR) is under half of the test questions; measured on the 55 single-document
    # test questions: 0.76 (descriptions) and 0.91 (5 nearest labelled questions). Below 0.6 a router is not worth a call
    assert numbers["routing_examples"] >= 0.75
    assert numbers["routing_descriptions"] >= 0.6


def test_an_it_user_never_gets_hr_only_documents(numbers, claims):
    # the leak count must be exactly zero: one HR-only document shown to an IT user is the defect the section teaches
    assert numbers["hr_only_to_it_user"] == 0
    assert numbers["hr_only_to_hr_user"] > 0  # the filter follows the role: HR users do reach them
    assert claims["role_filter_blocks_hr_only_documents"]["verdict"] == "supported"


def test_the_agent_routes_and_cites_its_sources(numbers, claims):
    # every held-out HR and IT question, one at a time: the router alone routes ~0.97 of test questions, so the agent
    # must route at least 80% (its claim) and cite a gold document for most; below one half citing is a retrieval bug
    assert claims["agent_routes_to_the_right_tool"]["verdict"] == "supported"
    assert numbers["agent_cites_gold"] >= 0.5


GUIDE_COLUMNS = {  # guide entry -> (recorded metric prefix, best is the highest?, only approaches that answer something?)
    "accuracy": ("accuracy", True, False),
    "fresh": ("fresh", True, False),
    "traceable": ("traceable", True, False),
    "labels": ("labelled", False, True),
    "latency": ("seconds_per_answer", False, True),
    "compute": ("compute_flops", False, True),
    "style": ("short_answers", True, True),
}


def test_the_guide_names_an_approach_with_the_best_recorded_number(numbers):
    # checked by hand from the recorded table (max or min of one column), not by re-running assistant.when_to_use
    for guide_key, (metric, highest, answering_only) in GUIDE_COLUMNS.items():
        values = {name: numbers[f"{metric}_{key}"] for name, key in KEYS.items() if not answering_only or numbers[f"accuracy_{key}"] > 0}
        chosen = numbers[f"guide_{guide_key}"]
        assert chosen in values, f"guide_{guide_key} names {chosen!r}, which does not qualify"
        assert values[chosen] == (max if highest else min)(values.values()), f"guide_{guide_key}: {chosen!r} is not the best in {values}"
    # and, as the article says, fresh facts and citations come from an approach that retrieves
    retrieving = {name for name, key in KEYS.items() if key in RETRIEVING}
    assert numbers["guide_fresh"] in retrieving and numbers["guide_traceable"] in retrieving and numbers["guide_accuracy"] in retrieving


def test_most_answers_of_the_best_retrieving_approach_are_traceable(claims):
    # "most" = above one half, judged with the CI's lower end
    assert claims["rag_answers_are_traceable"]["verdict"] == "supported"
