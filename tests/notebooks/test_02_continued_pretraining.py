"""Key numbers of notebooks/02_continued_pretraining.ipynb, asserted within ranges."""

import pytest


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("02_continued_pretraining")


def test_cpt_lowers_domain_perplexity_by_at_least_30_percent(numbers):
    # the bar; measured ~93% (945 -> 62)
    assert numbers["domain_ppl_drop"] >= 0.30


def test_cpt_without_replay_raises_general_perplexity(numbers):
    # forgetting: measured ~3x; a rise under 10% would mean the model barely moved
    assert numbers["general_ppl_rise"] > 0.10


def test_replay_reduces_forgetting_and_keeps_most_domain_gain(numbers):
    assert numbers["general_ppl_replay_25"] < numbers["general_ppl_after"]
    assert numbers["general_ppl_replay_50"] < numbers["general_ppl_after"]
    assert numbers["general_ppl_replay_50"] <= numbers["general_ppl_replay_25"] * 1.05  # more replay, no more forgetting
    for fraction in (25, 50):
        assert numbers[f"domain_ppl_replay_{fraction}"] < 0.7 * numbers["domain_ppl_before"]


def test_the_general_tokenizer_needs_more_tokens_per_word_on_documentation(numbers):
    assert numbers["tokens_per_word_domain"] > numbers["tokens_per_word_general"] * 1.3
