"""Safe parsing of MSPDI XML and typed reading of its element values.

MSPDI writes durations as ISO 8601 working time (``PT16H0M0S``) and costs in hundredths of
the currency unit; ``ElementReader`` turns both into hours and currency units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from schedules.errors import MalformedScheduleError
from schedules.model import ImportWarning

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<days>[\d.]+)D)?(?:T(?:(?P<hours>[\d.]+)H)?"
    r"(?:(?P<minutes>[\d.]+)M)?(?:(?P<seconds>[\d.]+)S)?)?$"
)


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
        text = self.text(element, name)
        try:
            return float(text) if text is not None else None
        except ValueError:
            return None

    def date(self, element: Element, name: str) -> datetime | None:
        text = self.text(element, name)
        try:
            return datetime.fromisoformat(text) if text else None
        except ValueError:
            return None

    def hours(self, element: Element, name: str) -> float | None:
        text = self.text(element, name)
        return duration_hours(text, self.hours_per_day) if text else None

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
