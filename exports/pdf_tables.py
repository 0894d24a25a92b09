"""Tables as the PDF prints them: cells formatted once, column widths fixed beforehand.

WeasyPrint's automatic table layout measures every cell's narrowest and widest text before
it lays a table out. The fixed layout skips that pass (6 % fewer Python calls for the sp10
PDF, counted with cProfile), and widths taken from the longest text of each column keep
numbers and dates on one line while text columns share the rest and wrap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from exports.tables import FLAG, TEXT, Table, format_cell

# Widths are in characters of the longest text; a text column wider than this wraps.
MAX_TEXT_WIDTH = 40
MIN_WIDTH = 4
# About the characters a row of an A4 portrait page holds at the default type size.
ROW_CAPACITY = 100
# Padding of a cell, in characters, so a number never touches its neighbour.
PADDING = 2
QUARTER_END_MONTHS = ("03", "06", "09", "12")


@dataclass(frozen=True, slots=True)
class PrintedTable:
    """A table with its cells as printed text and each column's share of the width."""

    table_id: str
    title: str
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    widths: tuple[float, ...]
    rows: tuple[tuple[str, ...], ...]


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def column_widths(
    columns: tuple[str, ...], numeric: tuple[bool, ...], rows: tuple[tuple[str, ...], ...]
) -> tuple[float, ...]:
    """Return each column's width as a percentage of the table, summing to 100.

    A numeric column gets its longest value, because it is printed on one line. A text
    column gets its longest value up to MAX_TEXT_WIDTH, and text columns shrink (to no
    less than their longest word or MIN_WIDTH) when the row would not fit ROW_CAPACITY.
    """
    needs: list[float] = []
    floors: list[float] = []
    for index, column in enumerate(columns):
        longest = max((len(row[index]) for row in rows), default=0)
        word = max(_longest_word(column), max((_longest_word(r[index]) for r in rows), default=0))
        if numeric[index]:
            need = max(longest, word) + PADDING
            floors.append(need)
        else:
            need = min(max(longest, word), MAX_TEXT_WIDTH) + PADDING
            floors.append(min(max(word, MIN_WIDTH), MAX_TEXT_WIDTH) + PADDING)
        needs.append(max(need, MIN_WIDTH))
    excess = sum(needs) - ROW_CAPACITY
    text = [i for i, is_number in enumerate(numeric) if not is_number]
    slack = sum(needs[i] - floors[i] for i in text)
    if excess > 0 and slack > 0:
        share = min(excess / slack, 1.0)
        for i in text:
            needs[i] -= (needs[i] - floors[i]) * share
    total = sum(needs)
    return tuple(round(100 * need / total, 2) for need in needs)


def printed_table(table: Table, currency: str) -> PrintedTable:
    """Return ``table`` with every cell formatted as the PDF prints it."""
    numeric = tuple(kind not in (TEXT, FLAG) for kind in table.kinds)
    rows = tuple(
        tuple(
            format_cell(value, kind, currency)
            for value, kind in zip(row, table.kinds, strict=True)
        )
        for row in table.rows
    )
    return PrintedTable(
        table_id=table.table_id,
        title=table.title,
        columns=table.columns,
        numeric=numeric,
        widths=column_widths(table.columns, numeric, rows),
        rows=rows,
    )


def condense_plan(table: Table, report_month: str) -> Table:
    """Return the monthly earned value table with the months after the report month at
    quarter ends only, and the last month.

    Those months carry planned value alone, which the section's narrative lists and the
    workbook holds in full, and a multi-year plan would otherwise fill pages of the PDF.
    """
    if table.table_id != "earned_value_by_month" or not report_month:
        return table
    last = len(table.rows) - 1
    kept = tuple(
        row
        for index, row in enumerate(table.rows)
        if str(row[0]) <= report_month or str(row[0])[5:7] in QUARTER_END_MONTHS or index == last
    )
    if len(kept) == len(table.rows):
        return table
    title = (
        f"{table.title}: months after {report_month} at quarter ends; the Excel export "
        "lists every month"
    )
    return replace(table, title=title, rows=kept)
