from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from risk_analysis.histogram import BinEdges, Histogram, bin_edges


def test_bin_edges_count_values_per_bin() -> None:
    edges = BinEdges(0.0, 10.0, 10)

    counts = edges.count(np.array([0.0, 0.5, 1.0, 9.99, 10.0, -3.0, 12.0], dtype=np.float32))

    # Values outside the edges land in the first and last bins.
    assert counts.tolist() == [3, 1, 0, 0, 0, 0, 0, 0, 0, 3]


def test_bin_edges_leave_a_margin_around_the_range() -> None:
    edges = bin_edges(100.0, 200.0, 1000)

    assert edges.lower < 100.0
    assert edges.upper > 200.0
    assert edges.width == pytest.approx((edges.upper - edges.lower) / 1000)


def test_histogram_quantile_interpolates_within_a_bin() -> None:
    # Four values in each of the bins [0, 1), [1, 2) and [2, 3), none above.
    histogram = Histogram(BinEdges(0.0, 4.0, 4), (4, 4, 4, 0), minimum=0.1, maximum=2.9)

    assert histogram.quantile(0.5) == pytest.approx(1.5)
    assert histogram.quantile(0.25) == pytest.approx(0.75)
    assert histogram.quantile(0.999) == pytest.approx(2.9)


def test_histogram_quantile_stays_within_observed_values() -> None:
    histogram = Histogram(BinEdges(0.0, 10.0, 1), (5,), minimum=4.0, maximum=6.0)

    assert histogram.quantile(0.01) == 4.0
    assert histogram.quantile(0.99) == 6.0


def test_histogram_probability_at_most() -> None:
    histogram = Histogram(BinEdges(0.0, 4.0, 4), (4, 4, 4, 0), minimum=0.1, maximum=2.9)

    assert histogram.probability_at_most(1.0) == pytest.approx(1 / 3)
    assert histogram.probability_at_most(1.5) == pytest.approx(0.5)
    assert histogram.probability_at_most(0.0) == 0.0
    assert histogram.probability_at_most(3.5) == 1.0


def test_histogram_coarse_bins_keep_every_count() -> None:
    counts = tuple(int(c) for c in np.random.default_rng(1).integers(0, 5, size=1000))
    histogram = Histogram(BinEdges(0.0, 100.0, 1000), counts, minimum=0.0, maximum=100.0)

    coarse = histogram.coarse(40)

    assert sum(b.count for b in coarse) == sum(counts)
    assert len(coarse) <= 40
    assert all(a.upper == b.lower for a, b in pairwise(coarse))
