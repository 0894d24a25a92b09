"""The fields of the ``metrics`` and ``monte_carlo`` blocks that the report's readers use.

Generation writes both blocks (reporting/compose.py and risk_analysis/result_view.py). The
exports (exports/figures.py, charts.py, tables.py and excel.py) and the regeneration of
insights (actors/insights_tasks.py) read the fields below by name and convert them with
``float``, ``int`` and ``date.fromisoformat``, or print them as figures. A Yjs client that
writes text where a number is read, NaN, or a list where a map is read would make every
export of the report fail, so ``block_problem`` describes the first such field. Null is
allowed where generation writes it. Fields not listed here are not checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol


class _Spec(Protocol):
    def problem(self, value: Any, path: str) -> str | None: ...


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return "a map" if isinstance(value, dict) else "a list"
    return f"{value!r:.60}"


@dataclass(frozen=True, slots=True)
class _Number:
    """A finite number, as the exports print and the charts plot it."""

    nullable: bool = True

    def problem(self, value: Any, path: str) -> str | None:
        if value is None and self.nullable:
            return None
        finite = (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
        if finite:
            return None
        expected = "a finite number or null" if self.nullable else "a finite number"
        return f"{path} must be {expected}, got {_shown(value)}"


def _parse_month(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m")


@dataclass(frozen=True, slots=True)
class _IsoText:
    """Text that ``parse`` reads, such as an ISO date, or null.

    Empty text is rejected too, because the workbook parses every date it writes.
    """

    parse: Callable[[str], object]
    expected: str

    def problem(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                self.parse(value)
            except ValueError:
                pass
            else:
                return None
        return f"{path} must be {self.expected} as text, got {_shown(value)}"


@dataclass(frozen=True, slots=True)
class _Fields:
    """A map that contains the fields in ``required``, and whose listed fields match."""

    fields: Mapping[str, _Spec] = field(default_factory=dict)
    required: frozenset[str] = frozenset()

    def problem(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return f"{path} must be an object, got {_shown(value)}"
        missing = sorted(self.required - value.keys())
        if missing:
            return f"{path} is missing the field {missing[0]!r}"
        for name, spec in self.fields.items():
            if name not in value:
                continue
            problem = spec.problem(value[name], f"{path}.{name}")
            if problem is not None:
                return problem
        return None


@dataclass(frozen=True, slots=True)
class _Items:
    """A list whose every item matches ``item``."""

    item: _Spec

    def problem(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, list):
            return f"{path} must be a list, got {_shown(value)}"
        for index, item in enumerate(value):
            problem = self.item.problem(item, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None


@dataclass(frozen=True, slots=True)
class _Entries:
    """A map whose every value matches ``entry``, such as percentiles keyed by level."""

    entry: _Spec

    def problem(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return f"{path} must be an object, got {_shown(value)}"
        for key, entry in value.items():
            problem = self.entry.problem(entry, f"{path}.{key}")
            if problem is not None:
                return problem
        return None


_NUMBER = _Number()
_REQUIRED_NUMBER = _Number(nullable=False)
_DATE = _IsoText(date.fromisoformat, "an ISO 8601 date")
_TIME = _IsoText(datetime.fromisoformat, "an ISO 8601 time")
_MONTH = _IsoText(_parse_month, "a month as YYYY-MM")
_OBJECT = _Fields()

_FORECAST = _Fields({name: _NUMBER for name in ("eac", "etc", "vac", "tcpi")})
_EARNED_VALUE = _Fields(
    {
        "plan_start": _TIME,
        "monthly": _Items(
            _Fields(
                {
                    "month": _MONTH,
                    "period_end": _DATE,
                    "planned_value": _NUMBER,
                    "earned_value": _NUMBER,
                    "actual_cost": _NUMBER,
                },
                required=frozenset({"month"}),
            )
        ),
        "metrics": _Fields(
            {
                **{name: _NUMBER for name in ("bac", "pv", "ev", "ac", "cv", "sv", "cpi")},
                "tcpi_to_bac": _NUMBER,
                "forecasts": _Fields(
                    {name: _FORECAST for name in ("cpi", "atypical", "composite", "bottom_up")}
                ),
            }
        ),
        "earned_schedule": _Fields({"spi_t": _NUMBER}),
    }
)
_BINS = _Items(
    _Fields(
        {"lower": _NUMBER, "upper": _NUMBER, "count": _REQUIRED_NUMBER},
        required=frozenset({"lower", "upper", "count"}),
    )
)
_DRIVERS = _Items(_OBJECT)
_ANALYSIS = _Fields(
    {
        "iterations": _REQUIRED_NUMBER,
        "budget_completion": _Entries(_NUMBER),
        "schedule_completion": _Entries(_DATE),
        "cost": _Fields(
            {
                "budget_at_completion": _NUMBER,
                "mean": _NUMBER,
                "standard_deviation": _NUMBER,
                "percentiles": _Entries(_NUMBER),
                "histogram": _BINS,
                "s_curve": _Items(
                    _Fields(
                        {"value": _NUMBER, "probability": _REQUIRED_NUMBER},
                        required=frozenset({"value", "probability"}),
                    )
                ),
            }
        ),
        "schedule": _Fields(
            {
                "deterministic_finish": _DATE,
                "mean_hours": _NUMBER,
                "standard_deviation_hours": _NUMBER,
                "merge_bias_hours": _NUMBER,
                "s_curve": _Items(
                    _Fields(
                        {"date": _DATE, "probability": _REQUIRED_NUMBER},
                        required=frozenset({"date", "probability"}),
                    )
                ),
            }
        ),
        "criticality": _Items(
            _Fields({"index": _REQUIRED_NUMBER}, required=frozenset({"code", "name", "index"}))
        ),
        "criticality_index": _Entries(_REQUIRED_NUMBER),
        "sensitivity": _Fields({"finish": _DRIVERS, "cost": _DRIVERS}),
    }
)
# The entries of each top-level map that readers use, by the name of the map.
_BLOCKS: dict[str, dict[str, _Spec]] = {
    "metrics": {"key_metrics": _Entries(_NUMBER), "earned_value": _EARNED_VALUE},
    "monte_carlo": {"analysis": _ANALYSIS},
}


def block_problem(name: str, values: Mapping[str, Any]) -> str | None:
    """Describe the first field of block ``name`` that its readers could not use, or None.

    ``values`` is the block as plain Python values, as ``Map.to_py`` returns them.
    """
    for key, spec in _BLOCKS.get(name, {}).items():
        if key in values:
            problem = spec.problem(values[key], f"{name} {key}")
            if problem is not None:
                return problem
    return None
