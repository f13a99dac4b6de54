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


# --- hand-computed cases that a plausible bug in each metric would change ---


def test_ndcg_counts_only_the_top_k_and_normalises_by_the_best_k_ranking():
    # gold g1, g2, g3; ranking x, g1, g2, g3; k = 2: only g1 (rank 2) counts, and the ideal top 2 holds two gold ids
    gain = 1 / math.log2(3)
    ideal = 1 + 1 / math.log2(3)
    assert ev.ndcg_at_k(["x", "g1", "g2", "g3"], ["g1", "g2", "g3"], k=2) == pytest.approx(gain / ideal)


def test_token_f1_counts_repeated_tokens_as_a_multiset():
    # "days days" vs "days days off": overlap 2, precision 2/2, recall 2/3, F1 = 0.8 (sets would give 0.4)
    assert ev.token_f1("days days", "days days off") == pytest.approx(0.8)


def test_token_f1_recall_is_measured_against_the_reference():
    # "30 days" vs "30 days of paid leave": precision 2/2, recall 2/5, F1 = 2 * 1 * 0.4 / 1.4
    assert ev.token_f1("30 days", "30 days of paid leave") == pytest.approx(0.8 / 1.4)


def test_hit_rate_looks_only_at_the_first_k_ids():
    rankings, golds = [["a", "b"], ["c", "d"]], [["b"], ["x"]]
    assert ev.hit_rate_at_k(rankings, golds, 1) == 0.0
    assert ev.hit_rate_at_k(rankings, golds, 2) == 0.5


def test_normalisation_drops_every_article_and_containment_has_a_direction():
    assert ev.exact_match("a cat", "the cat") == 1.0
    assert ev.contains_answer("30", "30 days") == 0.0


def test_number_words_become_digits_in_any_case_on_both_sides():
    assert ev.numbers_as_digits("Thirty days, TWO weeks") == "30 days, 2 weeks"
    assert ev.answer_matches("You get 30 days.", "thirty days") == 1.0
    assert ev.answer_matches("You get thirty days.", "30 days") == 1.0


def test_mean_retrieval_metrics_reports_ndcg_at_10_not_at_5():
    # the only gold id sits at rank 7: nDCG@10 = 1 / log2(8) = 1/3, nDCG@5 would be 0
    metrics = ev.mean_retrieval_metrics([["a", "b", "c", "d", "e", "f", "g"]], [["g"]], ks=(5,))
    assert metrics["nDCG@10"] == pytest.approx(1 / 3) and metrics["recall@5"] == 0.0


def test_mean_loss_weights_every_token_equally_across_uneven_batches():
    torch.manual_seed(0)
    model = models.build_tiny_gpt(models.TinyGPTConfig(vocab_size=50, n_layer=1, n_embd=16, n_head=2, context_length=8))
    blocks = torch.randint(0, 50, (3, 8))
    model.eval()
    with torch.no_grad():  # expected: torch's own loss on each block alone, averaged (every block has 7 predicted tokens)
        per_block = [model(input_ids=blocks[i : i + 1], labels=blocks[i : i + 1]).loss.item() for i in range(3)]
    assert ev.mean_loss(model, blocks, batch_size=2) == pytest.approx(sum(per_block) / 3, rel=1e-5)


def test_a_gold_id_listed_twice_counts_once():
    assert ev.recall_at_k(["a", "b"], ["a", "a"], 1) == 1.0


# --- the general task of notebook 03: choose a passage's true continuation -------------------------------------------


class NextIdModel(torch.nn.Module):
    """A stand-in language model that is sure the token after id t is t + 1 (so it knows counting sequences)."""

    def __init__(self, vocab_size: int = 64):
        super().__init__()
        self.vocab_size = vocab_size
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # gives the model a device

    def forward(self, input_ids):
        logits = torch.full((*input_ids.shape, self.vocab_size), -10.0)
        logits.scatter_(2, ((input_ids + 1) % self.vocab_size).unsqueeze(-1), 10.0)
        return type("Output", (), {"logits": logits})()


def test_continuation_choices_set_each_true_continuation_against_its_own_tokens_shuffled():
    blocks = torch.arange(3 * 16).reshape(3, 16)
    items = ev.continuation_choices(blocks, prefix_tokens=4, continuation_tokens=4)
    assert len(items) == 2 * 3  # two 8-token windows per 16-token block
    first = items[0]
    assert first["prefix"].tolist() == [0, 1, 2, 3] and first["true"].tolist() == [4, 5, 6, 7]
    assert sorted(first["other"].tolist()) == [4, 5, 6, 7]  # the same tokens, only the order differs
    again = ev.continuation_choices(blocks, prefix_tokens=4, continuation_tokens=4)
    assert all(torch.equal(a["other"], b["other"]) for a, b in zip(items, again))  # seeded


def test_continuation_choices_refuse_too_short_blocks_or_continuations():
    with pytest.raises(ValueError, match="at least 8 tokens"):
        ev.continuation_choices(torch.zeros(4, 5, dtype=torch.long), prefix_tokens=6, continuation_tokens=2)
    with pytest.raises(ValueError, match="continuation of 2"):
        ev.continuation_choices(torch.zeros(4, 16, dtype=torch.long), prefix_tokens=6, continuation_tokens=1)


def test_a_model_that_knows_the_text_chooses_every_true_continuation_and_a_tie_is_not_a_choice():
    counting = torch.arange(4 * 24).reshape(4, 24) % 64
    items = ev.continuation_choices(counting, prefix_tokens=6, continuation_tokens=6)
    assert ev.continuation_choice_scores(NextIdModel(), items, batch_size=3) == [1.0] * len(items)
    tie = [{**items[0], "other": items[0]["true"].clone()}]
    assert ev.continuation_choice_scores(NextIdModel(), tie) == [0.0]
    with pytest.raises(ValueError, match="at least one item"):
        ev.continuation_choice_scores(NextIdModel(), [])
