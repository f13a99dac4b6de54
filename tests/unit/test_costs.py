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
    assert 1e6 < estimate.dollars < 1e8 and 7 < estimate.days < 365


def test_utilisation_must_be_a_fraction():
    with pytest.raises(ValueError, match="utilisation"):
        costs.estimate_training_cost(1e9, 1e9, costs.ClusterAssumptions(utilisation=40))


def test_achieved_flops_per_second():
    assert costs.achieved_flops_per_second(1e6, 1000) == 6e9
