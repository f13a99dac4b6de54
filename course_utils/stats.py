"""Uncertainty for the course's claims: confidence intervals, paired comparisons and verdicts.

Every notebook (00-07) that claims "A beats B" or "X matches Y" measures it with this module:
score each condition on the same items, compare them with `paired_difference`, and let `claim`
turn the interval into one of three verdicts, so the conclusion is printed by code, not typed.

Methods, chosen to be explainable in a sentence each:
  mean_ci            0/1 scores: Wilson score interval; other scores: percentile bootstrap of the mean
  paired_difference  percentile bootstrap of the mean per-item difference (resampling items, so pairs
                     stay together); for 0/1 scores also McNemar's exact test on the discordant pairs
  across_seeds       Student t interval over per-seed results (few seeds: a wide interval, honestly)
The bootstrap is seeded, so the same scores always give the same interval. It is too narrow on a
handful of items (below about 20), and when every pair agrees its interval collapses to a point:
"no differences observed", not "proven equal". Ask enough questions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

DIRECTIONS = ("higher", "lower", "equivalent")


def format_number(x: float, signed: bool = False) -> str:
    """Format an effect for a sentence: two decimals (0.35, +0.31), whole numbers from 100 on."""
    sign = "+" if signed else ""
    if abs(x) >= 100:
        return f"{x:{sign},.0f}"
    if abs(x) >= 0.01 or x == 0:
        return f"{x:{sign}.2f}"
    return f"{x:{sign}.2g}"


@dataclass(frozen=True)
class Estimate:
    """A mean with its confidence interval: `0.35 (95% CI 0.15–0.55, n = 20)`."""

    value: float
    low: float
    high: float
    n: int
    confidence: float = 0.95
    method: str = ""
    scores: tuple[float, ...] | None = field(default=None, repr=False)

    def __str__(self) -> str:
        interval = f"{format_number(self.low)}–{format_number(self.high)}"
        return f"{format_number(self.value)} ({self.confidence:.0%} CI {interval}, n = {self.n})"


@dataclass(frozen=True)
class Comparison:
    """Condition A minus condition B on the same items: `+0.31 (95% CI +0.22 to +0.40, n = 110)`."""

    difference: float
    low: float
    high: float
    n: int
    p_value: float | None = None
    label_a: str = "A"
    label_b: str = "B"
    mean_a: float | None = None
    mean_b: float | None = None
    confidence: float = 0.95
    scores_a: tuple[float, ...] | None = field(default=None, repr=False)
    scores_b: tuple[float, ...] | None = field(default=None, repr=False)

    @property
    def value(self) -> float:
        """The difference, under the name an Estimate uses (so both work in `verdict` and plots)."""
        return self.difference

    def __str__(self) -> str:
        interval = f"{format_number(self.low, signed=True)} to {format_number(self.high, signed=True)}"
        return f"{format_number(self.difference, signed=True)} ({self.confidence:.0%} CI {interval}, n = {self.n})"


def _as_scores(scores: Sequence[float], name: str = "scores") -> np.ndarray:
    array = np.asarray(scores, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat list of per-item numbers, got an array of shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty: score at least one item.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinity: every item needs a finite score; check how it was scored.")
    return array


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1 (e.g. 0.95), got {confidence}.")


def _is_binary(array: np.ndarray) -> bool:
    return bool(np.all((array == 0) | (array == 1)))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval for a proportion `successes / n`."""
    _check_confidence(confidence)
    if not 0 <= successes <= n or n == 0:
        raise ValueError(f"Need 0 <= successes <= n and n > 0, got {successes} of {n}.")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half_width = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # exact at the ends: rounding can leave the bound a hair inside p = 0 or 1 (6.9e-18 at 0 of 55), which would
    # count an all-zero sample as "above zero"
    return max(0.0, min(p, centre - half_width)), min(1.0, max(p, centre + half_width))


def bootstrap_interval(
    scores: Sequence[float], confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Return the percentile-bootstrap interval of the mean: resample items with replacement, seeded."""
    array = _as_scores(scores)
    _check_confidence(confidence)
    if n_resamples < 100:
        raise ValueError(f"n_resamples={n_resamples} is too few for a stable interval; use 1000 or more.")
    rng = np.random.default_rng(seed)
    means = np.concatenate([  # in batches of 1000 resamples, so memory stays small for long score lists
        array[rng.integers(0, array.size, size=(min(1000, n_resamples - start), array.size))].mean(axis=1)
        for start in range(0, n_resamples, 1000)
    ])
    alpha = 1 - confidence
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def mean_ci(
    scores: Sequence[float], confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0, method: str = "auto"
) -> Estimate:
    """Return the mean of per-item scores with a CI: Wilson for 0/1 scores, else the bootstrap ("auto")."""
    array = _as_scores(scores)
    _check_confidence(confidence)
    if method not in ("auto", "wilson", "bootstrap"):
        raise ValueError(f"method must be 'auto', 'wilson' or 'bootstrap', got {method!r}.")
    if method == "wilson" and not _is_binary(array):
        raise ValueError("The Wilson interval needs 0/1 scores (correct or not); use method='bootstrap'.")
    if method == "auto":
        method = "wilson" if _is_binary(array) else "bootstrap"
    if method == "wilson":
        low, high = wilson_interval(int(array.sum()), array.size, confidence)
    else:
        low, high = bootstrap_interval(array, confidence, n_resamples, seed)
    return Estimate(float(array.mean()), low, high, int(array.size), confidence, method, tuple(array.tolist()))


def mcnemar_exact_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Return McNemar's exact two-sided p-value for paired 0/1 scores (a binomial test on discordant pairs)."""
    a_array, b_array = _paired_arrays(a, b)
    if not (_is_binary(a_array) and _is_binary(b_array)):
        raise ValueError("McNemar's test needs 0/1 scores (correct or not) for both conditions.")
    only_a = int(np.sum((a_array == 1) & (b_array == 0)))
    only_b = int(np.sum((a_array == 0) & (b_array == 1)))
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    # Under "no difference" each discordant pair is a fair coin flip: P(a split at least this lopsided).
    tail = sum(math.comb(discordant, k) for k in range(min(only_a, only_b) + 1)) / 2**discordant
    return min(1.0, 2 * tail)


def _paired_arrays(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a_array, b_array = _as_scores(a, "a"), _as_scores(b, "b")
    if a_array.size != b_array.size:
        raise ValueError(
            f"a has {a_array.size} scores and b has {b_array.size}: a paired comparison needs both conditions "
            "scored on the same items, in the same order."
        )
    return a_array, b_array


def paired_difference(
    a: Sequence[float],
    b: Sequence[float],
    label_a: str = "A",
    label_b: str = "B",
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Comparison:
    """Return mean(a) - mean(b) over the same items, with a paired bootstrap CI (and McNemar's p for 0/1)."""
    a_array, b_array = _paired_arrays(a, b)
    differences = a_array - b_array
    low, high = bootstrap_interval(differences, confidence, n_resamples, seed)
    binary = _is_binary(a_array) and _is_binary(b_array)
    return Comparison(
        difference=float(differences.mean()),
        low=low,
        high=high,
        n=int(differences.size),
        p_value=mcnemar_exact_p(a_array, b_array) if binary else None,
        label_a=label_a,
        label_b=label_b,
        mean_a=float(a_array.mean()),
        mean_b=float(b_array.mean()),
        confidence=confidence,
        scores_a=tuple(a_array.tolist()),
        scores_b=tuple(b_array.tolist()),
    )


def across_seeds(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Return the mean of per-seed results with a Student t interval (n = number of seeds, at least 2)."""
    from scipy.stats import t as student_t

    array = _as_scores(values, "values")
    _check_confidence(confidence)
    if array.size < 2:
        raise ValueError(f"across_seeds needs results from at least 2 seeds to measure their spread, got {array.size}.")
    half_width = student_t.ppf(0.5 + confidence / 2, df=array.size - 1) * array.std(ddof=1) / math.sqrt(array.size)
    mean = float(array.mean())
    return Estimate(mean, mean - half_width, mean + half_width, int(array.size), confidence, "t", tuple(array.tolist()))


def _not_measurable(effect: Estimate | Comparison) -> str:
    return f"not measurable at n = {effect.n}"


def verdict(effect: Estimate | Comparison, expected: str = "higher", threshold: float = 0.0) -> str:
    """Return "supported", "contradicted" or "not measurable at n = N" for "effect is higher/lower than threshold"."""
    if expected not in ("higher", "lower"):
        raise ValueError(f"expected must be 'higher' or 'lower' (use equivalence_verdict for 'no difference'), got {expected!r}.")
    above, below = effect.low > threshold, effect.high < threshold
    if (expected == "higher" and above) or (expected == "lower" and below):
        return "supported"
    if (expected == "higher" and below) or (expected == "lower" and above):
        return "contradicted"
    return _not_measurable(effect)


def equivalence_verdict(effect: Estimate | Comparison, margin: float) -> str:
    """Return the verdict on "no meaningful difference": supported when the CI lies within ±margin."""
    if not margin > 0:
        raise ValueError(f"margin must be positive: the largest difference you would call 'the same', got {margin}.")
    if -margin <= effect.low and effect.high <= margin:
        return "supported"
    if effect.low > margin or effect.high < -margin:
        return "contradicted"
    return _not_measurable(effect)


@dataclass(frozen=True)
class Claim:
    """A claim in words, its measured effect and the verdict: `statement: effect: verdict`."""

    key: str
    statement: str
    effect: Estimate | Comparison
    expected: str
    verdict: str
    threshold: float = 0.0
    margin: float | None = None

    @property
    def supported(self) -> bool:
        """True when the interval backs the claim."""
        return self.verdict == "supported"

    def sentence(self, supported: str, contradicted: str, unclear: str) -> str:
        """Return the wording that matches the verdict, so a notebook prints its conclusion from code."""
        if self.verdict == "supported":
            return supported
        return contradicted if self.verdict == "contradicted" else unclear

    def __str__(self) -> str:
        return f"{self.statement}: {self.effect}: {self.verdict}"


def claim(
    key: str,
    statement: str,
    effect: Estimate | Comparison,
    expected: str = "higher",
    threshold: float = 0.0,
    margin: float | None = None,
) -> Claim:
    """Judge a claim: expected "higher"/"lower" than `threshold`, or "equivalent" within ±`margin`."""
    if expected not in DIRECTIONS:
        raise ValueError(f"expected must be one of {DIRECTIONS}, got {expected!r}.")
    if expected == "equivalent":
        if margin is None:
            raise ValueError("An 'equivalent' claim needs a margin: the largest difference you would call 'the same'.")
        outcome = equivalence_verdict(effect, margin)
    else:
        outcome = verdict(effect, expected, threshold)
    return Claim(key, statement, effect, expected, outcome, threshold, margin)


def error_bars(effects: Sequence[Estimate | Comparison]) -> np.ndarray:
    """Return matplotlib's `yerr` for effects: a 2 x k array of (value - low, high - value)."""
    return np.clip(np.array([[e.value - e.low for e in effects], [e.high - e.value for e in effects]]), 0.0, None)  # matplotlib rejects -1e-17


def winner(comparison: Comparison, name_a: str | None = None, name_b: str | None = None) -> str | None:
    """Return the better condition's name when the CI of the difference excludes zero, else None."""
    if comparison.low > 0:
        return name_a or comparison.label_a
    if comparison.high < 0:
        return name_b or comparison.label_b
    return None
