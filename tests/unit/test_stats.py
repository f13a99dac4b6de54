import math

import numpy as np
import pytest

from course_utils import stats
from course_utils.stats import Comparison, Estimate

# --- how effects read --------------------------------------------------------------------------------


def test_estimate_reads_as_value_interval_and_n():
    assert str(Estimate(0.35, 0.15, 0.55, 20)) == "0.35 (95% CI 0.15–0.55, n = 20)"


def test_comparison_reads_with_signs():
    assert str(Comparison(0.31, 0.22, 0.40, 110)) == "+0.31 (95% CI +0.22 to +0.40, n = 110)"
    assert str(Comparison(-0.05, -0.12, 0.02, 30)) == "-0.05 (95% CI -0.12 to +0.02, n = 30)"


def test_large_numbers_read_without_decimals():
    assert str(Estimate(1234.4, 1100.0, 1400.6, 5)) == "1,234 (95% CI 1,100–1,401, n = 5)"


# --- mean_ci -------------------------------------------------------------------------------------------


def test_mean_ci_of_half_right_uses_the_wilson_interval():
    # Wilson, p = 0.5, n = 100, z = 1.96: centre 0.5, half-width 1.96 / 1.0384 * sqrt(0.0025 + 0.000096) = 0.0962.
    estimate = stats.mean_ci([1, 0] * 50)
    assert estimate.method == "wilson"
    assert (estimate.value, estimate.n) == (0.5, 100)
    assert estimate.low == pytest.approx(0.4038, abs=1e-3)
    assert estimate.high == pytest.approx(0.5962, abs=1e-3)


def test_mean_ci_of_all_wrong_still_has_an_upper_bound():
    # Wilson with 0 of 20: upper bound z^2 / (n + z^2) = 3.8415 / 23.8415 = 0.161, not a collapsed 0-0.
    estimate = stats.mean_ci([0] * 20)
    assert estimate.low == 0.0
    assert estimate.high == pytest.approx(0.1611, abs=1e-3)


def test_bootstrap_of_half_right_is_about_plus_minus_a_tenth():
    # Standard error sqrt(0.25 / 100) = 0.05, so a 95% interval is about 0.5 +/- 0.098.
    estimate = stats.mean_ci([1, 0] * 50, method="bootstrap")
    assert estimate.low == pytest.approx(0.40, abs=0.02)
    assert estimate.high == pytest.approx(0.60, abs=0.02)


def test_bootstrap_of_continuous_scores_is_about_two_standard_errors():
    # Scores 0 and 2: mean 1, standard deviation 1, standard error 0.1, interval about 0.8-1.2.
    estimate = stats.mean_ci([0.0, 2.0] * 50)
    assert estimate.method == "bootstrap"
    assert estimate.low == pytest.approx(0.8, abs=0.03)
    assert estimate.high == pytest.approx(1.2, abs=0.03)


def test_mean_ci_is_deterministic_for_the_same_scores():
    scores = [0.1, 0.7, 0.3, 0.9, 0.4, 0.8]
    assert stats.mean_ci(scores) == stats.mean_ci(scores)


def test_mean_ci_keeps_the_per_item_scores():
    assert stats.mean_ci([1, 0, 1]).scores == (1.0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("scores", "message"),
    [([], "empty"), ([0.5, math.nan], "NaN"), ([[1, 0], [0, 1]], "flat list")],
)
def test_mean_ci_rejects_bad_scores(scores, message):
    with pytest.raises(ValueError, match=message):
        stats.mean_ci(scores)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95])
def test_mean_ci_rejects_a_confidence_outside_zero_to_one(confidence):
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.mean_ci([1, 0, 1], confidence=confidence)


def test_wilson_interval_ends_exactly_at_an_all_zero_or_all_one_sample():
    # 0 of 55 rounds to a lower bound of 6.9e-18 without the clamp: an all-zero sample must not be "above zero"
    assert stats.wilson_interval(0, 55)[0] == 0.0
    assert stats.wilson_interval(55, 55)[1] == 1.0
    assert stats.verdict(stats.mean_ci([0.0] * 55), expected="higher") != "supported"


def test_error_bars_are_never_negative():
    bars = stats.error_bars([stats.mean_ci([0.0] * 55), stats.mean_ci([1.0] * 55)])
    assert (bars >= 0).all() and bars[0, 0] == 0.0 and bars[1, 1] == 0.0


def test_wilson_method_refuses_scores_that_are_not_zero_or_one():
    with pytest.raises(ValueError, match="0/1"):
        stats.mean_ci([0.5, 1.0], method="wilson")


# --- paired_difference and McNemar ------------------------------------------------------------------


def test_paired_difference_is_the_difference_of_means():
    comparison = stats.paired_difference([1, 1, 1, 0], [0, 1, 0, 0], "RAG", "closed-book")
    assert comparison.difference == 0.5
    assert (comparison.mean_a, comparison.mean_b, comparison.n) == (0.75, 0.25, 4)
    assert (comparison.label_a, comparison.label_b) == ("RAG", "closed-book")


def test_paired_difference_cancels_how_hard_each_item_is():
    # Items range from 0 to 9 in difficulty, but B always scores exactly 0.1 above A: the paired interval is tight.
    a = np.arange(10.0)
    comparison = stats.paired_difference(a, a + 0.1)
    assert comparison.low == pytest.approx(-0.1)
    assert comparison.high == pytest.approx(-0.1)


def test_paired_difference_refuses_conditions_scored_on_different_items():
    with pytest.raises(ValueError, match="same items, in the same order"):
        stats.paired_difference([1, 0, 1], [1, 0])


def test_mcnemar_p_value_matches_the_hand_computed_binomial_tail():
    # 8 items only A got right, 2 only B got right, 5 both, 5 neither:
    # p = 2 * (C(10,0) + C(10,1) + C(10,2)) / 2^10 = 2 * 56 / 1024 = 0.109375.
    a = [1] * 8 + [0] * 2 + [1] * 5 + [0] * 5
    b = [0] * 8 + [1] * 2 + [1] * 5 + [0] * 5
    assert stats.mcnemar_exact_p(a, b) == pytest.approx(0.109375)
    assert stats.paired_difference(a, b).p_value == pytest.approx(0.109375)


def test_mcnemar_p_value_of_six_one_sided_discordant_pairs():
    # All 6 discordant pairs favour A: p = 2 * (1 / 2^6) = 0.03125.
    assert stats.mcnemar_exact_p([1] * 6 + [0] * 4, [0] * 6 + [0] * 4) == pytest.approx(0.03125)


def test_mcnemar_p_value_is_one_when_no_pair_disagrees():
    assert stats.mcnemar_exact_p([1, 0, 1], [1, 0, 1]) == 1.0


def test_paired_difference_of_continuous_scores_has_no_p_value():
    assert stats.paired_difference([0.2, 0.5], [0.1, 0.4]).p_value is None


# --- across_seeds ------------------------------------------------------------------------------------


def test_across_seeds_is_the_t_interval():
    # Mean 3, sample sd sqrt(2.5), standard error 0.7071, t(0.975, 4 df) = 2.7764: 3 +/- 1.9633.
    estimate = stats.across_seeds([1, 2, 3, 4, 5])
    assert (estimate.value, estimate.n, estimate.method) == (3.0, 5, "t")
    assert estimate.low == pytest.approx(1.0367, abs=1e-3)
    assert estimate.high == pytest.approx(4.9633, abs=1e-3)


def test_across_seeds_needs_at_least_two_seeds():
    with pytest.raises(ValueError, match="at least 2 seeds"):
        stats.across_seeds([0.7])


# --- verdicts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected", "threshold", "outcome"),
    [
        (0.22, 0.40, "higher", 0.0, "supported"),
        (-0.40, -0.22, "higher", 0.0, "contradicted"),
        (-0.05, 0.20, "higher", 0.0, "not measurable at n = 30"),
        (-0.40, -0.22, "lower", 0.0, "supported"),
        (0.22, 0.40, "lower", 0.0, "contradicted"),
        (-0.05, 0.20, "lower", 0.0, "not measurable at n = 30"),
        (0.0, 0.20, "higher", 0.0, "not measurable at n = 30"),  # touching the line is not clearing it
        (0.62, 0.80, "higher", 0.5, "supported"),
        (0.30, 0.45, "higher", 0.5, "contradicted"),
    ],
)
def test_verdict_follows_where_the_interval_lies(low, high, expected, threshold, outcome):
    effect = Comparison((low + high) / 2, low, high, 30)
    assert stats.verdict(effect, expected, threshold) == outcome


def test_verdict_refuses_an_unknown_direction():
    with pytest.raises(ValueError, match="'higher' or 'lower'"):
        stats.verdict(Comparison(0.1, 0.05, 0.15, 10), "bigger")


@pytest.mark.parametrize(
    ("low", "high", "outcome"),
    [
        (-0.02, 0.03, "supported"),
        (0.08, 0.20, "contradicted"),
        (-0.20, -0.06, "contradicted"),
        (-0.02, 0.09, "not measurable at n = 40"),
        (-0.30, 0.30, "not measurable at n = 40"),
    ],
)
def test_equivalence_verdict_asks_whether_the_interval_fits_the_margin(low, high, outcome):
    assert stats.equivalence_verdict(Comparison((low + high) / 2, low, high, 40), margin=0.05) == outcome


def test_equivalence_verdict_needs_a_positive_margin():
    with pytest.raises(ValueError, match="margin must be positive"):
        stats.equivalence_verdict(Comparison(0.0, -0.01, 0.01, 10), margin=0)


# --- claims ------------------------------------------------------------------------------------------


def test_claim_reads_as_statement_effect_and_verdict():
    claim = stats.claim("rag_beats_closed_book", "RAG vs closed-book", Comparison(0.31, 0.22, 0.40, 110))
    assert str(claim) == "RAG vs closed-book: +0.31 (95% CI +0.22 to +0.40, n = 110): supported"
    assert claim.supported


def test_equivalent_claim_uses_the_margin():
    claim = stats.claim("trl_matches_manual", "TRL vs hand-assembled", Comparison(0.01, -0.02, 0.03, 50), "equivalent", margin=0.05)
    assert claim.verdict == "supported"


def test_equivalent_claim_without_a_margin_is_refused():
    with pytest.raises(ValueError, match="needs a margin"):
        stats.claim("same", "A vs B", Comparison(0.0, -0.01, 0.01, 10), "equivalent")


@pytest.mark.parametrize(
    ("low", "high", "wording"),
    [(0.1, 0.3, "RAG helps."), (-0.3, -0.1, "RAG hurts."), (-0.1, 0.3, "Too few questions to tell.")],
)
def test_claim_sentence_matches_the_verdict(low, high, wording):
    claim = stats.claim("rag", "RAG vs closed-book", Comparison((low + high) / 2, low, high, 20))
    assert claim.sentence(supported="RAG helps.", contradicted="RAG hurts.", unclear="Too few questions to tell.") == wording


# --- plots -------------------------------------------------------------------------------------------


def test_error_bars_are_distances_below_and_above_each_value():
    bars = stats.error_bars([Estimate(0.5, 0.4, 0.7, 10), Estimate(0.2, 0.1, 0.25, 10)])
    np.testing.assert_allclose(bars, [[0.1, 0.1], [0.2, 0.05]])


@pytest.mark.parametrize(("low", "high", "name"), [(0.1, 0.3, "RAG"), (-0.3, -0.1, "closed-book"), (-0.1, 0.3, None)])
def test_winner_is_named_only_when_the_interval_excludes_zero(low, high, name):
    comparison = Comparison((low + high) / 2, low, high, 20, label_a="RAG", label_b="closed-book")
    assert stats.winner(comparison) == name


def test_winner_uses_the_names_given():
    assert stats.winner(Comparison(0.2, 0.1, 0.3, 20), "tuned", "base") == "tuned"
