"""Tables as the PDF prints them: fixed column widths and the condensed monthly plan."""

from __future__ import annotations

from datetime import date

import pytest

from exports.pdf_tables import ROW_CAPACITY, column_widths, condense_plan, printed_table
from exports.tables import FLAG, TEXT, Table


def monthly_table(months: list[str]) -> Table:
    return Table(
        "earned_value_by_month",
        "Earned value by month (cumulative)",
        ("Month", "Period end", "PV", "EV", "AC", "AC estimated"),
        (TEXT, "date", "money", "money", "money", FLAG),
        tuple((month, f"{month}-28", 1.0, None, None, False) for month in months),
    )


def test_column_widths_sum_to_the_table() -> None:
    widths = column_widths(("Name", "Cost"), (False, True), (("Pier", "£1.00"),))

    assert sum(widths) == pytest.approx(100, abs=0.05)
    assert all(width > 0 for width in widths)


def test_long_text_column_shrinks_before_numbers() -> None:
    name = " ".join(["foundation"] * 30)
    money = "£123,456,789.00"
    columns = ("Name", "Budget", "Actual", "Remaining", "Forecast")

    widths = column_widths(columns, (False, True, True, True, True), ((name, *[money] * 4),))

    # Four amounts of 15 characters and their padding leave the name 32 of 100 characters.
    assert widths[1:] == pytest.approx([17 / ROW_CAPACITY * 100] * 4, abs=0.01)
    assert widths[0] == pytest.approx(32 / ROW_CAPACITY * 100, abs=0.01)


def test_printed_table_formats_each_cell_once() -> None:
    table = Table(
        "t", "T", ("Activity", "Cost", "Done"), (TEXT, "money", FLAG), (("A1", 1234.5, True),)
    )

    printed = printed_table(table, "GBP")

    assert printed.rows == (("A1", "£1,234.50", "yes"),)
    assert printed.numeric == (False, True, False)


def test_condense_plan_keeps_actuals_and_quarter_ends() -> None:
    months = [f"{year}-{month:02d}" for year in (2017, 2018) for month in range(1, 13)]

    condensed = condense_plan(monthly_table(months[:-1]), "2017-04")

    kept = [row[0] for row in condensed.rows]
    assert kept[:4] == ["2017-01", "2017-02", "2017-03", "2017-04"]
    assert kept[4:] == [
        "2017-06",
        "2017-09",
        "2017-12",
        "2018-03",
        "2018-06",
        "2018-09",
        "2018-11",
    ]
    assert "after 2017-04 at quarter ends" in condensed.title


@pytest.mark.parametrize(
    ("table_id", "month"),
    [
        pytest.param("criticality", "2017-04", id="other-table"),
        pytest.param("earned_value_by_month", "2019-01", id="month-after-plan"),
    ],
)
def test_condense_plan_leaves_other_tables(table_id: str, month: str) -> None:
    table = monthly_table([f"2018-{number:02d}" for number in range(1, 13)])
    table = Table(table_id, table.title, table.columns, table.kinds, table.rows)

    condensed = condense_plan(table, month)

    assert condensed is table
    assert date.fromisoformat(str(condensed.rows[-1][1])) == date(2018, 12, 28)
