"""Schedule import: the project model, readers for P6 XER, Microsoft Project XML and our JSON
format, and the data-quality findings that come with every import.
"""

from schedules.constraints import HARD_CONSTRAINTS, ConstraintType
from schedules.errors import (
    InvalidProjectError,
    MalformedScheduleError,
    ScheduleImportError,
    UnsupportedFormatError,
)
from schedules.importer import import_schedule
from schedules.json_format import load_project_json, project_to_json
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Assignment,
    Calendar,
    Distribution,
    ImportResult,
    ImportWarning,
    MonthlyActual,
    PercentCompleteType,
    Project,
    Relationship,
    RelationshipType,
    Resource,
    Risk,
    ThreePointEstimate,
    WbsNode,
    WorkInterval,
)
from schedules.samples import sample_project_bytes

__all__ = [
    "HARD_CONSTRAINTS",
    "Activity",
    "ActivityStatus",
    "ActivityType",
    "Assignment",
    "Calendar",
    "ConstraintType",
    "Distribution",
    "ImportResult",
    "ImportWarning",
    "InvalidProjectError",
    "MalformedScheduleError",
    "MonthlyActual",
    "PercentCompleteType",
    "Project",
    "Relationship",
    "RelationshipType",
    "Resource",
    "Risk",
    "ScheduleImportError",
    "ThreePointEstimate",
    "UnsupportedFormatError",
    "WbsNode",
    "WorkInterval",
    "import_schedule",
    "load_project_json",
    "project_to_json",
    "sample_project_bytes",
]
