"""Special functions in plain numpy: the normal quantile and the regularised incomplete beta.

The package depends on numpy only, so these few functions are written here instead of
taken from a scientific library.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Wichura's algorithm AS 241 (PPND16, Applied Statistics 37, 1988), accurate to about 1e-16;
# coefficients as CPython's statistics module carries them, highest power first.
_CENTRAL_NUMERATOR = (
    2509.0809287301226727, 33430.575583588128105, 67265.770927008700853,
    45921.953931549871457, 13731.693765509461125, 1971.5909503065514427,
    133.14166789178437745, 3.387132872796366608,
)  # fmt: skip
_CENTRAL_DENOMINATOR = (
    5226.495278852854561, 28729.085735721942674, 39307.89580009271061,
    21213.794301586595867, 5394.1960214247511077, 687.1870074920579083,
    42.313330701600911252, 1.0,
)  # fmt: skip
_NEAR_NUMERATOR = (
    7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177,
    1.27045825245236838258, 3.64784832476320460504, 5.7694972214606914055,
    4.6303378461565452959, 1.42343711074968357734,
)  # fmt: skip
_NEAR_DENOMINATOR = (
    1.05075007164441684324e-9, 5.475938084995344946e-4, 0.0151986665636164571966,
    0.14810397642748007459, 0.68976733498510000455, 1.6763848301838038494,
    2.05319162663775882187, 1.0,
)  # fmt: skip
_FAR_NUMERATOR = (
    2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386,
    0.026532189526576123093, 0.29656057182850489123, 1.7848265399172913358,
    5.4637849111641143699, 6.6579046435011037772,
)  # fmt: skip
_FAR_DENOMINATOR = (
    2.04426310338993978564e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5,
    7.868691311456132591e-4, 0.0148753612908506148525, 0.13692988092273580531,
    0.59983220655588793769, 1.0,
)  # fmt: skip

_TINY = 1e-300
_EPSILON = 1e-15
_MAX_TERMS = 500
_BISECTIONS = 8
_NEWTON_STEPS = 60


def normal_ppf(probabilities: npt.ArrayLike) -> FloatArray:
    """Return standard normal quantiles; 0 and 1 give -inf and +inf."""
    p = np.asarray(probabilities, dtype=np.float64)
    q = p - 0.5
    central = np.abs(q) <= 0.425
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 0.180625 - q * q
        z_central = q * np.polyval(_CENTRAL_NUMERATOR, r) / np.polyval(_CENTRAL_DENOMINATOR, r)
        tail = np.sqrt(-np.log(np.where(q < 0.0, p, 1.0 - p)))
        near = np.polyval(_NEAR_NUMERATOR, tail - 1.6) / np.polyval(_NEAR_DENOMINATOR, tail - 1.6)
        far = np.polyval(_FAR_NUMERATOR, tail - 5.0) / np.polyval(_FAR_DENOMINATOR, tail - 5.0)
        z_tail = np.where(tail <= 5.0, near, far)
        z_tail = np.where(np.isinf(tail), np.inf, z_tail)
    z = np.where(central, z_central, np.where(q < 0.0, -z_tail, z_tail))
    return np.asarray(z, dtype=np.float64)


def log_beta(alpha: npt.ArrayLike, beta: npt.ArrayLike) -> FloatArray:
    """Return ln B(alpha, beta) elementwise (one Python call per element: keep inputs small)."""
    a, b = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(beta, np.float64))
    values = [
        math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)
        for x, y in zip(a.ravel(), b.ravel(), strict=True)
    ]
    return np.array(values, dtype=np.float64).reshape(a.shape)


def beta_cdf(
    x: npt.ArrayLike, alpha: npt.ArrayLike, beta: npt.ArrayLike, *, log_b: FloatArray | None = None
) -> FloatArray:
    """Return the regularised incomplete beta function I_x(alpha, beta) elementwise.

    ``log_b`` may pass ln B(alpha, beta) already computed on the unbroadcast parameters.
    """
    log_b = log_beta(alpha, beta) if log_b is None else log_b
    x, a, b, log_b = np.broadcast_arrays(
        np.asarray(x, np.float64), np.asarray(alpha, np.float64), np.asarray(beta, np.float64),
        log_b,
    )  # fmt: skip
    # The continued fraction converges fast below the mean; above it use I_x(a, b) =
    # 1 - I_(1-x)(b, a), and ln B is symmetric.
    flip = x > (a + 1.0) / (a + b + 2.0)
    xs = np.clip(np.where(flip, 1.0 - x, x), 0.0, 1.0)
    first = np.where(flip, b, a)
    second = np.where(flip, a, b)
    with np.errstate(divide="ignore"):
        front = np.exp(first * np.log(xs) + second * np.log1p(-xs) - log_b) / first
    value = front * _continued_fraction(xs, first, second)
    result = np.where(flip, 1.0 - value, value)
    result = np.where(x <= 0.0, 0.0, np.where(x >= 1.0, 1.0, result))
    return np.asarray(result, dtype=np.float64)


def _continued_fraction(x: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Evaluate the incomplete beta continued fraction with the modified Lentz method."""
    f = np.full(x.shape, _TINY)
    c = f.copy()
    d = np.zeros(x.shape)
    for term in range(1, _MAX_TERMS + 1):
        if term == 1:
            numerator = np.ones(x.shape)
        elif term % 2 == 0:
            k = term // 2 - 1
            numerator = -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1))
        else:
            k = term // 2
            numerator = k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k))
        d = 1.0 + numerator * d
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + numerator / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = c * d
        f = f * delta
        if np.all(np.abs(delta - 1.0) < _EPSILON):
            break
    return np.asarray(f, dtype=np.float64)


def beta_pdf(x: FloatArray, a: FloatArray, b: FloatArray, log_b: FloatArray) -> FloatArray:
    """Return the beta density elementwise for 0 < x < 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_density = (a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - log_b
    return np.asarray(np.exp(log_density), dtype=np.float64)


def beta_ppf(
    probabilities: npt.ArrayLike, alpha: npt.ArrayLike, beta: npt.ArrayLike
) -> FloatArray:
    """Return beta quantiles elementwise by bisection followed by guarded Newton steps."""
    log_b = log_beta(alpha, beta)
    u, a, b, log_b = np.broadcast_arrays(
        np.asarray(probabilities, np.float64), np.asarray(alpha, np.float64),
        np.asarray(beta, np.float64), log_b,
    )  # fmt: skip
    lo = np.zeros(u.shape)
    hi = np.ones(u.shape)
    for _ in range(_BISECTIONS):
        middle = (lo + hi) / 2.0
        below = beta_cdf(middle, a, b, log_b=log_b) < u
        lo = np.where(below, middle, lo)
        hi = np.where(below, hi, middle)
    x = (lo + hi) / 2.0
    for _ in range(_NEWTON_STEPS):
        error = beta_cdf(x, a, b, log_b=log_b) - u
        lo = np.where(error < 0.0, x, lo)
        hi = np.where(error < 0.0, hi, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            proposal = x - error / beta_pdf(x, a, b, log_b)
        outside = ~np.isfinite(proposal) | (proposal <= lo) | (proposal >= hi)
        proposal = np.where(outside, (lo + hi) / 2.0, proposal)
        done = np.all(np.abs(proposal - x) <= 4 * np.finfo(np.float64).eps)
        x = proposal
        if done:
            break
    x = np.where(u <= 0.0, 0.0, np.where(u >= 1.0, 1.0, x))
    return np.asarray(x, dtype=np.float64)
