"""Key numbers of notebooks/01_pretraining.ipynb, asserted within ranges."""

import math

import pytest


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results("01_pretraining")


def test_untrained_model_starts_at_uniform_guessing(numbers):
    # ln(4096) = 8.32: random init predicts nearly uniformly over the vocabulary
    assert abs(numbers["initial_val_loss"] - math.log(4096)) < 0.3


def test_validation_loss_after_pretraining_is_well_below_its_initial_value(numbers):
    # measured ~4.9 nats after 600 steps; anything above 6 is the unigram plateau (training failed)
    assert numbers["final_val_loss"] < numbers["initial_val_loss"] - 2.5
    assert 40 < numbers["val_perplexity"] < 400


def test_model_is_the_advertised_size(numbers):
    assert 1.2e6 < numbers["n_parameters"] < 1.5e6


def test_tokenizer_is_efficient_on_the_text_it_was_trained_for(numbers):
    # English prose with a 4k BPE vocabulary: ~1.3-1.4 tokens per word
    assert 1.1 < numbers["tokens_per_word"] < 1.7


def test_scaled_up_estimate_reproduces_millions_of_dollars_and_weeks(numbers):
    # "millions of dollars": at least $1M, under $100M; "weeks": more than one week, under two months (measured 45 days,
    # $11M for 70B parameters x 15T tokens on 4,096 GPUs); a year, or days, would contradict the claim
    assert 1e6 <= numbers["big_dollars"] < 1e8
    assert 7 < numbers["big_days"] < 60
    assert numbers["run_flops"] == pytest.approx(6 * numbers["n_parameters"] * 600 * 8 * 128, rel=1e-6)
