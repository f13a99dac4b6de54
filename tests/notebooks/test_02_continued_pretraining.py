"""Key numbers of notebooks/02_continued_pretraining.ipynb, asserted within ranges."""

import pytest


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("02_continued_pretraining")


@pytest.fixture(scope="module")
def claims(notebook_claims):
    return notebook_claims("02_continued_pretraining")


def test_cpt_lowers_domain_perplexity_by_at_least_30_percent(numbers, claims):
    # the bar; measured ~94% (959 -> 58); the per-block paired CI must exclude no change
    assert numbers["domain_ppl_drop"] >= 0.30
    assert claims["cpt_lowers_domain_loss"]["verdict"] == "supported"


def test_cpt_without_replay_raises_general_perplexity(numbers, claims):
    # forgetting: measured ~3.6x (138 -> 496); a rise under 10% would mean the model barely moved
    assert numbers["general_ppl_rise"] > 0.10
    assert claims["cpt_raises_general_loss"]["verdict"] == "supported"


def test_replay_reduces_forgetting(numbers, claims):
    # "reduces" is judged block by block with a CI (a 469 vs 470 difference would be "not measurable", and fail)
    assert claims["replay_reduces_forgetting"]["verdict"] == "supported"
    # measured 496 -> 155 (25%) and 145 (50%): replay removes at least half of the rise in general perplexity
    rise = numbers["general_ppl_after"] - numbers["general_ppl_before"]
    for fraction in (25, 50):
        assert numbers[f"general_ppl_replay_{fraction}"] < numbers["general_ppl_before"] + rise / 2
    assert numbers["general_ppl_replay_50"] <= numbers["general_ppl_replay_25"] * 1.05  # more replay, no more forgetting


def test_replay_keeps_most_of_the_domain_gain(numbers):
    # "most": more than half of CPT's domain loss reduction survives the largest replay share (measured 58 -> 78 of 959)
    assert numbers["replay_domain_gain_kept"] > 0.5
    for fraction in (25, 50):  # in perplexity: closer to the CPT result than to the pre-CPT model
        after, before = numbers["domain_ppl_after"], numbers["domain_ppl_before"]
        assert numbers[f"domain_ppl_replay_{fraction}"] - after < before - numbers[f"domain_ppl_replay_{fraction}"]


def test_the_general_tokenizer_needs_more_tokens_per_word_on_documentation(numbers):
    assert numbers["tokens_per_word_domain"] > numbers["tokens_per_word_general"] * 1.3
