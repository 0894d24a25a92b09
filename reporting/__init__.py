"""Report content: section narratives and the document a generation writes."""

from reporting.compose import SECTION_TITLES, ReportHeader, compose_report, key_metrics

__all__ = ["SECTION_TITLES", "ReportHeader", "compose_report", "key_metrics"]
