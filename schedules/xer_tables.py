"""The table layer of a Primavera P6 XER file: decoding and splitting into named tables.

An XER export is tab-separated text: an ``ERMHDR`` header line, then for each table a
``%T name`` line, a ``%F field...`` line and ``%R value...`` records, and ``%E`` at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from schedules.errors import MalformedScheduleError
from schedules.model import ImportWarning

logger = logging.getLogger(__name__)

XerRow = dict[str, str]

_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class XerTables:
    """The decoded header fields and the rows of every table, in file order."""

    header: tuple[str, ...]
    tables: Mapping[str, list[XerRow]]
    encoding: str
    warnings: tuple[ImportWarning, ...] = ()

    def rows(self, name: str) -> list[XerRow]:
        return self.tables.get(name, [])


@dataclass(slots=True)
class _Reader:
    tables: dict[str, list[XerRow]] = field(default_factory=dict)
    table: str | None = None
    fields: list[str] | None = None
    reshaped_rows: int = 0
    stray_lines: int = 0
    ended: bool = False


def decode_xer(data: bytes) -> tuple[str, str]:
    """Decode XER bytes as strict UTF-8, else as Windows-1252 (P6's usual export encoding).

    Returns the text and the encoding used. Bytes that Windows-1252 leaves undefined
    become U+FFFD, so odd bytes in text fields never stop an import. A UTF-8 byte order
    mark is removed before decoding, so a Windows-1252 file that an editor saved with one
    decodes as it would without it.
    """
    data = data.removeprefix(_UTF8_BOM)
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
    # Leading blank lines are tolerated, as the format detection skips them too.
    return text.lstrip(" \t\r\n"), encoding


def read_xer_tables(data: bytes) -> XerTables:
    """Split an XER file into its tables.

    Raises:
        MalformedScheduleError: ``not_xer`` when the header is missing, ``truncated`` when the
            file ends before ``%E``, ``invalid_xer`` when records come before field names.
    """
    text, encoding = decode_xer(data)
    # Lines end in CR LF, or LF. A file without any LF (saved by an old Mac editor) ends
    # its lines in CR alone. A lone CR in a file with LFs is left alone, inside its field.
    lines = text.split("\n") if "\n" in text else text.split("\r")
    header = lines[0].rstrip("\r").split("\t")
    if header[0] != "ERMHDR":
        raise MalformedScheduleError(
            "not_xer",
            f"the file does not start with the XER header ERMHDR (found {header[0][:20]!r}); "
            "export the project from Primavera P6 as an XER file",
        )
    reader = _Reader()
    for number, raw in enumerate(lines[1:], start=2):
        _read_line(reader, raw.rstrip("\r"), number, is_last=number == len(lines))
        if reader.ended:
            break
    if not reader.ended:
        place = f"inside table {reader.table}" if reader.table else "before any table"
        raise MalformedScheduleError(
            "truncated",
            f"the XER file ends at line {len(lines)} {place} "
            "without the %E end marker, so it was cut short; export it again and upload "
            "the whole file",
        )
    return XerTables(tuple(header[1:]), reader.tables, encoding, _reader_warnings(reader))


def _read_line(reader: _Reader, line: str, number: int, *, is_last: bool) -> None:
    kind, _, rest = line.partition("\t")
    if kind == "%R":
        _read_record(reader, rest.split("\t"), number, is_last=is_last)
    elif kind == "%T":
        reader.table, reader.fields = rest.strip(), None
        reader.tables.setdefault(reader.table, [])
    elif kind == "%F":
        if reader.table is None:
            raise MalformedScheduleError(
                "invalid_xer", f"line {number} lists field names (%F) before any table (%T)"
            )
        reader.fields = rest.split("\t")
    elif kind.strip() == "%E":
        reader.ended = True
    elif line.strip():
        reader.stray_lines += 1


def _read_record(reader: _Reader, values: list[str], number: int, *, is_last: bool) -> None:
    if reader.table is None or reader.fields is None:
        raise MalformedScheduleError(
            "invalid_xer",
            f"line {number} contains a record (%R) before its table's field names (%F)",
        )
    if len(values) != len(reader.fields):
        if is_last:
            raise MalformedScheduleError(
                "truncated",
                f"the last record of table {reader.table} (line {number}) has {len(values)} "
                f"of {len(reader.fields)} fields, so the file was cut short; export it again",
            )
        # A record that is short or long in the middle of a file is kept: missing
        # trailing fields read as empty and surplus ones are dropped.
        reader.reshaped_rows += 1
        values = (values + [""] * len(reader.fields))[: len(reader.fields)]
    reader.tables[reader.table].append(dict(zip(reader.fields, values, strict=True)))


def _reader_warnings(reader: _Reader) -> tuple[ImportWarning, ...]:
    warnings = []
    if reader.reshaped_rows:
        warnings.append(
            ImportWarning(
                "xer_record_length",
                f"{reader.reshaped_rows} XER records had more or fewer fields than their "
                "table's field list; missing fields were read as empty and extra ones "
                "ignored. Check the export if values look shifted.",
            )
        )
    if reader.stray_lines:
        warnings.append(
            ImportWarning(
                "xer_stray_lines",
                f"{reader.stray_lines} lines of the XER file were neither a table, field, "
                "record nor end marker and were ignored.",
            )
        )
    for warning in warnings:
        logger.debug("XER table reader: %s", warning.message)
    return tuple(warnings)
