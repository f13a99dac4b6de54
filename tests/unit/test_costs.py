import pytest

from course_utils import costs


def test_six_n_d_rule():
    assert costs.training_flops(1e6, 1e3) == 6e9
    with pytest.raises(ValueError, match="positive"):
        costs.training_flops(0, 10)


def test_cost_estimate_is_consistent_with_its_assumptions():
    cluster = costs.ClusterAssumptions(peak_flops_per_gpu=1e15, utilisation=0.5, n_gpus=1000, dollars_per_gpu_hour=2.0)
    estimate = costs.estimate_training_cost(70e9, 15e12, cluster)
    gpu_seconds = 6 * 70e9 * 15e12 / (1e15 * 0.5)
    assert estimate.gpu_hours == pytest.approx(gpu_seconds / 3600)
    assert estimate.days == pytest.approx(gpu_seconds / 1000 / 86400)
    assert estimate.dollars == pytest.approx(estimate.gpu_hours * 2.0)


def test_a_llama_3_70b_scale_run_costs_millions_of_dollars_and_weeks():
    # The article's claim: with default (stated) assumptions the arithmetic lands in "millions, weeks".
    estimate = costs.estimate_training_cost(70e9, 15e12)
    # "millions": at least $1M and under $100M; "weeks": more than one week, under two months (hand: ~45 days, ~$11M)
    assert 1e6 <= estimate.dollars < 1e8 and 7 < estimate.days < 60


def test_utilisation_must_be_a_fraction():
    with pytest.raises(ValueError, match="utilisation"):
        costs.estimate_training_cost(1e9, 1e9, costs.ClusterAssumptions(utilisation=40))


def test_achieved_flops_per_second():
    assert costs.achieved_flops_per_second(1e6, 1000) == 6e9


def test_training_needs_tokens_and_inference_costs_two_flops_per_parameter_and_token():
    with pytest.raises(ValueError, match="positive"):
        costs.training_flops(10, 0)
    assert costs.inference_flops(10, 3) == 60.0
    assert costs.inference_flops(10, 0) == 0.0


def test_ift_examples_seen_is_steps_times_batch_capped_by_the_training_split(monkeypatch):
    from types import SimpleNamespace

    from course_utils import data

    n_train = len(data.load_instructions("train"))
    monkeypatch.setattr(costs, "IFT", SimpleNamespace(num_steps=2, batch_size=3))
    assert costs.ift_examples_seen() == 6
    monkeypatch.setattr(costs, "IFT", SimpleNamespace(num_steps=n_train, batch_size=2))
    assert costs.ift_examples_seen() == n_train


def test_indexing_cost_counts_tokens_up_to_the_embedders_window():
    import numpy as np
    import torch

    class FakeEmbedder(torch.nn.Module):
        """10 parameters, a 4-token window, one token per word."""

        max_seq_length = 4

        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(10))
            self.tokenizer = lambda texts, verbose=False: {"input_ids": [text.split() for text in texts]}

        def encode(self, texts, **kwargs):
            return np.ones((len(texts), 2), dtype=np.float32)

    cost = costs.indexing_cost(FakeEmbedder(), ["a b", "a b c d e f"])  # 2 tokens + 6 capped at 4 = 6 tokens
    assert cost.flops == 2 * 10 * 6 and cost.labelled_examples == 0
