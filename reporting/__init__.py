"""Report content: section narratives and the document a generation writes."""

from reporting.compose import SECTION_TITLES, ReportHeader, compose_report, key_metrics
from reporting.months import report_month_problem

__all__ = [
    "SECTION_TITLES",
    "ReportHeader",
    "compose_report",
    "key_metrics",
    "report_month_problem",
]
