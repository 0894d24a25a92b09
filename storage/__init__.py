"""Persistence of the server: SQLAlchemy tables, Alembic migrations and repositories.

Open a ``Database`` on a URL, ``migrate()`` it, and hand it to the repositories. Every
error leaves this package as a ``StorageError`` subclass.
"""

from storage.database import Database, migrate
from storage.errors import (
    Conflict,
    IntegrityError,
    InvalidData,
    NotFound,
    StorageError,
    Unavailable,
)
from storage.repositories import (
    DETAILED_TEMPLATE_ID,
    EXECUTIVE_TEMPLATE_ID,
    JobRecord,
    JobRepository,
    JobStatus,
    ProjectRepository,
    ProjectSummary,
    ReportRecord,
    ReportRepository,
    ReportStatus,
    SectionSuggestions,
    StoredDocument,
    TemplateRecord,
    TemplateRepository,
    TemplateSection,
    UserRecord,
    UserRepository,
    UserRole,
)

__all__ = [
    "DETAILED_TEMPLATE_ID",
    "EXECUTIVE_TEMPLATE_ID",
    "Conflict",
    "Database",
    "IntegrityError",
    "InvalidData",
    "JobRecord",
    "JobRepository",
    "JobStatus",
    "NotFound",
    "ProjectRepository",
    "ProjectSummary",
    "ReportRecord",
    "ReportRepository",
    "ReportStatus",
    "SectionSuggestions",
    "StorageError",
    "StoredDocument",
    "TemplateRecord",
    "TemplateRepository",
    "TemplateSection",
    "Unavailable",
    "UserRecord",
    "UserRepository",
    "UserRole",
    "migrate",
]
