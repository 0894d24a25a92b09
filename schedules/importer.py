"""The single entry point for schedule files: size and format checks, the reader for the
detected format, then the checks, repairs and quality findings every project goes through.

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
from schedules.validation import check_contents, validate_project
from schedules.xer import read_xer

logger = logging.getLogger(__name__)

Reader = Callable[[bytes], tuple[Project, list[ImportWarning]]]

_LEADING = b"\xef\xbb\xbf \t\r\n"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SCHEDULE_FORMATS = "a Primavera P6 XER, Microsoft Project XML or JSON project file"
# Signatures of files people upload by mistake: what the file is, and what to upload instead.
_KNOWN_OTHER_FORMATS = (
    (
        b"\xd0\xcf\x11\xe0",
        "a Microsoft Office binary file (such as .mpp or .xls)",
        "save the project from Microsoft Project as XML, or export it from Primavera P6 as "
        "XER, and upload that file",
    ),
    (
        b"PK\x03\x04",
        "a ZIP archive (such as .xlsx or a zipped export)",
        f"unzip it and upload {_SCHEDULE_FORMATS} from inside",
    ),
    (b"\x89PNG", "a PNG image", f"upload {_SCHEDULE_FORMATS}"),
    (b"%PDF", "a PDF document", f"upload {_SCHEDULE_FORMATS}"),
    (b"\xff\xd8\xff", "a JPEG image", f"upload {_SCHEDULE_FORMATS}"),
)
# OverflowError comes from float-to-int conversions of huge numbers, LookupError (which
# includes KeyError and IndexError) from an unknown codec as well as from lookups.
_READ_FAILURES = (ValueError, LookupError, TypeError, OverflowError, RecursionError)
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
    data = _utf16_as_utf8(data)
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
    check_contents(project)
    project, repairs = _repaired(project)
    project, adjustments = validate_project(project)
    return ImportResult(project, tuple(warnings + repairs + adjustments + _findings(project)))


def _utf16_as_utf8(data: bytes) -> bytes:
    """Re-encode UTF-16 text with a byte order mark as UTF-8, except XML.

    Windows editors save "Unicode" text as UTF-16. The XML parser reads UTF-16 itself, by
    the byte order mark and the encoding declaration, so XML is passed on unchanged.
    """
    if not data.startswith(_UTF16_BOMS):
        return data
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as error:
        raise UnsupportedFormatError(
            "unsupported_format",
            f"the file starts with a UTF-16 byte order mark but is not valid UTF-16 text "
            f"({error.reason} at byte {error.start}); save it as UTF-8 and upload it again",
        ) from error
    if text.lstrip(" \t\r\n").startswith("<"):
        return data
    return text.encode("utf-8")


def _detect(data: bytes, filename: str | None, project_id: str | None) -> tuple[str, Reader]:
    head = data[:1024].lstrip(_LEADING)
    if head.startswith(b"ERMHDR"):
        return "xer", lambda raw: read_xer(raw, project_id=project_id)
    if head.startswith(b"<") or head.startswith(_UTF16_BOMS):
        # Only UTF-16 XML keeps its byte order mark this far.
        return "mspdi", read_mspdi
    if head.startswith((b"{", b"[")):
        return "json", load_project_json
    raise _unrecognised(head, filename)


def _unrecognised(head: bytes, filename: str | None) -> ScheduleImportError:
    for signature, description, remedy in _KNOWN_OTHER_FORMATS:
        if head.startswith(signature):
            return UnsupportedFormatError(
                "unsupported_format", f"the file is {description}, not a schedule; {remedy}"
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
        f"the file is not {_SCHEDULE_FORMATS} (it starts with {head[:16]!r}); export the "
        "schedule in one of those formats",
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
