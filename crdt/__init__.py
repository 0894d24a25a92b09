"""The report document schema on pycrdt; no Ray and no I/O."""

from crdt.document import MergeStrategy, ReportDocument
from crdt.errors import DocumentError, SectionNotFoundError

__all__ = ["DocumentError", "MergeStrategy", "ReportDocument", "SectionNotFoundError"]
