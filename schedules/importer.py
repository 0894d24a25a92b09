"""The single entry point for schedule files: size and format checks, the reader for the
detected format, then the repairs and quality findings every project goes through.

``import_schedule`` is a pure function of the bytes: no database, no Ray.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import PurePath

from schedules.errors import MalformedScheduleError, ScheduleImportError, UnsupportedFormatError
from schedules.json_format import load_project_json
from schedules.model import ImportResult, ImportWarning, Project
from schedules.mspdi import read_mspdi
from schedules.quality import dcma_checks
from schedules.sanity import repair_project
from schedules.xer import read_xer

logger = logging.getLogger(__name__)

Reader = Callable[[bytes], tuple[Project, list[ImportWarning]]]

_LEADING = b"\xef\xbb\xbf \t\r\n"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Signatures of files people upload by mistake, with what to do instead.
_KNOWN_OTHER_FORMATS = (
    (
        b"\xd0\xcf\x11\xe0",
        "a Microsoft Office binary file (for example .mpp or .xls); "
        "save the project from Microsoft Project as XML instead",
    ),
    (
        b"PK\x03\x04",
        "a ZIP archive (for example .xlsx or a zipped export); upload the XER, "
        "XML or JSON file itself",
    ),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_READ_FAILURES = (ValueError, IndexError, KeyError, TypeError, RecursionError)
_INVALID_CODES = {"xer": "invalid_xer", "mspdi": "invalid_xml", "json": "invalid_json"}


def import_schedule(
    data: bytes,
    filename: str | None = None,
    *,
    max_bytes: int,
    project_id: str | None = None,
) -> ImportResult:
    """Import a Primavera P6 XER, Microsoft Project XML or JSON project file.

    The format is detected from the content; ``filename`` only sharpens the error when the
    content matches no format. ``project_id`` picks one project of a multi-project XER.

    Raises:
        ScheduleImportError: the file is too large, empty, of an unsupported format,
            damaged or invalid; ``code`` names the cause.
    """
    if len(data) > max_bytes:
        raise UnsupportedFormatError(
            "file_too_large",
            f"the file is {_size(len(data))}, over the {_size(max_bytes)} limit; export "
            "only the project you need or ask an administrator to raise the limit",
        )
    if not data.lstrip(_LEADING):
        raise UnsupportedFormatError(
            "empty_file", "the file is empty; export the schedule again and upload the file"
        )
    kind, reader = _detect(data, filename, project_id)
    try:
        project, warnings = reader(data)
    except ScheduleImportError:
        raise
    except _READ_FAILURES as error:
        logger.warning("reading a %s file failed unexpectedly", kind, exc_info=True)
        raise MalformedScheduleError(
            _INVALID_CODES[kind],
            f"the {kind.upper()} file could not be read ({type(error).__name__}: {error}); "
            "export it again, and report the file if the error persists",
        ) from error
    project, repairs = _repaired(project)
    return ImportResult(project, tuple(warnings + repairs + _findings(project)))


def _detect(data: bytes, filename: str | None, project_id: str | None) -> tuple[str, Reader]:
    head = data[:1024].lstrip(_LEADING)
    if head.startswith(b"ERMHDR"):
        return "xer", lambda raw: read_xer(raw, project_id=project_id)
    if head.startswith(b"<") or head.startswith(_UTF16_BOMS):
        return "mspdi", read_mspdi
    if head.startswith((b"{", b"[")):
        return "json", load_project_json
    raise _unrecognised(head, filename)


def _unrecognised(head: bytes, filename: str | None) -> ScheduleImportError:
    for signature, description in _KNOWN_OTHER_FORMATS:
        if head.startswith(signature):
            return UnsupportedFormatError(
                "unsupported_format",
                f"the file is {description}, not a schedule; upload a Primavera P6 XER, "
                "Microsoft Project XML or JSON project file",
            )
    extension = PurePath(filename).suffix.lower() if filename else ""
    if extension == ".xer":
        return MalformedScheduleError(
            "not_xer",
            "the file is named .xer but does not start with the XER header ERMHDR; export "
            "it again from Primavera P6",
        )
    if extension == ".xml":
        return MalformedScheduleError(
            "invalid_xml", "the file is named .xml but does not start with an XML element"
        )
    if extension == ".json":
        return MalformedScheduleError(
            "invalid_json", "the file is named .json but does not start with a JSON object"
        )
    return UnsupportedFormatError(
        "unsupported_format",
        "the file is not a Primavera P6 XER, Microsoft Project XML or JSON project file "
        f"(it starts with {head[:16]!r}); export the schedule in one of those formats",
    )


def _repaired(project: Project) -> tuple[Project, list[ImportWarning]]:
    try:
        return repair_project(project)
    except Exception:
        # A repair is a convenience: a bug in one must not lose a readable schedule.
        logger.warning("schedule repairs failed on project %s", project.source_id, exc_info=True)
        return project, [_failed("repairs_failed", "the data-quality repairs")]


def _findings(project: Project) -> list[ImportWarning]:
    try:
        return dcma_checks(project)
    except Exception:
        logger.warning("DCMA checks failed on project %s", project.source_id, exc_info=True)
        return [_failed("quality_checks_failed", "the DCMA quality checks")]


def _failed(code: str, step: str) -> ImportWarning:
    return ImportWarning(
        code, f"{step} failed on this file and were skipped; the schedule was imported as read."
    )


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 100_000 else f"{count:,} bytes"
