"""Earned schedule against the worked examples of the EVM reference, and its edge cases."""

from __future__ import annotations

import pytest

from earned_value.errors import InvalidFigureError
from earned_value.schedule import analyse_schedule, earned_schedule, schedule_figures

SIX_DIGITS = 5e-7
LINEAR_PLAN = [10_000.0 * period for period in range(11)]  # Example C, periods 0..10
EXAMPLE_A_PLAN = [500_000.0 * share for share in (0.0, 0.10, 0.25, 0.50, 0.75, 1.00)]


def close(expected: float) -> object:
    """Match ``expected`` to six significant digits."""
    return pytest.approx(expected, rel=SIX_DIGITS)


@pytest.mark.parametrize(
    ("plan", "ev", "es"),
    [
        pytest.param(LINEAR_PLAN, 34_000, 3.4, id="linear-ev-34000"),
        pytest.param([0, 20, 50, 90, 140, 200], 70, 2.5, id="pv-0-20-50-90-ev-70"),
        pytest.param([0, 30, 70, 120, 180, 250], 100, 2.6, id="pv-0-30-70-120-ev-100"),
    ],
)
def test_earned_schedule_interpolates(plan: list[float], ev: float, es: float) -> None:
    assert earned_schedule(plan, ev) == close(es)


def test_example_a_earned_schedule() -> None:
    result = analyse_schedule(EXAMPLE_A_PLAN, 200_000, at=3)

    assert result.es == close(2.6)
    assert result.sv_t == close(-0.4)
    assert result.spi_t == close(0.866667)
    assert result.ieac_t == close(5.769231)
    assert result.pd == 5.0


@pytest.mark.parametrize(
    ("at", "ev", "es", "spi_t", "ieac_t"),
    [
        # The reference prints 40 / 3 to six digits as 13.3333.
        pytest.param(4, 30_000, 3, 0.75, 40 / 3, id="behind-over"),
        pytest.param(4, 50_000, 5, 1.25, 8, id="ahead-under"),
        pytest.param(5, 40_000, 4, 0.8, 12.5, id="behind-under"),
        # The reference leaves SPI(t) blank here. By its definition it is ES / AT = 10 / 10.
        pytest.param(10, 100_000, 10, 1.0, 10, id="complete-late"),
    ],
)
def test_example_c_earned_schedule(
    at: float, ev: float, es: float, spi_t: float, ieac_t: float
) -> None:
    result = analyse_schedule(LINEAR_PLAN, ev, at=at, pd=10)

    assert result.es == close(es)
    assert result.spi_t == close(spi_t)
    assert result.ieac_t == close(ieac_t)
    assert result.sv_t == close(es - at)


def test_ieac_t_equals_its_long_form() -> None:
    result = analyse_schedule(EXAMPLE_A_PLAN, 200_000, at=3)

    assert result.spi_t is not None
    assert result.ieac_t == close(result.at + (result.pd - result.es) / result.spi_t)


def test_plateau_gives_first_period_reaching_ev() -> None:
    plan = [0, 10, 10, 10, 20]

    assert earned_schedule(plan, 10) == 1.0
    assert earned_schedule(plan, 15) == close(3.5)


def test_leading_plateau_at_zero_gives_zero() -> None:
    assert earned_schedule([0, 0, 0, 40, 80], 0) == 0.0
    assert earned_schedule([0, 0, 0, 40, 80], 20) == close(2.5)


def test_ev_at_budget_gives_first_period_reaching_it() -> None:
    plan = [0, 50, 100, 100, 100]

    assert earned_schedule(plan, 100) == 2.0


def test_ev_above_plan_gives_end_of_plan() -> None:
    assert earned_schedule([0, 50, 90, 90], 120) == 2.0


def test_uneven_positions_scale_the_interpolation() -> None:
    # A plan starting mid-month: the first boundary is half a month in.
    positions = [0.0, 0.5, 1.5, 2.5]

    es = earned_schedule([0, 10, 30, 60], 20, positions)

    assert es == close(1.0)


def test_zero_actual_time_leaves_spi_t_undefined() -> None:
    result = schedule_figures(es=0, at=0, pd=10)

    assert result.spi_t is None
    assert result.ieac_t is None
    assert result.sv_t == 0


def test_zero_earned_schedule_leaves_ieac_t_undefined() -> None:
    result = analyse_schedule(LINEAR_PLAN, 0, at=2)

    assert result.es == 0
    assert result.spi_t == 0
    assert result.ieac_t is None


@pytest.mark.parametrize(
    ("plan", "positions", "message"),
    [
        pytest.param([], None, "empty", id="empty"),
        pytest.param([0, 1], [0, 1, 2], "2 PV values", id="length-mismatch"),
        pytest.param([0, 1, 2], [0, 2, 1], "not strictly increasing", id="unsorted"),
        pytest.param([0, float("nan")], None, "NaN", id="nan"),
    ],
)
def test_invalid_plan_is_rejected(
    plan: list[float], positions: list[float] | None, message: str
) -> None:
    with pytest.raises(InvalidFigureError, match=message):
        earned_schedule(plan, 1, positions)
