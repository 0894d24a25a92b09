"""Histograms on equal bins fixed before sampling, and the statistics read from them.

Simulation chunks count their outcomes on the same edges, so counts from any number of chunks
add up exactly. A quantile read from the merged counts assumes values spread evenly within
a bin, so it is exact to within one bin width, ``BinEdges.width``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BinEdges:
    """``bins`` equal bins from ``lower`` to ``upper``."""

    lower: float
    upper: float
    bins: int

    @property
    def width(self) -> float:
        return (self.upper - self.lower) / self.bins

    def edge(self, index: int) -> float:
        """Return the lower edge of bin ``index`` (``bins`` gives the upper edge)."""
        return self.lower + index * self.width

    def count(self, values: npt.NDArray[np.floating]) -> IntArray:
        """Count values per bin; values outside the edges go to the first or last bin."""
        scaled = (np.asarray(values, dtype=np.float64) - self.lower) / self.width
        index = np.clip(np.floor(scaled), 0, self.bins - 1).astype(np.int64)
        return np.bincount(index, minlength=self.bins).astype(np.int64)


def bin_edges(lowest: float, highest: float, bins: int) -> BinEdges:
    """Return edges that contain [lowest, highest] with a small margin for float32 rounding."""
    margin = max(1e-4 * max(abs(lowest), abs(highest)), 1e-3 * (highest - lowest), 1e-6)
    return BinEdges(lowest - margin, highest + margin, bins)


@dataclass(frozen=True, slots=True)
class HistogramBin:
    lower: float
    upper: float
    count: int


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts of all iterations on fixed edges, with the smallest and largest value seen."""

    edges: BinEdges
    counts: tuple[int, ...]
    minimum: float
    maximum: float

    @property
    def total(self) -> int:
        return sum(self.counts)

    def quantile(self, probability: float) -> float:
        """Return the value below which ``probability`` of the iterations fall."""
        counts = np.asarray(self.counts, dtype=np.int64)
        cumulative = np.cumsum(counts)
        target = probability * float(cumulative[-1])
        index = int(np.searchsorted(cumulative, target, side="left"))
        index = min(max(index, 0), self.edges.bins - 1)
        before = float(cumulative[index - 1]) if index else 0.0
        inside = float(counts[index])
        fraction = (target - before) / inside if inside else 0.0
        value = self.edges.edge(index) + fraction * self.edges.width
        return min(max(value, self.minimum), self.maximum)

    def probability_at_most(self, value: float) -> float:
        """Return the share of iterations at or below ``value``."""
        if value >= self.maximum:
            return 1.0
        if value < self.minimum:
            return 0.0
        position = (value - self.edges.lower) / self.edges.width
        index = min(max(int(np.floor(position)), 0), self.edges.bins - 1)
        below = float(sum(self.counts[:index]))
        partial = self.counts[index] * min(max(position - index, 0.0), 1.0)
        return (below + partial) / self.total

    def coarse(self, bins: int) -> tuple[HistogramBin, ...]:
        """Return about ``bins`` wider bins over the occupied range, for display."""
        counts = np.asarray(self.counts, dtype=np.int64)
        occupied = np.flatnonzero(counts)
        if occupied.size == 0:
            return ()
        first, last = int(occupied[0]), int(occupied[-1])
        step = max(1, -(-(last - first + 1) // bins))
        result = []
        for start in range(first, last + 1, step):
            stop = min(start + step, self.edges.bins)
            result.append(
                HistogramBin(
                    lower=self.edges.edge(start),
                    upper=self.edges.edge(stop),
                    count=int(counts[start:stop].sum()),
                )
            )
        return tuple(result)
