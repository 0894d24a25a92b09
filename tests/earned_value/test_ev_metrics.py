"""Earned value figures against the worked examples of the EVM reference."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from earned_value.errors import InvalidFigureError
from earned_value.metrics import (
    EacMethod,
    EarnedValueMetrics,
    compute_metrics,
    estimate_at_completion,
    ratio,
)

SIX_DIGITS = 5e-7


def close(expected: float) -> object:
    """Match ``expected`` to six significant digits."""
    return pytest.approx(expected, rel=SIX_DIGITS)


def test_example_a_figures() -> None:
    # BAC 500,000 and status at the end of period 3: 50 % planned, 40 % done, 290,000 spent.
    bac, pv, ev, ac = 500_000.0, 250_000.0, 200_000.0, 45_000.0 + 110_000.0 + 135_000.0

    metrics = compute_metrics(bac=bac, pv=pv, ev=ev, ac=ac)

    assert metrics.ac == 290_000.0
    assert metrics.sv == close(-50_000)
    assert metrics.cv == close(-90_000)
    assert metrics.spi == close(0.8)
    assert metrics.cpi == close(0.689655)
    assert metrics.tcpi_to_bac == close(1.428571)
    assert metrics.cv_percent == close(-45.0)
    assert metrics.sv_percent == close(-20.0)


@pytest.mark.parametrize(
    ("method", "eac"),
    [
        pytest.param(EacMethod.CPI, 725_000, id="cpi"),
        pytest.param(EacMethod.ATYPICAL, 590_000, id="atypical"),
        pytest.param(EacMethod.COMPOSITE, 833_750, id="composite"),
    ],
)
def test_example_a_eac_by_method(method: EacMethod, eac: float) -> None:
    metrics = compute_metrics(bac=500_000, pv=250_000, ev=200_000, ac=290_000)

    forecast = metrics.forecast(method)

    assert forecast.eac == close(eac)


def test_example_a_cpi_forecast_etc_vac_tcpi() -> None:
    metrics = compute_metrics(bac=500_000, pv=250_000, ev=200_000, ac=290_000)

    forecast = metrics.forecast(EacMethod.CPI)

    assert forecast.etc == close(435_000)
    assert forecast.vac == close(-225_000)
    assert forecast.tcpi == close(0.689655)


@dataclass(frozen=True)
class CaseC:
    ev: float
    ac: float
    pv: float
    cpi: float
    spi: float
    eac_cpi: float
    eac_atypical: float


# Example C: BAC 100,000 on a linear plan of 10 periods.
EXAMPLE_C = [
    pytest.param(
        CaseC(30_000, 35_000, 40_000, 0.857143, 0.75, 116_666.67, 105_000), id="behind-over"
    ),
    pytest.param(CaseC(50_000, 45_000, 40_000, 1.111111, 1.25, 90_000, 95_000), id="ahead-under"),
    pytest.param(CaseC(40_000, 38_000, 50_000, 1.052632, 0.8, 95_000, 98_000), id="behind-under"),
    pytest.param(
        CaseC(100_000, 110_000, 100_000, 0.909091, 1.0, 110_000, 110_000), id="complete-late"
    ),
]


@pytest.mark.parametrize("case", EXAMPLE_C)
def test_example_c_indices_and_eac(case: CaseC) -> None:
    metrics = compute_metrics(bac=100_000, pv=case.pv, ev=case.ev, ac=case.ac)

    assert metrics.cpi == close(case.cpi)
    assert metrics.spi == close(case.spi)
    assert metrics.forecast(EacMethod.CPI).eac == close(case.eac_cpi)
    assert metrics.forecast(EacMethod.ATYPICAL).eac == close(case.eac_atypical)


def test_example_c_behind_over_etc_tcpi_vac() -> None:
    metrics = compute_metrics(bac=100_000, pv=40_000, ev=30_000, ac=35_000)

    forecast = metrics.forecast(EacMethod.CPI)

    assert forecast.etc == close(81_666.67)
    assert metrics.tcpi_to_bac == close(1.076923)
    assert forecast.vac == close(-16_666.67)


def test_bottom_up_eac_adds_etc_to_ac() -> None:
    metrics = compute_metrics(bac=100_000, pv=40_000, ev=30_000, ac=35_000, bottom_up_etc=80_000)

    forecast = metrics.forecast(EacMethod.BOTTOM_UP)

    assert forecast.eac == 115_000
    assert forecast.etc == 80_000
    assert forecast.vac == -15_000
    assert forecast.tcpi == close(70_000 / 80_000)


def test_bottom_up_without_etc_is_undefined() -> None:
    metrics = compute_metrics(bac=100_000, pv=40_000, ev=30_000, ac=35_000)

    forecast = metrics.forecast(EacMethod.BOTTOM_UP)

    assert forecast.eac is None
    assert forecast.etc is None
    assert forecast.vac is None
    assert forecast.tcpi is None


def undefined_figures(metrics: EarnedValueMetrics) -> set[str]:
    figures = metrics.to_dict()
    names = {name for name, value in figures.items() if value is None}
    forecasts = figures["forecasts"]
    assert isinstance(forecasts, dict)
    for method, forecast in forecasts.items():
        names |= {f"{method}.{name}" for name, value in forecast.items() if value is None}
    return names


def test_zero_actual_cost_leaves_cost_ratios_undefined() -> None:
    metrics = compute_metrics(bac=100_000, pv=10_000, ev=5_000, ac=0, bottom_up_etc=95_000)

    undefined = undefined_figures(metrics)

    assert undefined == {
        "cpi",
        "cpi.eac",
        "cpi.etc",
        "cpi.vac",
        "cpi.tcpi",
        "composite.eac",
        "composite.etc",
        "composite.vac",
        "composite.tcpi",
    }
    assert metrics.cv_percent == 100.0


def test_zero_planned_value_leaves_schedule_ratios_undefined() -> None:
    metrics = compute_metrics(bac=100_000, pv=0, ev=0, ac=0)

    undefined = undefined_figures(metrics)

    assert {"spi", "sv_percent", "cpi", "cv_percent"} <= undefined
    assert metrics.forecast(EacMethod.ATYPICAL).eac == 100_000
    assert metrics.tcpi_to_bac == 1.0


def test_budget_spent_leaves_tcpi_to_bac_undefined() -> None:
    metrics = compute_metrics(bac=100_000, pv=100_000, ev=80_000, ac=100_000)

    assert metrics.tcpi_to_bac is None
    assert metrics.forecast(EacMethod.ATYPICAL).tcpi == close(20_000 / 20_000)


def test_zero_earned_value_leaves_cpi_eac_undefined() -> None:
    metrics = compute_metrics(bac=100_000, pv=10_000, ev=0, ac=2_000)

    assert metrics.cpi == 0.0
    assert metrics.forecast(EacMethod.CPI).eac is None
    assert metrics.forecast(EacMethod.COMPOSITE).eac is None
    assert metrics.cv_percent is None


def test_no_figure_is_nan_or_infinite() -> None:
    grid = [0.0, 1.0, 1e-320, 50_000.0, 100_000.0]

    values = [
        value
        for pv in grid
        for ev in grid
        for ac in grid
        for value in _numbers(compute_metrics(bac=100_000, pv=pv, ev=ev, ac=ac).to_dict())
    ]

    assert values
    assert all(math.isfinite(value) for value in values)


def _numbers(figures: object) -> list[float]:
    if isinstance(figures, dict):
        return [number for value in figures.values() for number in _numbers(value)]
    return [figures] if isinstance(figures, float | int) else []


def test_nan_input_is_rejected_with_its_name() -> None:
    with pytest.raises(InvalidFigureError, match="ev is nan"):
        compute_metrics(bac=100_000, pv=1, ev=math.nan, ac=1)


def test_ratio_of_zero_denominator_is_none() -> None:
    assert ratio(1.0, 0.0) is None
    assert ratio(0.0, 0.0) is None
    assert ratio(1e308, 1e-308) is None
    assert ratio(3.0, 2.0) == 1.5


def test_estimate_at_completion_names_each_method() -> None:
    figures = {"bac": 500_000.0, "ev": 200_000.0, "ac": 290_000.0, "pv": 250_000.0}

    estimates = {method: estimate_at_completion(method, **figures) for method in EacMethod}

    assert estimates[EacMethod.CPI] == close(725_000)
    assert estimates[EacMethod.ATYPICAL] == close(590_000)
    assert estimates[EacMethod.COMPOSITE] == close(833_750)
    assert estimates[EacMethod.BOTTOM_UP] is None
