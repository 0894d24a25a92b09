"""Earned schedule (Lipke): the time at which the plan expected today's earned value.

With cumulative PV at period boundaries PV_0..PV_n, earned schedule is
ES = C + (EV - PV_C) / (PV_{C+1} - PV_C), where C is the last boundary before the plan
reaches EV. From ES and the actual time AT follow SV(t) = ES - AT, SPI(t) = ES / AT and
IEAC(t) = PD / SPI(t). Unlike SPI, SPI(t) stays below 1.0 for a project that finished late.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from earned_value.errors import InvalidFigureError
from earned_value.metrics import ratio
from schedules.worktime import FloatArray


@dataclass(frozen=True, slots=True)
class EarnedSchedule:
    """Earned schedule figures, all in periods (months in a monthly report)."""

    es: float
    at: float
    pd: float
    sv_t: float  # ES - AT, negative when behind
    spi_t: float | None  # ES / AT, None at AT = 0
    ieac_t: float | None  # PD / SPI(t), None while SPI(t) is zero or undefined

    def to_dict(self) -> dict[str, float | None]:
        """Return the figures keyed by name, ready for JSON."""
        return {
            "es": self.es,
            "at": self.at,
            "pd": self.pd,
            "sv_t": self.sv_t,
            "spi_t": self.spi_t,
            "ieac_t": self.ieac_t,
        }


def _validated(
    cumulative_pv: Sequence[float], positions: Sequence[float] | None
) -> tuple[FloatArray, FloatArray]:
    values = np.asarray(cumulative_pv, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise InvalidFigureError(
            "cumulative PV is empty; give PV at each period boundary, starting at period 0"
        )
    if positions is None:
        places = np.arange(values.size, dtype=np.float64)
    else:
        places = np.asarray(positions, dtype=np.float64)
    if places.shape != values.shape:
        raise InvalidFigureError(
            f"{places.size} period positions for {values.size} PV values; give one per boundary"
        )
    if not (np.isfinite(values).all() and np.isfinite(places).all()):
        raise InvalidFigureError("cumulative PV or period positions contain NaN or infinity")
    if np.any(np.diff(places) <= 0):
        raise InvalidFigureError(
            f"period positions {places.tolist()} are not strictly increasing; sort them"
        )
    return values, places


def earned_schedule(
    cumulative_pv: Sequence[float], ev: float, positions: Sequence[float] | None = None
) -> float:
    """Return ES for ``ev`` on the plan ``cumulative_pv`` by linear interpolation.

    ``cumulative_pv`` contains PV at each period boundary from the start of the plan
    (PV_0, usually 0) to its end; ``positions`` gives each boundary's place in periods,
    0, 1, 2, ... by default, and may be uneven (a plan starting mid-month).
    Where PV stays flat, ES is the first boundary at which the plan reaches ``ev``.
    Earned value above the whole plan gives the place where PV first reaches its maximum.
    """
    if not math.isfinite(ev):
        raise InvalidFigureError(f"EV is {ev!r}; give a finite earned value")
    values, places = _validated(cumulative_pv, positions)

    reached = np.flatnonzero(values >= ev)
    if reached.size == 0:
        # NOTE: EV can exceed the plan when budget without usable dates was left out of PV.
        return float(places[int(np.argmax(values))])
    first = int(reached[0])
    if first == 0 or values[first] == ev:
        return float(places[first])

    # values[first - 1] < ev <= values[first], so the step below is never zero.
    before = first - 1
    share = (ev - values[before]) / (values[first] - values[before])
    return float(places[before] + share * (places[first] - places[before]))


def schedule_figures(*, es: float, at: float, pd: float) -> EarnedSchedule:
    """Derive SV(t), SPI(t) and IEAC(t) from ES, the actual time AT and planned duration PD."""
    for name, value in (("ES", es), ("AT", at), ("PD", pd)):
        if not math.isfinite(value):
            raise InvalidFigureError(f"{name} is {value!r}; give a finite number of periods")
    spi_t = ratio(es, at)
    ieac_t = None if spi_t is None else ratio(pd, spi_t)
    return EarnedSchedule(es=es, at=at, pd=pd, sv_t=es - at, spi_t=spi_t, ieac_t=ieac_t)


def analyse_schedule(
    cumulative_pv: Sequence[float],
    ev: float,
    *,
    at: float,
    pd: float | None = None,
    positions: Sequence[float] | None = None,
) -> EarnedSchedule:
    """Compute ES for ``ev`` and the figures that follow at actual time ``at``.

    ``pd`` defaults to the last period position, the end of the plan.
    """
    es = earned_schedule(cumulative_pv, ev, positions)
    if pd is None:
        pd = float(positions[-1]) if positions is not None else float(len(cumulative_pv) - 1)
    return schedule_figures(es=es, at=at, pd=pd)
