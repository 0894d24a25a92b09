"""Three-point distributions: moments, sampling and quantile functions, vectorised per activity.

Each function takes arrays ``low``, ``mode`` and ``high`` (optimistic, most likely,
pessimistic), one entry per activity, and handles all activities of one distribution kind
in one call.

- Triangular(low, mode, high) and uniform(low, high) as usual.
- Beta-PERT: a beta distribution on [low, high] with alpha = 1 + 4 (mode - low) / (high - low)
  and beta = 6 - alpha, so its mean is (low + 4 mode + high) / 6.
- Normal: mean (low + 4 mode + high) / 6 and standard deviation (high - low) / 6, the PERT
  figures, so the three points sit about three standard deviations either side.
- Lognormal: the lognormal with that same mean and standard deviation; the mean must be
  positive.

Normal and lognormal values are cut at 6 standard normal deviations either side (a share of
about 2e-9 of draws), so every kind has finite bounds and histogram edges fixed before
sampling hold.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from risk_analysis.errors import SimulationInputError
from risk_analysis.special import beta_ppf, normal_ppf
from schedules.model import Distribution

FloatArray = npt.NDArray[np.float64]
FloatRows = npt.NDArray[np.floating]
Z_LIMIT = 6.0
# Rows of triangular draws computed together: small enough for the temporaries to stay in
# cache at a thousand iterations.
_BLOCK_ROWS = 64
# Triangular parameters per row: low, falling (high - mode) and rising (mode - low).
_Parameters = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]


def _arrays(
    low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    a, m, b = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (low, mode, high))
    return a, m, b


def validate(
    kind: Distribution, low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> None:
    """Raise SimulationInputError unless finite low <= mode <= high (lognormal: mean > 0)."""
    a, m, b = _arrays(low, mode, high)
    not_finite = np.flatnonzero(~(np.isfinite(a) & np.isfinite(m) & np.isfinite(b)))
    if not_finite.size:
        i = int(not_finite[0])
        raise SimulationInputError(
            "three-point values must be finite numbers",
            "estimate",
            (float(a[i]), float(m[i]), float(b[i])),
        )
    bad = np.flatnonzero((a > m) | (m > b))
    if bad.size:
        i = int(bad[0])
        raise SimulationInputError(
            "a three-point estimate needs optimistic <= most likely <= pessimistic; "
            "reorder the values",
            "estimate",
            (float(a[i]), float(m[i]), float(b[i])),
        )
    if kind is Distribution.LOGNORMAL:
        means = (a + 4.0 * m + b) / 6.0
        bad = np.flatnonzero(means <= 0.0)
        if bad.size:
            i = int(bad[0])
            raise SimulationInputError(
                "a lognormal estimate needs a positive mean (low + 4 mode + high) / 6; "
                "use a normal or triangular distribution for this value",
                "estimate",
                (float(a[i]), float(m[i]), float(b[i])),
            )


def pert_shape(
    low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Return the beta shape parameters (alpha, beta) of Beta-PERT; 3, 3 where low == high."""
    a, m, b = _arrays(low, mode, high)
    span = b - a
    alpha = 1.0 + 4.0 * np.divide(m - a, span, out=np.full_like(span, 0.5), where=span > 0)
    return alpha, 6.0 - alpha


def _lognormal_parameters(
    a: FloatArray, m: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    mean = (a + 4.0 * m + b) / 6.0
    sigma_squared = np.log1p(((b - a) / 6.0 / mean) ** 2)
    return np.log(mean) - sigma_squared / 2.0, np.sqrt(sigma_squared)


def mean(
    kind: Distribution, low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> FloatArray:
    """Return the mean of each distribution (normal and lognormal before the 6-sd cut)."""
    a, m, b = _arrays(low, mode, high)
    if kind is Distribution.TRIANGULAR:
        return (a + m + b) / 3.0
    if kind is Distribution.UNIFORM:
        return (a + b) / 2.0
    return (a + 4.0 * m + b) / 6.0


def variance(
    kind: Distribution, low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> FloatArray:
    """Return the variance of each distribution (normal and lognormal before the 6-sd cut)."""
    a, m, b = _arrays(low, mode, high)
    if kind is Distribution.TRIANGULAR:
        return (a * a + m * m + b * b - a * m - a * b - m * b) / 18.0
    if kind is Distribution.UNIFORM:
        return (b - a) ** 2 / 12.0
    if kind is Distribution.PERT:
        alpha, beta = pert_shape(a, m, b)
        return alpha * beta * (b - a) ** 2 / 252.0  # (alpha + beta)^2 (alpha + beta + 1) = 252
    return ((b - a) / 6.0) ** 2


def ppf(
    kind: Distribution,
    low: npt.ArrayLike,
    mode: npt.ArrayLike,
    high: npt.ArrayLike,
    probabilities: npt.ArrayLike,
) -> FloatArray:
    """Return quantiles; ``probabilities`` broadcasts against the per-activity parameters.

    A 2-D array of probabilities (iterations x activities) gives one value per cell, which
    is how a copula feeds correlated uniforms in.
    """
    a, m, b = _arrays(low, mode, high)
    u = np.asarray(probabilities, dtype=np.float64)
    if np.any((u < 0.0) | (u > 1.0)):
        raise SimulationInputError(
            "probabilities must lie in [0, 1]", "probabilities", "out of range"
        )
    if kind is Distribution.TRIANGULAR:
        return _triangular_ppf(a, m, b, u)
    if kind is Distribution.UNIFORM:
        return np.asarray(a + (b - a) * u, dtype=np.float64)
    if kind is Distribution.PERT:
        alpha, beta = pert_shape(a, m, b)
        return np.asarray(a + (b - a) * beta_ppf(u, alpha, beta), dtype=np.float64)
    z = np.clip(normal_ppf(u), -Z_LIMIT, Z_LIMIT)
    if kind is Distribution.NORMAL:
        return np.asarray((a + 4.0 * m + b) / 6.0 + (b - a) / 6.0 * z, dtype=np.float64)
    location, scale = _lognormal_parameters(a, m, b)
    return np.asarray(np.where(a == b, a, np.exp(location + scale * z)), dtype=np.float64)


def _triangular_ppf(a: FloatArray, m: FloatArray, b: FloatArray, u: FloatArray) -> FloatArray:
    span = b - a
    split = np.divide(m - a, span, out=np.zeros_like(span), where=span > 0)
    rising = a + np.sqrt(u * span * (m - a))
    falling = b - np.sqrt((1.0 - u) * span * (b - m))
    return np.asarray(np.where(u < split, rising, falling), dtype=np.float64)


def sample(
    kind: Distribution,
    low: npt.ArrayLike,
    mode: npt.ArrayLike,
    high: npt.ArrayLike,
    size: int,
    rng: np.random.Generator,
    dtype: type[np.floating] = np.float32,
) -> npt.NDArray[np.floating]:
    """Draw ``size`` values per activity; the result is (size x activities), column-major.

    Column-major means the transpose is activity-major and contiguous, the layout the CPM
    kernels read without copying.
    """
    a, m, b = (np.asarray(v, dtype=dtype)[:, None] for v in _arrays(low, mode, high))
    shape = (a.shape[0], size)
    if kind is Distribution.TRIANGULAR:
        values = _triangular_draws(a, m, b, size, rng, dtype)
    elif kind is Distribution.UNIFORM:
        values = a + (b - a) * rng.random(shape, dtype=dtype)
    elif kind is Distribution.PERT:
        values = _pert_draws(a, m, b, size, rng, dtype)
    else:
        z = np.clip(rng.standard_normal(shape, dtype=dtype), -Z_LIMIT, Z_LIMIT)
        if kind is Distribution.NORMAL:
            values = (a + 4 * m + b) / 6 + (b - a) / 6 * z
        else:
            location, scale = _lognormal_parameters(a, m, b)
            values = np.exp(location + scale * z)
    values = np.asarray(values, dtype=dtype)
    fixed = a == b
    if fixed.any():
        np.copyto(values, np.broadcast_to(a, shape), where=fixed)
    return values.T


def _triangular_draws(
    a: npt.NDArray[np.floating],
    m: npt.NDArray[np.floating],
    b: npt.NDArray[np.floating],
    size: int,
    rng: np.random.Generator,
    dtype: type[np.floating],
) -> npt.NDArray[np.floating]:
    """Draw triangular values as a + (b - m) min(U, V) + (m - a) max(U, V).

    For uniforms U and V and c = (m - a) / (b - a), c max + (1 - c) min has the CDF
    x^2 / c below c (twice the area of {c m' + (1 - c) n <= x, n <= m'}, which is
    x^2 / (2 c)) and the mirror image above, so it is Triangular(0, c, 1); this needs no
    square root. Float32 draws take U and V from the two halves of one random word, which
    costs half as much as two float32 uniforms. Blocks of rows keep the temporaries in cache.
    """
    values = np.empty((a.shape[0], size), dtype=dtype)
    if dtype is np.float32:
        every_row = np.arange(a.shape[0], dtype=np.int64)
        triangular_into(values, every_row, a[:, 0], m[:, 0], b[:, 0], rng)
        return values
    falling, rising = (b - m)[:, 0], (m - a)[:, 0]
    for first in range(0, a.shape[0], _BLOCK_ROWS):
        rows = slice(first, first + _BLOCK_ROWS)
        u, v = rng.random(values[rows].shape), rng.random(values[rows].shape)
        values[rows] = (
            np.minimum(u, v) * falling[rows, None] + np.maximum(u, v) * rising[rows, None]
        )
        values[rows] += a[rows]
    return values


def triangular_into(
    values: npt.NDArray[np.float32],
    targets: npt.NDArray[np.int64],
    low: npt.ArrayLike,
    mode: npt.ArrayLike,
    high: npt.ArrayLike,
    rng: np.random.Generator,
) -> None:
    """Draw float32 triangular values straight into rows ``targets`` of ``values``.

    The same draws as ``sample(TRIANGULAR, ...)`` gives in float32, without the copy. Each
    value takes one 64-bit word of the generator's raw stream, row after row. With an SFC64
    generator the kernel produces those words itself, which is about four times as fast as
    asking numpy for them, and leaves the generator where numpy would have left it.
    """
    a, m, b = (np.asarray(v, dtype=np.float32) for v in _arrays(low, mode, high))
    parameters: _Parameters = (a, b - m, m - a)
    generator = rng.bit_generator
    if isinstance(generator, np.random.SFC64):
        state = generator.state
        words = np.array(state["state"]["state"], dtype=np.uint64)
        _sfc64_triangular_rows(values, targets, words, parameters)
        state["state"]["state"] = words
        generator.state = state
        return
    for first in range(0, a.size, _BLOCK_ROWS):
        rows = slice(first, first + _BLOCK_ROWS)
        shape = (a[rows].size, values.shape[1])
        words = rng.integers(0, 2**64, size=shape, dtype=np.uint64, endpoint=False)
        low, falling, rising = (p[rows] for p in parameters)
        _triangular_rows(values, targets[rows], words, (low, falling, rising))


@numba.njit(cache=True, nogil=True, inline="always")
def _triangular_value(
    word: np.uint64, low: np.float32, falling: np.float32, rising: np.float32
) -> np.float32:
    """Return low + falling min(U, V) + rising max(U, V), summed in that order.

    U and V are the top 24 bits of the low and the high half of the word, times 2^-24, the
    float32 uniforms Generator.random would make from those halves.
    """
    scale = np.float32(2.0**-24)
    # Both fit in 24 bits, so the int32 casts are exact and convert in one instruction.
    u = np.float32(np.int32((word & np.uint64(0xFFFFFFFF)) >> np.uint64(8))) * scale
    v = np.float32(np.int32(word >> np.uint64(40))) * scale
    return (min(u, v) * falling + max(u, v) * rising) + low


@numba.njit(cache=True, nogil=True)
def _triangular_rows(
    values: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64],
    words: npt.NDArray[np.uint64],
    parameters: _Parameters,
) -> None:
    """Write the draw of ``words[i, j]`` for parameter row ``i`` to ``values[rows[i], j]``."""
    low, falling, rising = parameters
    for i in range(rows.size):
        target = values[rows[i]]
        for j in range(values.shape[1]):
            target[j] = _triangular_value(words[i, j], low[i], falling[i], rising[i])


@numba.njit(cache=True, nogil=True)
def _sfc64_triangular_rows(
    values: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64],
    state: npt.NDArray[np.uint64],
    parameters: _Parameters,
) -> None:
    """Like _triangular_rows, with the words drawn from the SFC64 ``state``, updated in place.

    SFC64 (Chris Doty-Humphrey's small fast counting generator, as numpy implements it)
    keeps three words and a counter; each step returns a + b + counter.
    """
    low, falling, rising = parameters
    a, b, c, counter = state[0], state[1], state[2], state[3]
    for i in range(rows.size):
        target = values[rows[i]]
        for j in range(values.shape[1]):
            word = a + b + counter
            counter += np.uint64(1)
            a = b ^ (b >> np.uint64(11))
            b = c + (c << np.uint64(3))
            c = ((c << np.uint64(24)) | (c >> np.uint64(40))) + word
            target[j] = _triangular_value(word, low[i], falling[i], rising[i])
    state[0], state[1], state[2], state[3] = a, b, c, counter


def _pert_draws(
    a: npt.NDArray[np.floating],
    m: npt.NDArray[np.floating],
    b: npt.NDArray[np.floating],
    size: int,
    rng: np.random.Generator,
    dtype: type[np.floating],
) -> npt.NDArray[np.floating]:
    # A beta variable is G1 / (G1 + G2) for gamma variables with shapes alpha and beta.
    alpha, beta = pert_shape(a[:, 0], m[:, 0], b[:, 0])
    shape = (a.shape[0], size)
    first = rng.standard_gamma(np.broadcast_to(alpha.astype(dtype)[:, None], shape), dtype=dtype)
    second = rng.standard_gamma(np.broadcast_to(beta.astype(dtype)[:, None], shape), dtype=dtype)
    second += first
    np.divide(first, second, out=first)
    return np.asarray(a + (b - a) * first, dtype=dtype)
