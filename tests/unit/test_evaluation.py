import math

import pytest
import torch

from course_utils import evaluation as ev
from course_utils import models


def test_an_untrained_model_is_about_as_perplexed_as_its_vocabulary_is_large():
    torch.manual_seed(0)
    config = models.TinyGPTConfig(vocab_size=500, n_layer=1, n_embd=32, n_head=2, context_length=16)
    model = models.build_tiny_gpt(config)
    blocks = torch.randint(0, 500, (8, 16))
    # random init gives near-uniform predictions: perplexity within ~20% of the vocabulary size
    assert 400 < ev.perplexity(model, blocks) < 600


def test_mean_loss_refuses_no_blocks():
    with pytest.raises(ValueError, match="at least one block"):
        ev.mean_loss(None, torch.zeros((0, 4), dtype=torch.long))


def test_answer_scores():
    assert ev.exact_match("The Paris.", "paris") == 1.0
    assert ev.exact_match("Lyon", "Paris") == 0.0
    assert ev.token_f1("thirty days of leave", "30 days of leave") == pytest.approx(2 * 0.75 * 0.75 / 1.5)
    assert ev.token_f1("", "") == 1.0 and ev.token_f1("x", "") == 0.0
    assert ev.contains_answer("Employees get 30 days per year.", "30 days") == 1.0


def test_retrieval_metrics_on_a_hand_checked_ranking():
    ranked, gold = ["d3", "d1", "d7"], ["d1", "d9"]
    assert ev.recall_at_k(ranked, gold, 1) == 0.0
    assert ev.recall_at_k(ranked, gold, 2) == 0.5
    assert ev.reciprocal_rank(ranked, gold) == 0.5
    assert ev.ndcg_at_k(ranked, gold, 10) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert ev.ndcg_at_k(["d1", "d9"], gold) == pytest.approx(1.0)


def test_mean_retrieval_metrics_averages_over_queries():
    metrics = ev.mean_retrieval_metrics([["a", "b"], ["c", "d"]], [["a"], ["d"]], ks=(1, 2))
    assert metrics == {"recall@1": 0.5, "recall@2": 1.0, "MRR": 0.75, "nDCG@10": pytest.approx((1 + 1 / math.log2(3)) / 2)}


@pytest.mark.parametrize("ranked,gold,error", [(["a"], [], ValueError), ("abc", ["a"], TypeError)])
def test_retrieval_metrics_explain_bad_input(ranked, gold, error):
    with pytest.raises(error):
        ev.recall_at_k(ranked, gold, 1)


def test_next_token_distribution_is_a_sorted_probability_list():
    torch.manual_seed(0)
    tokenizer = models.train_bpe_tokenizer(["the cat sat on the mat"] * 20, vocab_size=270)
    model = models.build_tiny_gpt(models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=16), tokenizer)
    top = ev.next_token_distribution(model, tokenizer, "the cat", top_k=5)
    probabilities = [p for _, p in top]
    assert len(top) == 5 and probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1
