"""SQLAlchemy tables of the server; ``Base.metadata`` is what the migrations must match."""

from storage.models.activity import ActivityRow, AssignmentRow, RelationshipRow
from storage.models.audit import AuditChainHeadRow, AuditEntryRow
from storage.models.base import Base, UtcDateTime, utc_now
from storage.models.collaboration import CollaborationSessionRow, ReportChangeRow
from storage.models.export import ExportRow, LogoRow
from storage.models.job import JobRow
from storage.models.knowledge import (
    ChatMessageRow,
    ChatSessionRow,
    DocumentPassageRow,
    InsightReviewRow,
    ProjectDocumentRow,
)
from storage.models.project import (
    CalendarRow,
    MonthlyActualRow,
    ProjectRow,
    ResourceRow,
    RiskRow,
    WbsNodeRow,
)
from storage.models.report import ReportRow, ReportSnapshotRow, ReportUpdateRow
from storage.models.template import TemplateRow
from storage.models.user import UserRow

__all__ = [
    "ActivityRow",
    "AssignmentRow",
    "AuditChainHeadRow",
    "AuditEntryRow",
    "Base",
    "CalendarRow",
    "ChatMessageRow",
    "ChatSessionRow",
    "CollaborationSessionRow",
    "DocumentPassageRow",
    "ExportRow",
    "InsightReviewRow",
    "JobRow",
    "LogoRow",
    "MonthlyActualRow",
    "ProjectDocumentRow",
    "ProjectRow",
    "RelationshipRow",
    "ReportChangeRow",
    "ReportRow",
    "ReportSnapshotRow",
    "ReportUpdateRow",
    "ResourceRow",
    "RiskRow",
    "TemplateRow",
    "UserRow",
    "UtcDateTime",
    "WbsNodeRow",
    "utc_now",
]
