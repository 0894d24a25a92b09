"""Repositories: synchronous, one transaction per call, each bound to a ``Database``."""

from storage.repositories.audit import AuditEntry, AuditEvent, AuditRepository, AuditTarget
from storage.repositories.audit_chain import ChainProblem, ChainVerdict, content_hash
from storage.repositories.collaboration import (
    Change,
    ChangeRecord,
    CollaborationRepository,
    CollaborationSession,
    Permission,
)
from storage.repositories.exports import (
    ExportRecord,
    ExportRepository,
    LogoRecord,
    LogoRepository,
    NewExport,
)
from storage.repositories.jobs import JobRecord, JobRepository, JobStatus
from storage.repositories.projects import ProjectRepository, ProjectSummary
from storage.repositories.reports import (
    ReportRecord,
    ReportRepository,
    ReportStatus,
    StoredDocument,
)
from storage.repositories.templates import (
    DETAILED_TEMPLATE_ID,
    EXECUTIVE_TEMPLATE_ID,
    SectionSuggestions,
    TemplateContent,
    TemplateRecord,
    TemplateRepository,
    TemplateSection,
    template_sections,
)
from storage.repositories.users import UserRecord, UserRepository, UserRole, normalise_email

__all__ = [
    "DETAILED_TEMPLATE_ID",
    "EXECUTIVE_TEMPLATE_ID",
    "AuditEntry",
    "AuditEvent",
    "AuditRepository",
    "AuditTarget",
    "ChainProblem",
    "ChainVerdict",
    "Change",
    "ChangeRecord",
    "CollaborationRepository",
    "CollaborationSession",
    "ExportRecord",
    "ExportRepository",
    "JobRecord",
    "JobRepository",
    "JobStatus",
    "LogoRecord",
    "LogoRepository",
    "NewExport",
    "Permission",
    "ProjectRepository",
    "ProjectSummary",
    "ReportRecord",
    "ReportRepository",
    "ReportStatus",
    "SectionSuggestions",
    "StoredDocument",
    "TemplateContent",
    "TemplateRecord",
    "TemplateRepository",
    "TemplateSection",
    "UserRecord",
    "UserRepository",
    "UserRole",
    "content_hash",
    "normalise_email",
    "template_sections",
]
