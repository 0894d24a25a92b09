from __future__ import annotations

import statistics
from math import comb

import numpy as np
import pytest

from risk_analysis.special import beta_cdf, beta_ppf, normal_ppf


def test_normal_ppf_matches_the_standard_library() -> None:
    probabilities = np.concatenate(
        (np.linspace(1e-12, 1 - 1e-12, 20_001), [1e-300, 1e-20, 1e-10, 0.02425, 0.075, 0.5])
    )
    expected = [statistics.NormalDist().inv_cdf(float(p)) for p in probabilities]

    quantiles = normal_ppf(probabilities)

    assert np.max(np.abs(quantiles - expected)) <= 1e-14


def test_normal_ppf_of_zero_and_one_is_infinite() -> None:
    quantiles = normal_ppf([0.0, 1.0])

    assert quantiles.tolist() == [-np.inf, np.inf]


@pytest.mark.parametrize(("alpha", "beta"), [(1, 5), (2, 4), (3, 3), (5, 1)], ids=str)
def test_beta_cdf_matches_the_binomial_sum(alpha: int, beta: int) -> None:
    # For whole shapes, I_x(a, b) is the chance of at least a successes in a + b - 1 trials.
    x = np.linspace(0.0, 1.0, 1001)
    trials = alpha + beta - 1
    expected = sum(
        comb(trials, j) * x**j * (1 - x) ** (trials - j) for j in range(alpha, trials + 1)
    )

    values = beta_cdf(x, alpha, beta)

    assert np.max(np.abs(values - expected)) <= 1e-14


@pytest.mark.parametrize(
    ("alpha", "beta"), [(1.0, 5.0), (1.3, 4.7), (4.9, 1.1), (2.5, 3.5)], ids=str
)
def test_beta_ppf_inverts_beta_cdf(alpha: float, beta: float) -> None:
    # Beta-PERT shapes lie between 1 and 5, where the density stays finite.
    probabilities = np.linspace(0.0, 1.0, 2001)

    quantiles = beta_ppf(probabilities, alpha, beta)

    assert np.max(np.abs(beta_cdf(quantiles, alpha, beta) - probabilities)) <= 1e-14
    assert np.all(np.diff(quantiles) >= 0.0)


def test_beta_ppf_broadcasts_per_activity_shapes() -> None:
    probabilities = np.full((3, 2), 0.5)

    quantiles = beta_ppf(probabilities, np.array([1.0, 5.0]), np.array([5.0, 1.0]))

    # Beta(1, 5) has median 1 - 0.5 ** (1 / 5); Beta(5, 1) has median 0.5 ** (1 / 5).
    assert quantiles.shape == (3, 2)
    assert np.allclose(quantiles, [1 - 0.5**0.2, 0.5**0.2], rtol=0, atol=1e-15)
