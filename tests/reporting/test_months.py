"""Which report months a project's data date allows."""

from __future__ import annotations

from datetime import date

import pytest

from reporting.months import report_month_problem


@pytest.mark.parametrize("month", ["2025-07", "2025-06"])
def test_data_date_month_and_the_one_before_fit(month: str) -> None:
    assert report_month_problem(month, date(2025, 7, 31)) is None


def test_later_month_asks_for_a_newer_schedule() -> None:
    problem = report_month_problem("2025-09", date(2025, 7, 31))

    assert problem == (
        "report month 2025-09 is after the project's data date 2025-07-31; import a schedule "
        "statused in that month first"
    )


def test_earlier_month_names_both_months_that_fit() -> None:
    problem = report_month_problem("2024-11", date(2025, 1, 3))

    assert problem == (
        "report month 2024-11 is before the project's data date 2025-01-03, so the figures "
        "would be mislabelled; report on 2025-01, or on 2024-12 when the data date closes "
        "that month"
    )
