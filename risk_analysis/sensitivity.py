"""Sensitivity (tornado) ranking: which inputs drive the finish date and the total cost.

Each input is one sampled quantity per iteration: an activity's sampled duration (before
risk impacts), an activity's sampled remaining cost, or a risk's realised impact. A realised
impact is zero when the risk does not occur; the finish ranking uses its duration impact,
the cost ranking its cost impact. An
input's coefficient is its Spearman rank correlation with the project finish or the total
cost, the Pearson correlation of ranks, with tied values sharing their mean rank.

The ranking covers a bounded sample: chunk ``i`` of ``size`` iterations ranks its first
``min(size, max(0, budget - i * size))`` iterations, so with chunks of equal size about the
first ``budget`` iterations count (20,000 unless the model says otherwise), and ranking
costs nothing beyond them. Each chunk weights its coefficients by the count it ranked.
Weighted sums are kept as integers in units of 2^-32, so chunks add exactly and merging in
any order or grouping gives the same ranking.
The merged coefficient is the iteration-weighted mean of the chunks' coefficients, which
estimates the same population rank correlation as one ranking of all iterations would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Fixed-point scale of the weighted sums; 2^31 iterations at coefficient 1 still fit int64.
SCALE = float(2**32)
DEFAULT_TOP_DRIVERS = 10
# Iterations ranked in all. On sp10, ranking a chunk cost about half as much as scheduling it.
DEFAULT_SENSITIVITY_ITERATIONS = 20_000
MINIMUM_ITERATIONS = 3
# Rows longer than 2^12 values rank with argsort, so a 32-bit key has at least 2^19 buckets.
_MAX_POSITION_BITS = 12


class InputLabel(NamedTuple):
    """One input: ``kind`` is activity_duration, activity_cost or risk.

    A named tuple rather than a dataclass: a model carries thousands of labels to every
    simulation task, and tuples unpickle several times faster.
    """

    kind: str
    item_id: str
    code: str
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class SensitivityInputs:
    """What a chunk ranks, and the labels of the finish and cost inputs in order.

    Finish inputs are the durations at ``duration_positions``, then the risks in
    ``duration_risks``. Cost inputs are the cost items ``cost_items``, the same durations,
    then the risks in ``cost_risks``.
    """

    duration_positions: IntArray
    duration_risks: IntArray
    cost_items: IntArray
    cost_risks: IntArray
    finish_labels: tuple[InputLabel, ...]
    cost_labels: tuple[InputLabel, ...]


@dataclass(frozen=True, slots=True, eq=False)
class SensitivitySums:
    """Iteration-weighted coefficient sums of one or more chunks, in units of 1 / SCALE."""

    iterations: int
    finish: IntArray
    cost: IntArray

    def __add__(self, other: SensitivitySums) -> SensitivitySums:
        return SensitivitySums(
            self.iterations + other.iterations, self.finish + other.finish, self.cost + other.cost
        )


@dataclass(frozen=True, slots=True)
class Driver:
    """An input with its rank correlation with the finish or the cost."""

    kind: str
    item_id: str
    code: str
    name: str
    coefficient: float

    def as_dict(self) -> dict[str, object]:
        """Return the driver as JSON-ready values."""
        return {
            "kind": self.kind,
            "id": self.item_id,
            "code": self.code,
            "name": self.name,
            "coefficient": self.coefficient,
        }


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """The strongest drivers of finish and cost, largest absolute coefficient first."""

    iterations: int
    finish: tuple[Driver, ...]
    cost: tuple[Driver, ...]


def chunk_sums(
    inputs: SensitivityInputs,
    durations: npt.NDArray[np.floating],
    finish_risks: npt.NDArray[np.floating],
    cost_parts: tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]],
    outputs: tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]],
) -> SensitivitySums:
    """Rank one chunk's inputs (inputs x iterations) against its finish and cost outputs.

    ``durations`` are the sampled durations at ``inputs.duration_positions``,
    ``finish_risks`` the realised duration impacts of ``inputs.duration_risks``, and
    ``cost_parts`` the sampled cost items and the realised cost impacts of the cost risks.
    """
    count = outputs[0].size
    if count < MINIMUM_ITERATIONS:
        return empty_sums(inputs)
    finish_output = centred_ranks(outputs[0][None, :])[0]
    cost_output = centred_ranks(outputs[1][None, :])[0]
    both = np.stack((finish_output, cost_output)).astype(np.float64)
    # Sampled durations and costs are continuous; risk impacts are zero in many iterations.
    by_duration = untied_correlations(durations, both)
    finish = np.concatenate(
        (by_duration[0], _correlations(centred_ranks(finish_risks), finish_output))
    )
    cost = np.concatenate(
        (
            untied_correlations(cost_parts[0], both[1:])[0],
            by_duration[1],
            _correlations(centred_ranks(cost_parts[1]), cost_output),
        )
    )
    return SensitivitySums(count, _scaled(finish, count), _scaled(cost, count))


def ranked_iterations(budget: int, chunk_index: int, size: int) -> int:
    """Return how many leading iterations of chunk ``chunk_index`` the ranking covers."""
    return min(size, max(0, budget - chunk_index * size))


def _scaled(coefficients: FloatArray, count: int) -> IntArray:
    return np.rint(coefficients * count * SCALE).astype(np.int64)


def centred_ranks(values: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    """Return each row's ranks minus their mean; tied values share their mean rank."""
    rows, count = values.shape
    order = np.argsort(values, axis=1)
    shared = _shared_ranks(np.take_along_axis(values, order, axis=1)) - (count - 1) / 2.0
    # Centred ranks are multiples of 0.5 below 2^23, exact in float32.
    ranks = np.empty((rows, count), dtype=np.float32)
    np.put_along_axis(ranks, order, shared, axis=1)
    return ranks


def _shared_ranks(ordered: npt.NDArray[np.floating]) -> FloatArray:
    """Return, for rows sorted ascending, each position's mean rank within its tie group."""
    rows, count = ordered.shape
    positions = np.broadcast_to(np.arange(count), (rows, count))
    starts_group = np.ones((rows, count), dtype=np.bool_)
    starts_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends_group = np.ones((rows, count), dtype=np.bool_)
    ends_group[:, :-1] = starts_group[:, 1:]
    first = np.maximum.accumulate(np.where(starts_group, positions, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends_group, positions, count - 1)[:, ::-1], axis=1)
    return np.asarray((first + last[:, ::-1]) / 2.0, dtype=np.float64)


def untied_correlations(
    values: npt.NDArray[np.floating], outputs: npt.NDArray[np.float64]
) -> FloatArray:
    """Return the rank correlation of each row of ``values`` with each row of ``outputs``.

    ``outputs`` hold centred ranks (outputs x iterations), and the result is outputs x
    rows. Ties among ``values`` are broken by position, which is exact for continuous
    draws. Each output is read in the order of the values and weighted by the centred rank.
    """
    rows, count = values.shape
    result = np.zeros((outputs.shape[0], rows), dtype=np.float64)
    if rows == 0 or count < MINIMUM_ITERATIONS:
        return result
    shared = np.arange(count, dtype=np.float64) - (count - 1) / 2.0
    # The kernel takes two outputs; a single one is paired with zeros.
    pair = np.zeros((count, 2), dtype=np.float64)
    pair[:, : outputs.shape[0]] = outputs.T
    products = np.empty((2, rows), dtype=np.float64)
    _rank_products(_orders(values), pair, shared, products)
    result[:] = products[: outputs.shape[0]]
    norms = np.sqrt(float(np.dot(shared, shared)) * np.einsum("ij,ij->i", outputs, outputs))
    scale = norms[:, None]
    return np.asarray(np.divide(result, scale, out=np.zeros_like(result), where=scale > 0.0))


def _orders(values: npt.NDArray[np.floating]) -> npt.NDArray[np.integer]:
    """Return the positions of each row's values in ascending order, ties by position.

    Float32 rows of up to 2^12 values sort as 32-bit keys: the value's bucket in the row's
    range above its position. numpy sorts those about three times as fast as 64-bit keys
    and much faster than argsort orders the values. Values that share a bucket form runs
    that ``_settle`` reorders by their full bits.
    """
    count = values.shape[1]
    position_bits = max(1, (count - 1).bit_length())
    if values.dtype != np.float32 or position_bits > _MAX_POSITION_BITS:
        # numpy's stable argsort of float64 rows took three times as long as its quicksort
        # and putting the few ties in order afterwards.
        order = np.argsort(values, axis=1)
        _order_ties(order, np.ascontiguousarray(values))
        return order
    single = np.ascontiguousarray(values)
    keys = _short_keys(single, single.min(axis=1), single.max(axis=1), position_bits)
    keys.sort(axis=1)
    _settle(keys, single, position_bits)
    keys &= np.int32((1 << position_bits) - 1)
    return keys


@numba.njit(cache=True, nogil=True, inline="always")
def _order_bits(value: np.float32) -> np.uint32:
    """Return bits whose unsigned order is the order of the float values.

    Flipping the sign bit of a non-negative float and every bit of a negative one does it.
    Adding zero first turns -0.0 into 0.0, so the two compare equal as they do in numpy.
    """
    pattern = np.float32(value + np.float32(0.0)).view(np.uint32)
    flip = np.uint32(0xFFFFFFFF) if pattern >> np.uint32(31) else np.uint32(0x80000000)
    return pattern ^ flip


@numba.njit(cache=True, nogil=True)
def _short_keys(
    values: npt.NDArray[np.float32],
    lows: npt.NDArray[np.float32],
    highs: npt.NDArray[np.float32],
    position_bits: int,
) -> npt.NDArray[np.int32]:
    """Return each value's bucket in its row's range, with its position in the low bits.

    Row ``i`` runs from ``lows[i]`` to ``highs[i]`` and splits into equal buckets, at most
    2^23 so that bucket numbers are exact in float32, and few enough that a key stays
    positive. Rounding never reverses an order, so the bucket never decreases as the value
    grows, and few values share one.
    """
    rows, count = values.shape
    keys = np.empty((rows, count), dtype=np.int32)
    top = np.float32((1 << min(31 - position_bits, 23)) - 1)
    for i in range(rows):
        row, out, smallest = values[i], keys[i], lows[i]
        span = highs[i] - smallest
        scale = top / span if span > np.float32(0.0) else np.float32(0.0)
        if not np.isfinite(scale):  # a range too wide or too narrow to split
            scale = np.float32(0.0)
        for j in range(count):
            bucket = (row[j] - smallest) * scale
            bucket = bucket if bucket < top else top
            out[j] = (np.int32(bucket) << position_bits) | j
    return keys


@numba.njit(cache=True, nogil=True)
def _settle(
    keys: npt.NDArray[np.int32], values: npt.NDArray[np.float32], position_bits: int
) -> None:
    """Reorder each run of sorted keys that share a bucket by full value, then position.

    Each key whose kept bits equal its predecessor's moves back past the keys of its run
    that belong after it, an insertion sort that only runs where keys collide.
    """
    low = np.int32(position_bits)
    mask = np.int32((1 << position_bits) - 1)
    for i in range(keys.shape[0]):
        row = keys[i]
        shared = False
        for k in range(1, keys.shape[1]):
            shared |= (row[k] >> low) == (row[k - 1] >> low)
        if not shared:
            continue
        for k in range(1, keys.shape[1]):
            key = row[k]
            if (key >> low) != (row[k - 1] >> low):  # a new bucket: nothing to move
                continue
            full = _order_bits(values[i, key & mask])
            m = k - 1
            while m >= 0 and (row[m] >> low) == (key >> low):
                other = _order_bits(values[i, row[m] & mask])
                if other < full or (other == full and (row[m] & mask) < (key & mask)):
                    break
                row[m + 1] = row[m]
                m -= 1
            row[m + 1] = key


@numba.njit(cache=True, nogil=True)
def _order_ties(orders: npt.NDArray[np.int64], values: npt.NDArray[np.floating]) -> None:
    """Sort the positions within each run of equal values (NaN equal to NaN) ascending.

    After argsort's quicksort, which leaves equal values in any order, this gives the order
    of a stable sort.
    """
    count = orders.shape[1]
    for i in range(orders.shape[0]):
        row, source = orders[i], values[i]
        start = 0
        while start < count:
            first = source[row[start]]
            end = start + 1
            while end < count and (
                source[row[end]] == first or (np.isnan(first) and np.isnan(source[row[end]]))
            ):
                end += 1
            if end - start > 1:
                row[start:end].sort()
            start = end


@numba.njit(cache=True, nogil=True)
def _rank_products(
    orders: npt.NDArray[np.integer],
    outputs: npt.NDArray[np.float64],
    shared: npt.NDArray[np.float64],
    result: npt.NDArray[np.float64],
) -> None:
    """Add up, per row, each centred rank times the two outputs at that position.

    ``outputs`` is iterations x 2, so one iteration's outputs share a cache line. Centred
    ranks are multiples of one half and their products stay far below 2^50, so every sum
    is exact in float64 whatever the order; splitting each into even and odd positions
    gives the same bits and lets the two additions overlap.
    """
    count = orders.shape[1]
    paired = count - count % 2
    for i in range(orders.shape[0]):
        row = orders[i]
        first_even = first_odd = second_even = second_odd = 0.0
        for k in range(0, paired, 2):
            even, odd = np.int64(row[k]), np.int64(row[k + 1])
            first_even += shared[k] * outputs[even, 0]
            second_even += shared[k] * outputs[even, 1]
            first_odd += shared[k + 1] * outputs[odd, 0]
            second_odd += shared[k + 1] * outputs[odd, 1]
        if paired < count:
            last = np.int64(row[paired])
            first_even += shared[paired] * outputs[last, 0]
            second_even += shared[paired] * outputs[last, 1]
        result[0, i] = first_even + first_odd
        result[1, i] = second_even + second_odd


def _correlations(ranks: npt.NDArray[np.float32], output: npt.NDArray[np.float32]) -> FloatArray:
    """Return the Pearson correlation of each row of centred ranks with centred ``output``."""
    if ranks.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    squares = np.einsum("ij,ij->i", ranks, ranks, dtype=np.float64)
    norms = np.sqrt(squares * float(np.dot(output, output)))
    products = np.asarray(ranks @ output, dtype=np.float64)
    correlations = np.divide(products, norms, out=np.zeros_like(products), where=norms > 0.0)
    return np.asarray(correlations, dtype=np.float64)


def empty_sums(inputs: SensitivityInputs) -> SensitivitySums:
    """Return sums of no iterations."""
    return SensitivitySums(
        0,
        np.zeros(len(inputs.finish_labels), dtype=np.int64),
        np.zeros(len(inputs.cost_labels), dtype=np.int64),
    )


def rank_drivers(inputs: SensitivityInputs, sums: SensitivitySums, top: int) -> Sensitivity:
    """Return the ``top`` drivers of finish and cost from merged sums."""
    return Sensitivity(
        iterations=sums.iterations,
        finish=_top(inputs.finish_labels, sums.finish, sums.iterations, top),
        cost=_top(inputs.cost_labels, sums.cost, sums.iterations, top),
    )


def _top(
    labels: Sequence[InputLabel], sums: IntArray, iterations: int, top: int
) -> tuple[Driver, ...]:
    if iterations == 0 or not labels:
        return ()
    coefficients = sums.astype(np.float64) / (SCALE * iterations)
    order = np.lexsort((np.arange(coefficients.size), -np.abs(coefficients)))[:top]
    return tuple(
        Driver(
            labels[i].kind, labels[i].item_id, labels[i].code, labels[i].name,
            round(float(coefficients[i]), 6),
        )
        for i in order
        if coefficients[i] != 0.0
    )  # fmt: skip
