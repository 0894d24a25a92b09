"""Typed reading of XER field values: numbers, dates and P6 codes.

P6 writes numbers as plain decimals and dates as ``YYYY-MM-DD HH:MM``. A value that does not
parse is read as empty and counted, so that the import reports it in one warning per field,
except for costs and quantities, which reject the file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from schedules.errors import InvalidProjectError
from schedules.model import ImportWarning
from schedules.values import MAX_AMOUNT, parse_finite
from schedules.xer_tables import XerRow

_T = TypeVar("_T")

MAX_LISTED_VALUES = 5


@dataclass(slots=True)
class XerValues:
    """Reads numbers and dates from rows, counting the values that do not parse.

    A cost or quantity that is not a finite number within ``MAX_AMOUNT`` is collected in
    ``rejected`` instead, because reading it as empty would silently change the budget.
    """

    invalid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    out_of_range: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unknown_codes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    rejected: list[str] = field(default_factory=list)

    def number(self, row: XerRow, name: str) -> float:
        return self.optional_number(row, name) or 0.0

    def optional_number(self, row: XerRow, name: str) -> float | None:
        text = row.get(name, "").strip()
        if not text:
            return None
        value = parse_finite(text)
        if value is None:
            self.invalid[name] += 1
        return value

    def amount(self, row: XerRow, name: str, record: str) -> float:
        text = row.get(name, "").strip()
        if not text:
            return 0.0
        value = parse_finite(text)
        if value is None or abs(value) > MAX_AMOUNT:
            self.rejected.append(f"{record}: {name} is {text[:24]!r}")
            return 0.0
        return value

    def percent(self, row: XerRow, name: str) -> float:
        value = self.number(row, name)
        if not 0.0 <= value <= 100.0:
            self.out_of_range[name] += 1
        return min(max(value, 0.0), 100.0)

    def date(self, row: XerRow, name: str) -> datetime | None:
        text = row.get(name, "").strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.invalid[name] += 1
            return None
        # The model stores local project time, so an offset is dropped and the clock kept.
        return moment.replace(tzinfo=None)

    def code(self, mapping: dict[str, _T], row: XerRow, name: str, default: _T) -> _T:
        text = row.get(name, "")
        if text in mapping:
            return mapping[text]
        if text:
            self.unknown_codes[name].add(text)
        return default

    def raise_if_rejected(self) -> None:
        """Raise InvalidProjectError (``invalid_values``) naming the rejected amounts."""
        if not self.rejected:
            return
        listed = "; ".join(self.rejected[:MAX_LISTED_VALUES])
        more = len(self.rejected) - MAX_LISTED_VALUES
        suffix = f"; and {more} more" if more > 0 else ""
        raise InvalidProjectError(
            "the XER file contains costs or quantities that are not finite numbers within "
            f"±{MAX_AMOUNT:,.0f}: {listed}{suffix}. Reading them as empty would change the "
            "budget, so correct them in P6 and export the project again",
            code="invalid_values",
        )

    def warnings(self) -> list[ImportWarning]:
        """Return one warning per kind of value that was read as empty, limited or defaulted."""
        warnings = []
        if self.invalid:
            counts = ", ".join(f"{name} ({count})" for name, count in sorted(self.invalid.items()))
            warnings.append(
                ImportWarning(
                    "invalid_values",
                    f"some XER values are not valid numbers or dates and were read as empty: "
                    f"{counts}.",
                )
            )
        if self.out_of_range:
            counts = ", ".join(f"{name} ({n})" for name, n in sorted(self.out_of_range.items()))
            warnings.append(
                ImportWarning(
                    "percent_out_of_range",
                    f"some XER percentages lie outside 0 to 100 and were limited to that range: "
                    f"{counts}.",
                )
            )
        for name, codes in sorted(self.unknown_codes.items()):
            warnings.append(
                ImportWarning(
                    "unknown_code",
                    f"unknown {name} values {', '.join(sorted(codes))} were read as the default.",
                )
            )
        return warnings
