"""Earned value figures at one status date: variances, indices and forecasts.

Every figure follows ANSI/EIA-748 and the PMI practice standard for earned value. A ratio
whose denominator is zero (no actual cost yet, no planned value yet, budget already spent)
is ``None``: it is undefined, and a report shows it as such rather than as infinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from earned_value.errors import InvalidFigureError


class EacMethod(StrEnum):
    """Estimate-at-completion methods, named for the assumption each one makes.

    Sources disagree on which of these is "typical", so the code never uses that word.
    """

    CPI = "cpi"  # BAC / CPI: the cost efficiency to date holds for the remaining work
    ATYPICAL = "atypical"  # AC + (BAC - EV): the remaining work costs its budget
    COMPOSITE = "composite"  # AC + (BAC - EV) / (CPI x SPI): cost and schedule efficiency
    BOTTOM_UP = "bottom_up"  # AC + ETC, the ETC re-estimated from the remaining work


def ratio(numerator: float, denominator: float) -> float | None:
    """Return ``numerator / denominator``, or None when the quotient is undefined or infinite."""
    if denominator == 0:
        return None
    quotient = numerator / denominator
    return quotient if math.isfinite(quotient) else None


def cost_variance(ev: float, ac: float) -> float:
    """Return CV = EV - AC (negative when over budget)."""
    return ev - ac


def schedule_variance(ev: float, pv: float) -> float:
    """Return SV = EV - PV (negative when behind schedule)."""
    return ev - pv


def cost_variance_percent(ev: float, ac: float) -> float | None:
    """Return CV% = 100 x CV / EV in percent, or None when nothing is earned yet."""
    fraction = ratio(cost_variance(ev, ac), ev)
    return None if fraction is None else 100.0 * fraction


def schedule_variance_percent(ev: float, pv: float) -> float | None:
    """Return SV% = 100 x SV / PV in percent, or None when nothing is planned yet."""
    fraction = ratio(schedule_variance(ev, pv), pv)
    return None if fraction is None else 100.0 * fraction


def cost_performance_index(ev: float, ac: float) -> float | None:
    """Return CPI = EV / AC, or None while the actual cost is zero."""
    return ratio(ev, ac)


def schedule_performance_index(ev: float, pv: float) -> float | None:
    """Return SPI = EV / PV, or None while the planned value is zero."""
    return ratio(ev, pv)


def estimate_at_completion(
    method: EacMethod,
    *,
    bac: float,
    ev: float,
    ac: float,
    pv: float,
    bottom_up_etc: float | None = None,
) -> float | None:
    """Return the EAC by ``method``, or None when the method's inputs leave it undefined.

    ``bottom_up_etc`` is the re-estimated cost of the remaining work; without it the
    bottom-up EAC is None.
    """
    cpi = cost_performance_index(ev, ac)
    if method is EacMethod.CPI:
        return None if cpi is None else ratio(bac, cpi)
    if method is EacMethod.ATYPICAL:
        return ac + (bac - ev)
    if method is EacMethod.COMPOSITE:
        spi = schedule_performance_index(ev, pv)
        if cpi is None or spi is None:
            return None
        remaining = ratio(bac - ev, cpi * spi)
        return None if remaining is None else ac + remaining
    return None if bottom_up_etc is None else ac + bottom_up_etc


def to_complete_performance_index(
    *, bac: float, ev: float, ac: float, target: float
) -> float | None:
    """Return TCPI = (BAC - EV) / (target - AC), the efficiency needed to finish at ``target``.

    ``target`` is the BAC for the TCPI to BAC and an EAC for the TCPI to that EAC.
    """
    return ratio(bac - ev, target - ac)


@dataclass(frozen=True, slots=True)
class Forecast:
    """The estimate at completion by one method with the figures that follow from it."""

    method: EacMethod
    eac: float | None
    etc: float | None  # EAC - AC
    vac: float | None  # BAC - EAC
    tcpi: float | None  # to this EAC: (BAC - EV) / (EAC - AC)

    def to_dict(self) -> dict[str, float | None]:
        """Return the figures keyed by name, ready for JSON."""
        return {"eac": self.eac, "etc": self.etc, "vac": self.vac, "tcpi": self.tcpi}


@dataclass(frozen=True, slots=True)
class EarnedValueMetrics:
    """The earned value figures at one status date, in the project currency.

    ``cv_percent`` and ``sv_percent`` are in percent (-45.0 means CV is 45 % of EV).
    """

    bac: float
    pv: float
    ev: float
    ac: float
    cv: float
    sv: float
    cv_percent: float | None
    sv_percent: float | None
    cpi: float | None
    spi: float | None
    tcpi_to_bac: float | None
    forecasts: tuple[Forecast, ...]

    def forecast(self, method: EacMethod) -> Forecast:
        """Return the forecast made by ``method``."""
        for forecast in self.forecasts:
            if forecast.method is method:
                return forecast
        raise KeyError(
            f"no forecast by method {method.value!r}; the metrics contain every EacMethod"
        )

    def to_dict(self) -> dict[str, object]:
        """Return the figures keyed by name, with the forecasts keyed by method, for JSON."""
        return {
            "bac": self.bac,
            "pv": self.pv,
            "ev": self.ev,
            "ac": self.ac,
            "cv": self.cv,
            "sv": self.sv,
            "cv_percent": self.cv_percent,
            "sv_percent": self.sv_percent,
            "cpi": self.cpi,
            "spi": self.spi,
            "tcpi_to_bac": self.tcpi_to_bac,
            "forecasts": {f.method.value: f.to_dict() for f in self.forecasts},
        }


def _forecast(
    method: EacMethod, *, bac: float, ev: float, ac: float, pv: float, bottom_up_etc: float | None
) -> Forecast:
    eac = estimate_at_completion(method, bac=bac, ev=ev, ac=ac, pv=pv, bottom_up_etc=bottom_up_etc)
    if eac is None:
        return Forecast(method=method, eac=None, etc=None, vac=None, tcpi=None)
    return Forecast(
        method=method,
        eac=eac,
        etc=eac - ac,
        vac=bac - eac,
        tcpi=to_complete_performance_index(bac=bac, ev=ev, ac=ac, target=eac),
    )


def _require_finite(**figures: float | None) -> None:
    for name, value in figures.items():
        if value is not None and not math.isfinite(value):
            raise InvalidFigureError(
                f"{name} is {value!r}; earned value needs finite numbers, so check the "
                "costs and percent complete the figure was summed from"
            )


def compute_metrics(
    *, bac: float, pv: float, ev: float, ac: float, bottom_up_etc: float | None = None
) -> EarnedValueMetrics:
    """Compute every earned value figure and a forecast by each ``EacMethod``.

    Raises ``InvalidFigureError`` when an input is NaN or infinite.
    """
    _require_finite(bac=bac, pv=pv, ev=ev, ac=ac, bottom_up_etc=bottom_up_etc)
    forecasts = tuple(
        _forecast(method, bac=bac, ev=ev, ac=ac, pv=pv, bottom_up_etc=bottom_up_etc)
        for method in EacMethod
    )
    return EarnedValueMetrics(
        bac=bac,
        pv=pv,
        ev=ev,
        ac=ac,
        cv=cost_variance(ev, ac),
        sv=schedule_variance(ev, pv),
        cv_percent=cost_variance_percent(ev, ac),
        sv_percent=schedule_variance_percent(ev, pv),
        cpi=cost_performance_index(ev, ac),
        spi=schedule_performance_index(ev, pv),
        tcpi_to_bac=to_complete_performance_index(bac=bac, ev=ev, ac=ac, target=bac),
        forecasts=forecasts,
    )
