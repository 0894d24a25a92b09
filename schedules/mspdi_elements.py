"""Safe parsing of MSPDI XML and typed reading of its element values.

MSPDI writes durations as ISO 8601 working time (``PT16H0M0S``) and costs in hundredths of
the currency unit; ``ElementReader`` turns both into hours and currency units.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from schedules.errors import InvalidProjectError, MalformedScheduleError
from schedules.model import ImportWarning
from schedules.values import parse_finite

_NUMBER = r"\d+(?:\.\d*)?"
_DURATION = re.compile(
    rf"^(?P<sign>-)?P(?:(?P<days>{_NUMBER})D)?(?:T(?:(?P<hours>{_NUMBER})H)?"
    rf"(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?$"
)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']{1,40})["']""")


@dataclass(slots=True)
class ElementReader:
    """Typed values of child elements in one MSPDI document, and the warnings found so far.

    ``namespace`` is the ``{uri}`` prefix of the document's tags, empty when it has none.
    """

    namespace: str
    hours_per_day: float = 8.0
    hours_per_week: float = 40.0
    warnings: list[ImportWarning] = field(default_factory=list)

    def text(self, element: Element, name: str) -> str | None:
        value = element.findtext(self.namespace + name)
        return value.strip() if value is not None and value.strip() else None

    def number(self, element: Element, name: str) -> float | None:
        """Return the finite number in a child element, None when it is absent.

        Raises:
            InvalidProjectError: ``invalid_values`` when the text is not a finite number.
        """
        text = self.text(element, name)
        if text is None:
            return None
        value = parse_finite(text)
        if value is None:
            raise _invalid_value(element, name, text, self.namespace, "a finite number")
        return value

    def integer(self, element: Element, name: str) -> int | None:
        """Return the integer code in a child element, such as a ConstraintType.

        Raises:
            MalformedScheduleError: ``invalid_xml`` when the text is not an integer.
        """
        text = self.text(element, name)
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            owner = _owner(element, self.namespace)
            raise MalformedScheduleError(
                "invalid_xml",
                f"{owner} has {name} {text[:24]!r}, which is not an integer code as Microsoft "
                "Project XML requires; export the project from Microsoft Project again",
            ) from None

    def percent(self, element: Element, name: str) -> float | None:
        """Return a percentage from 0 to 100, None when it is absent.

        Raises:
            InvalidProjectError: ``invalid_values`` for text outside 0 to 100 or not a number.
        """
        value = self.number(element, name)
        if value is not None and not 0.0 <= value <= 100.0:
            text = self.text(element, name) or ""
            raise _invalid_value(element, name, text, self.namespace, "a percentage 0 to 100")
        return value

    def date(self, element: Element, name: str) -> datetime | None:
        """Return the datetime in a child element, None when it is absent.

        Raises:
            InvalidProjectError: ``invalid_values`` when the text is not an ISO 8601 date.
        """
        text = self.text(element, name)
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _invalid_value(
                element, name, text, self.namespace, "a date such as 2024-10-21T17:00:00"
            ) from None
        # The model stores local project time, so an offset is dropped and the clock kept.
        return moment.replace(tzinfo=None)

    def hours(self, element: Element, name: str) -> float | None:
        """Return an ISO 8601 duration in hours, None when it is absent.

        Raises:
            InvalidProjectError: ``invalid_values`` when the text is not a finite duration.
        """
        text = self.text(element, name)
        if text is None:
            return None
        hours = duration_hours(text, self.hours_per_day)
        if hours is None or not math.isfinite(hours):
            raise _invalid_value(
                element, name, text, self.namespace, "a duration such as PT8H0M0S"
            )
        return hours

    def money(self, element: Element, name: str) -> float | None:
        # MSPDI stores currency in hundredths: 352625 is 3,526.25.
        value = self.number(element, name)
        return value / 100 if value is not None else None

    def baseline(self, element: Element) -> Element | None:
        for baseline in element.iterfind(self.namespace + "Baseline"):
            if self.text(baseline, "Number") in (None, "0"):
                return baseline
        return None


def parse_xml(data: bytes) -> Element:
    """Parse XML bytes safely, rejecting DTDs, entity declarations and external references.

    Raises:
        MalformedScheduleError: ``xml_entities_forbidden`` or ``invalid_xml``.
    """
    try:
        root: Element = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as error:
        raise MalformedScheduleError(
            "xml_entities_forbidden",
            f"the XML file declares a DTD or entities ({type(error).__name__}), which are "
            "rejected because they can expand without limit or read other files; save the "
            "project again from Microsoft Project as XML",
        ) from error
    except (LookupError, ValueError) as error:
        # DefusedXmlException is a ValueError too, so this case must follow it. expat raises
        # LookupError for an unknown encoding name and ValueError for one it cannot decode,
        # such as UTF-32.
        raise MalformedScheduleError(
            "invalid_xml",
            f"the XML file could not be decoded from its declared encoding "
            f"{_declared_encoding(data)!r} ({error}); save the file as UTF-8 and upload it again",
        ) from error
    except ParseError as error:
        raise MalformedScheduleError(
            "invalid_xml", f"the XML file is not well formed ({error}); export it again"
        ) from error
    return root


def baseline_date(baseline: Element | None, name: str, reader: ElementReader) -> datetime | None:
    return reader.date(baseline, name) if baseline is not None else None


def baseline_money(
    baseline: Element | None, name: str, reader: ElementReader, default: float
) -> float:
    value = reader.money(baseline, name) if baseline is not None else None
    return value if value is not None else default


def baseline_hours(
    baseline: Element | None, name: str, reader: ElementReader, default: float
) -> float:
    value = reader.hours(baseline, name) if baseline is not None else None
    return value if value is not None else default


def duration_hours(text: str, hours_per_day: float) -> float | None:
    """Return an ISO 8601 duration such as ``PT16H0M0S`` in hours, None when it is not one."""
    match = _DURATION.match(text)
    if match is None:
        return None
    parts = {
        name: float(value) for name, value in match.groupdict().items() if value and name != "sign"
    }
    hours = (
        parts.get("days", 0.0) * hours_per_day
        + parts.get("hours", 0.0)
        + parts.get("minutes", 0.0) / 60
        + parts.get("seconds", 0.0) / 3600
    )
    return -hours if match.group("sign") else hours


def _owner(element: Element, namespace: str) -> str:
    """Name an element for a message, by its tag and its UID where it has one."""
    tag = element.tag.removeprefix(namespace)
    for key in ("UID", "PredecessorUID", "Number"):
        value = element.findtext(namespace + key)
        if value:
            return f"{tag} {key} {value.strip()[:24]}"
    return tag


def _invalid_value(
    element: Element, name: str, text: str, namespace: str, expected: str
) -> InvalidProjectError:
    return InvalidProjectError(
        f"{_owner(element, namespace)} has {name} {text[:24]!r}, which is not {expected}; "
        "correct it in Microsoft Project and export the file again",
        code="invalid_values",
    )


def _declared_encoding(data: bytes) -> str:
    match = _ENCODING.match(data[:200])
    return match.group(1).decode("ascii", errors="replace") if match else "unknown"
