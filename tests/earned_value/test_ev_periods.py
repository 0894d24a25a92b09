"""Calendar months as reporting periods."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from earned_value.errors import InvalidFigureError
from earned_value.periods import last_day, month_ends, month_label, months_between


@pytest.mark.parametrize(
    ("start", "finish", "months"),
    [
        pytest.param(datetime(2024, 1, 1), datetime(2024, 3, 1), 2.0, id="two-whole-months"),
        pytest.param(datetime(2024, 2, 1), datetime(2024, 2, 15, 12), 0.5, id="half-february"),
        pytest.param(datetime(2023, 12, 16, 12), datetime(2024, 1, 1), 0.5, id="half-december"),
        pytest.param(datetime(2024, 3, 1), datetime(2024, 1, 1), -2.0, id="reversed"),
        pytest.param(datetime(2020, 1, 1), datetime(2026, 1, 1), 72.0, id="six-years"),
    ],
)
def test_months_between_counts_calendar_months(
    start: datetime, finish: datetime, months: float
) -> None:
    assert months_between(start, finish) == pytest.approx(months, rel=1e-12)


def test_month_ends_cover_start_to_finish() -> None:
    ends = month_ends(datetime(2024, 11, 17), datetime(2025, 2, 3, 17))

    assert ends == [
        datetime(2024, 12, 1),
        datetime(2025, 1, 1),
        datetime(2025, 2, 1),
        datetime(2025, 3, 1),
    ]


def test_month_ends_stop_at_finish_on_month_end() -> None:
    ends = month_ends(datetime(2024, 1, 15), datetime(2024, 3, 1))

    assert ends == [datetime(2024, 2, 1), datetime(2024, 3, 1)]


def test_month_ends_reject_reversed_range() -> None:
    with pytest.raises(InvalidFigureError, match="before it starts"):
        month_ends(datetime(2024, 3, 1), datetime(2024, 1, 1))


def test_month_label_names_ending_month() -> None:
    end = datetime(2024, 3, 1)

    assert month_label(end) == "2024-02"
    assert last_day(end) == date(2024, 2, 29)
    assert month_label(datetime(2025, 1, 1)) == "2024-12"
