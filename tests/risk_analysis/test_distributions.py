from __future__ import annotations

import math
import statistics

import numpy as np
import numpy.typing as npt
import pytest

from risk_analysis import distributions
from risk_analysis.errors import SimulationInputError
from schedules.model import Distribution

# Draws per check, and how many standard errors a sample figure may stray from the truth.
# Beyond five standard errors a normal estimate strays less than once in a million checks.
DRAWS = 400_000
STANDARD_ERRORS = 5.0


def draws(kind: Distribution, low: float, mode: float, high: float) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(20240101)
    values = distributions.sample(kind, [low], [mode], [high], DRAWS, rng, np.float64)
    return np.asarray(values[:, 0], dtype=np.float64)


def mean_tolerance(values: npt.NDArray[np.float64]) -> float:
    return STANDARD_ERRORS * float(values.std()) / math.sqrt(values.size)


def variance_tolerance(values: npt.NDArray[np.float64]) -> float:
    # The standard error of a sample variance is sqrt((m4 - s^4) / n).
    centred = values - values.mean()
    fourth = float(np.mean(centred**4))
    return STANDARD_ERRORS * math.sqrt((fourth - float(values.var()) ** 2) / values.size)


def quantile_tolerance(probability: float) -> float:
    # The share of draws below the true quantile is binomial with mean p.
    return STANDARD_ERRORS * math.sqrt(probability * (1 - probability) / DRAWS)


def test_triangular_moments_match_the_formulas() -> None:
    values = draws(Distribution.TRIANGULAR, 5, 10, 15)

    assert abs(values.mean() - 10.0) <= mean_tolerance(values)
    assert abs(values.var() - 25 / 6) <= variance_tolerance(values)
    assert distributions.mean(Distribution.TRIANGULAR, 5, 10, 15)[0] == 10.0
    assert distributions.variance(Distribution.TRIANGULAR, 5, 10, 15)[0] == pytest.approx(
        4.1667, abs=5e-5
    )


def test_pert_moments_match_the_formulas() -> None:
    values = draws(Distribution.PERT, 2, 5, 14)

    assert abs(values.mean() - 6.0) <= mean_tolerance(values)
    assert abs(values.var() - 32 / 7) <= variance_tolerance(values)
    assert distributions.mean(Distribution.PERT, 2, 5, 14)[0] == 6.0
    assert distributions.variance(Distribution.PERT, 2, 5, 14)[0] == pytest.approx(4.571, abs=5e-4)


def test_pert_shape_of_two_five_fourteen() -> None:
    alpha, beta = distributions.pert_shape(2, 5, 14)

    assert (alpha[0], beta[0]) == (2.0, 4.0)


@pytest.mark.parametrize(
    ("probability", "published"), [(0.5, 5.7657), (0.8, 7.8823)], ids=["median", "P80"]
)
def test_pert_ppf_gives_the_published_quantiles(probability: float, published: float) -> None:
    quantile = distributions.ppf(Distribution.PERT, 2, 5, 14, probability)

    assert abs(float(quantile[0]) - published) <= 5e-5


@pytest.mark.parametrize(
    ("probability", "published"), [(0.5, 5.7657), (0.8, 7.8823)], ids=["median", "P80"]
)
def test_pert_draws_fall_below_the_published_quantiles(
    probability: float, published: float
) -> None:
    values = draws(Distribution.PERT, 2, 5, 14)

    share = float(np.mean(values <= published))

    assert abs(share - probability) <= quantile_tolerance(probability)


@pytest.mark.parametrize(
    ("probability", "quantile"), [(0.125, 7.5), (0.5, 10.0), (0.875, 12.5)], ids=str
)
def test_triangular_ppf_is_exact(probability: float, quantile: float) -> None:
    # Below the mode, P(X <= x) = (x - 5)^2 / 50 for Tri(5, 10, 15).
    value = distributions.ppf(Distribution.TRIANGULAR, 5, 10, 15, probability)

    assert value[0] == quantile


@pytest.mark.parametrize(("low", "mode", "high"), [(5, 10, 15), (2, 3, 20), (4, 4, 9)], ids=str)
def test_float32_triangular_draws_follow_the_distribution(
    low: float, mode: float, high: float
) -> None:
    rng = np.random.default_rng(7)
    sampled = distributions.sample(Distribution.TRIANGULAR, [low], [mode], [high], DRAWS, rng)
    values = np.asarray(sampled[:, 0], dtype=np.float64)
    probabilities = [0.05, 0.25, 0.5, 0.75, 0.95]

    quantiles = distributions.ppf(Distribution.TRIANGULAR, low, mode, high, probabilities)

    assert sampled.dtype == np.float32
    assert abs(values.mean() - (low + mode + high) / 3) <= mean_tolerance(values)
    variance = distributions.variance(Distribution.TRIANGULAR, low, mode, high)[0]
    assert abs(values.var() - variance) <= variance_tolerance(values)
    for probability, quantile in zip(probabilities, quantiles, strict=True):
        share = float(np.mean(values <= quantile))
        assert abs(share - probability) <= quantile_tolerance(probability)


def test_normal_uses_pert_mean_and_a_sixth_of_the_range() -> None:
    one_sd = statistics.NormalDist().cdf(1.0)
    values = draws(Distribution.NORMAL, 2, 5, 14)

    quantiles = distributions.ppf(Distribution.NORMAL, 2, 5, 14, [0.5, one_sd])

    assert quantiles[0] == 6.0
    assert quantiles[1] == pytest.approx(8.0, abs=1e-12)
    assert abs(values.mean() - 6.0) <= mean_tolerance(values)
    assert abs(values.var() - 4.0) <= variance_tolerance(values)


def test_lognormal_matches_pert_mean_and_standard_deviation() -> None:
    values = draws(Distribution.LOGNORMAL, 2, 5, 14)

    median = distributions.ppf(Distribution.LOGNORMAL, 2, 5, 14, 0.5)

    # The median of a lognormal is its mean divided by sqrt(1 + cv^2); here cv = 2 / 6.
    assert median[0] == pytest.approx(6.0 / math.sqrt(1 + 1 / 9), abs=1e-12)
    assert abs(values.mean() - 6.0) <= mean_tolerance(values)
    assert abs(values.var() - 4.0) <= variance_tolerance(values)
    assert values.min() > 0.0


def test_uniform_moments_match_the_formulas() -> None:
    values = draws(Distribution.UNIFORM, 2, 5, 14)

    assert abs(values.mean() - 8.0) <= mean_tolerance(values)
    assert abs(values.var() - 12.0) <= variance_tolerance(values)
    assert values.min() >= 2.0
    assert values.max() <= 14.0


@pytest.mark.parametrize("kind", list(Distribution), ids=str)
def test_sample_is_vectorised_over_activities(kind: Distribution) -> None:
    low = np.array([1.0, 10.0, 100.0])
    mode = np.array([2.0, 20.0, 200.0])
    high = np.array([4.0, 40.0, 400.0])
    rng = np.random.default_rng(7)

    values = distributions.sample(kind, low, mode, high, 50_000, rng)

    expected = distributions.mean(kind, low, mode, high)
    spread = np.sqrt(distributions.variance(kind, low, mode, high)) / math.sqrt(50_000)
    assert values.shape == (50_000, 3)
    assert values.dtype == np.float32
    assert values.flags.f_contiguous
    assert np.all(np.abs(values.mean(axis=0) - expected) <= STANDARD_ERRORS * spread)


@pytest.mark.parametrize("kind", list(Distribution), ids=str)
def test_sample_stays_within_the_stated_bounds(kind: Distribution) -> None:
    rng = np.random.default_rng(11)

    values = distributions.sample(kind, [2.0], [5.0], [14.0], 200_000, rng, np.float64)

    lowest = distributions.ppf(kind, 2.0, 5.0, 14.0, 0.0)[0]
    highest = distributions.ppf(kind, 2.0, 5.0, 14.0, 1.0)[0]
    assert values.min() >= lowest
    assert values.max() <= highest


@pytest.mark.parametrize("kind", list(Distribution), ids=str)
def test_degenerate_estimate_gives_a_constant(kind: Distribution) -> None:
    rng = np.random.default_rng(3)

    values = distributions.sample(kind, [8.0], [8.0], [8.0], 1000, rng, np.float64)

    assert np.all(values == 8.0)


def test_validate_rejects_misordered_points() -> None:
    with pytest.raises(SimulationInputError) as caught:
        distributions.validate(Distribution.TRIANGULAR, [1.0, 5.0], [2.0, 4.0], [3.0, 6.0])

    assert caught.value.value == (5.0, 4.0, 6.0)


def test_validate_names_non_finite_points() -> None:
    with pytest.raises(SimulationInputError) as caught:
        distributions.validate(Distribution.PERT, [1.0, 2.0], [2.0, 3.0], [3.0, np.inf])

    assert caught.value.value == (2.0, 3.0, np.inf)
    assert "finite numbers" in str(caught.value)


def test_validate_rejects_lognormal_without_positive_mean() -> None:
    with pytest.raises(SimulationInputError) as caught:
        distributions.validate(Distribution.LOGNORMAL, [-6.0], [0.0], [3.0])

    assert "positive mean" in str(caught.value)


def test_triangular_kernel_steps_sfc64_as_numpy_does() -> None:
    rows = 70  # more than one block of rows on the generic path
    rng = np.random.default_rng(5)
    low = rng.uniform(0, 10, rows)
    mode = low + rng.uniform(0, 5, rows)
    high = mode + rng.uniform(0.1, 5, rows)
    targets = rng.permutation(rows + 3)[:rows]
    inline = np.random.Generator(np.random.SFC64(11))
    reference = np.random.Generator(np.random.SFC64(11))
    drawn = np.zeros((rows + 3, 37), dtype=np.float32)

    distributions.triangular_into(drawn, targets, low, mode, high, inline)

    # The generic path: one word per value from numpy's own SFC64, row after row.
    words = reference.integers(0, 2**64, size=(rows, 37), dtype=np.uint64)
    expected = np.zeros_like(drawn)
    a, m, b = (np.asarray(v, dtype=np.float32) for v in (low, mode, high))
    distributions._triangular_rows(expected, targets, words, (a, b - m, m - a))
    assert np.array_equal(drawn, expected)
    assert inline.random(4).tolist() == reference.random(4).tolist()
