"""The report document: the shared types a report keeps in its pycrdt (Yjs) document.

Layout of the root types, which Yjs clients address by the same names:

- ``meta`` (Map): report_id, project_id, title, description, status, report_month,
  template_id, generated_at, last_modified (ISO 8601 strings) and version (integer).
- ``sections`` (Map): section_id -> Map with ``title`` (str), ``body`` (Text, edited
  live), ``order`` (int), ``metrics`` (Map of figures), ``ai_generated`` (bool) and
  ``confidence_score`` (float or absent).
- ``insights`` (Array of JSON objects), ``monte_carlo`` (Map holding the latest
  analysis under ``analysis``), ``metrics`` (Map of report-level figures such as the
  earned value block).
- ``comments`` (Map): comment_id -> Map with section_id, content, user_id, created_at,
  resolved and an optional ``anchor`` (a Yjs sticky index, hex-encoded).

Numbers written into Yjs come back as floats, as in JavaScript; ``order`` and ``version``
are therefore read back through ``int``.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pycrdt import Array, Doc, Map, Text

from crdt.errors import DocumentError, SectionNotFoundError
from crdt.protocol import decode_state_vector, update_start_clocks

META = "meta"
SECTIONS = "sections"
INSIGHTS = "insights"
MONTE_CARLO = "monte_carlo"
METRICS = "metrics"
COMMENTS = "comments"
# The only top-level shared types a report has; client updates may not create others.
ROOT_TYPES = frozenset({META, SECTIONS, INSIGHTS, MONTE_CARLO, METRICS, COMMENTS})
# Longest section body that direct edits may produce, in characters.
MAX_BODY_CHARS = 1_000_000
# Maximum characters in a section title; the REST schemas use the same limit.
MAX_TITLE_CHARS = 300
# difflib's time grows faster than the product of the lengths it compares. On two random
# texts over the letters a and b (Python 3.11, one core of a 2-core machine) it took 0.15 s
# for 1,000 characters and about 50 s for 20,000.
_MAX_DIFF_CHARS = 1_000
# Beyond that the changed part is diffed by lines, up to this many on each side. Two sides
# of 2,000 lines drawn from two distinct lines took 0.7 s, ordinary text a few milliseconds.
_MAX_DIFF_LINES = 2_000


class MergeStrategy(StrEnum):
    """How a direct section update combines with the body already in the document."""

    REPLACE = "replace"  # the new body replaces the old one
    MERGE = "merge"  # only the changed span is rewritten, so concurrent edits elsewhere survive
    APPEND = "append"  # the new body is added as a paragraph after the old one


class ReportDocument:
    """Typed access to a report's pycrdt ``Doc``; it owns no I/O and no event loop."""

    def __init__(self, doc: Doc[Any] | None = None) -> None:
        self.doc: Doc[Any] = doc if doc is not None else Doc()
        self._meta = self.doc.get(META, type=Map)
        self._sections = self.doc.get(SECTIONS, type=Map)
        self._insights = self.doc.get(INSIGHTS, type=Array)
        self._monte_carlo = self.doc.get(MONTE_CARLO, type=Map)
        self._metrics = self.doc.get(METRICS, type=Map)

    @classmethod
    def from_updates(cls, updates: Sequence[bytes]) -> ReportDocument:
        """Rebuild a document by applying stored updates in order."""
        document = cls()
        for update in updates:
            document.doc.apply_update(update)
        return document

    def fork(self) -> ReportDocument:
        """Return a copy that writes under the same client id, for staging an edit.

        The caller applies the copy's changes (``changes_since``) back to this document and
        must not stage two forks at once: both would author operations with the same ids.
        """
        copy: Doc[Any] = Doc(client_id=self.doc.client_id)
        copy.apply_update(self.doc.get_update())
        return ReportDocument(copy)

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def changes_since(self, state_vector: bytes) -> bytes:
        """Return the update holding everything this document has beyond ``state_vector``."""
        return self.doc.get_update(state_vector)

    def apply(self, update: bytes) -> None:
        self.doc.apply_update(update)

    def integrates(self, update: bytes) -> bool:
        """Return whether the structs of ``update``, applied before, are part of this document.

        Structs that follow a gap in their client's clock wait inside pycrdt, left out of
        the state vector and of every ``changes_since``, until an update fills the gap.
        """
        starts = update_start_clocks(update)
        if starts is None:
            # NOTE: structs of several clients in one update are taken as integrated; Yjs
            # clients send each local transaction as one client's update.
            return True
        present = decode_state_vector(self.state_vector())
        return all(present.get(client, 0) > clock for client, clock in starts.items())

    def snapshot(self) -> bytes:
        """Return the whole document as one update."""
        return self.doc.get_update()

    @property
    def is_empty(self) -> bool:
        return len(self._meta) == 0 and len(self._sections) == 0

    def set_meta(self, values: Mapping[str, Any]) -> None:
        with self.doc.transaction():
            for key, value in values.items():
                self._meta[key] = value

    def meta(self) -> dict[str, Any]:
        values = dict(self._meta.to_py() or {})
        if "version" in values:
            values["version"] = _number(values["version"])
        return values

    @property
    def version(self) -> int:
        return _number(self._meta.get("version", 0))

    def bump_version(self, modified_at: str) -> int:
        """Increase the version by one and stamp ``last_modified``; return the new version.

        NOTE: the server calls this for its own changes (generation, REST and JSON edits,
        chat). A Yjs client's update is stored and applied as sent, so it leaves the
        version and ``last_modified`` as they were.
        """
        version = self.version + 1
        with self.doc.transaction():
            self._meta["version"] = version
            self._meta["last_modified"] = modified_at
        return version

    def put_section(
        self,
        section_id: str,
        *,
        title: str,
        body: str,
        order: int,
        metrics: Mapping[str, Any] | None = None,
        ai_generated: bool = False,
        confidence_score: float | None = None,
    ) -> None:
        """Create a section, or overwrite every field of an existing one."""
        fields: dict[str, Any] = {
            "title": title,
            "body": Text(body),
            "order": order,
            "metrics": Map(dict(metrics or {})),
            "ai_generated": ai_generated,
        }
        if confidence_score is not None:
            fields["confidence_score"] = confidence_score
        with self.doc.transaction():
            self._sections[section_id] = Map(fields)

    def section_ids(self) -> list[str]:
        return [section_id for section_id, _ in self._ordered_sections()]

    def update_section(
        self,
        section_id: str,
        *,
        title: str | None = None,
        body: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        strategy: MergeStrategy = MergeStrategy.REPLACE,
    ) -> None:
        """Change a section's title, body and metrics according to ``strategy``.

        Values equal to the current ones are left alone, so a request that repeats what
        the section contains changes nothing in the document.

        Raises:
            SectionNotFoundError: the document has no section ``section_id``.
        """
        section = self._section(section_id)
        if title is not None and len(title) > MAX_TITLE_CHARS:
            raise DocumentError(
                f"section title too long: {len(title):,} characters, the maximum is "
                f"{MAX_TITLE_CHARS}"
            )
        with self.doc.transaction():
            if title is not None and section.get("title") != title:
                section["title"] = title
            if body is not None and _changes_body(section["body"], body, strategy):
                _write_body(section["body"], body, strategy)
                # Text a person wrote is no longer the generated narrative or its confidence.
                section["ai_generated"] = False
                if "confidence_score" in section:
                    del section["confidence_score"]
            if metrics is not None:
                _write_metrics(section["metrics"], metrics, strategy)

    def section_body(self, section_id: str) -> str:
        return str(self._section(section_id)["body"])

    def set_insights(self, insights: Sequence[Mapping[str, Any]]) -> None:
        with self.doc.transaction():
            self._insights.clear()
            self._insights.extend([dict(insight) for insight in insights])

    def set_monte_carlo(self, analysis: Mapping[str, Any]) -> None:
        with self.doc.transaction():
            self._monte_carlo["analysis"] = dict(analysis)

    def set_metrics(self, metrics: Mapping[str, Any]) -> None:
        with self.doc.transaction():
            for key, value in metrics.items():
                self._metrics[key] = value

    def section_view(self, section_id: str) -> dict[str, Any] | None:
        """Return one section as JSON-ready values, or None when it does not exist."""
        section = self._sections.get(section_id)
        if not isinstance(section, Map):
            return None
        return _section_values(section_id, section)

    def to_dict(self) -> dict[str, Any]:
        """Return the whole document as JSON-ready Python values, sections in order."""
        sections = [
            _section_values(section_id, section)
            for section_id, section in self._ordered_sections()
        ]
        return {
            "meta": self.meta(),
            "sections": sections,
            "insights": whole_numbers(self._insights.to_py() or []),
            "monte_carlo": levels_in_order(
                whole_numbers((self._monte_carlo.to_py() or {}).get("analysis"))
            ),
            "metrics": whole_numbers(self._metrics.to_py() or {}),
        }

    def sections_map(self) -> Map[Any]:
        sections: Map[Any] = self._sections
        return sections

    def section_map(self, section_id: str) -> Map[Any]:
        """Return the shared Map of one section.

        Raises:
            SectionNotFoundError: the document has no section ``section_id``.
        """
        return self._section(section_id)

    def _section(self, section_id: str) -> Map[Any]:
        section = self._sections.get(section_id)
        if not isinstance(section, Map):
            raise SectionNotFoundError(section_id, self.section_ids())
        return section

    def _ordered_sections(self) -> list[tuple[str, Map[Any]]]:
        entries = [
            (section_id, section)
            for section_id, section in self._sections.items()
            if isinstance(section, Map)
        ]
        return sorted(entries, key=lambda entry: (_number(entry[1].get("order", 0)), entry[0]))


def whole_numbers(value: Any) -> Any:
    """Return ``value`` with every whole-valued float turned back into an int.

    Yjs stores numbers as doubles, so an iteration count written as 10000 reads back as
    10000.0. A whole-valued ratio such as 1.0 reads as 1, which JSON treats the same.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return value


# The keys risk_analysis.result_view.level_key writes: p50, p97.5, and p1e-05 for tiny levels.
_LEVEL_KEY = re.compile(r"p\d+(\.\d+)?(e-\d+)?")


def level_confidence(key: object) -> float | None:
    """Return the percentage of a confidence level key such as ``p97.5``, else None."""
    if isinstance(key, str) and _LEVEL_KEY.fullmatch(key):
        return float(key[1:])
    return None


def levels_in_order(value: Any) -> Any:
    """Return ``value`` with each map keyed by confidence levels (p50, p97.5) in level order.

    A JSON value stored in a Yjs map keeps no key order, so p95 could come before p50.
    """
    if isinstance(value, dict):
        items = {key: levels_in_order(item) for key, item in value.items()}
        ranked = sorted(
            (level, key) for key in items if (level := level_confidence(key)) is not None
        )
        if items and len(ranked) == len(items):
            return {key: items[key] for _, key in ranked}
        return items
    if isinstance(value, list):
        return [levels_in_order(item) for item in value]
    return value


def _number(value: Any) -> int:
    """Read a Yjs number back as an integer; anything else (a client's mistake) counts as 0.

    Yjs numbers are doubles, so a client can store Infinity or NaN, which ``int`` rejects.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return 0


def _section_values(section_id: str, section: Map[Any]) -> dict[str, Any]:
    values = section.to_py() or {}
    return {
        "section_id": section_id,
        "title": values.get("title", ""),
        "order": _number(values.get("order", 0)),
        "body": values.get("body", ""),
        "metrics": whole_numbers(values.get("metrics") or {}),
        "ai_generated": bool(values.get("ai_generated", False)),
        "confidence_score": values.get("confidence_score"),
    }


def _changes_body(text: Text, body: str, strategy: MergeStrategy) -> bool:
    if strategy is MergeStrategy.APPEND:
        return body != ""
    return str(text) != body


def _write_metrics(target: Map[Any], metrics: Mapping[str, Any], strategy: MergeStrategy) -> None:
    current = target.to_py() or {}
    if strategy is MergeStrategy.REPLACE:
        for key in set(current) - set(metrics):
            del target[key]
    for key, value in metrics.items():
        if key not in current or not _same_value(current[key], value):
            target[key] = value


def _same_value(stored: Any, value: Any) -> bool:
    """Return whether writing ``value`` over ``stored`` would store the same JSON value.

    pycrdt stores every Python number as a float, so 1 and 1.0 are the same value, and NaN
    is the same as NaN. A boolean is not a number, although Python compares True equal to 1.
    """
    if isinstance(stored, bool) or isinstance(value, bool):
        return isinstance(stored, bool) and isinstance(value, bool) and stored == value
    if isinstance(stored, int | float) and isinstance(value, int | float):
        return stored == value or (math.isnan(stored) and math.isnan(value))
    if isinstance(stored, dict) and isinstance(value, Mapping):
        return stored.keys() == value.keys() and all(
            _same_value(stored[key], value[key]) for key in stored
        )
    if isinstance(stored, list) and isinstance(value, list | tuple):
        return len(stored) == len(value) and all(
            _same_value(left, right) for left, right in zip(stored, value, strict=True)
        )
    return bool(stored == value)


def _write_body(text: Text, body: str, strategy: MergeStrategy) -> None:
    if not isinstance(text, Text):
        raise DocumentError(f"section body is a {type(text).__name__}, expected Text")
    current = str(text)
    if len(body) > MAX_BODY_CHARS:
        raise DocumentError(f"a section body holds at most {MAX_BODY_CHARS:,} characters")
    if strategy is MergeStrategy.APPEND:
        separator = "\n\n" if current and body else ""
        if len(current) + len(separator) + len(body) > MAX_BODY_CHARS:
            raise DocumentError(
                f"appending {len(body):,} characters would take the section past "
                f"{MAX_BODY_CHARS:,} characters; shorten it or replace its body"
            )
        text += separator + body
    elif strategy is MergeStrategy.REPLACE:
        text.clear()
        text += body
    else:
        _apply_minimal_edit(text, current, body)


def _apply_minimal_edit(text: Text, current: str, wanted: str) -> None:
    """Rewrite only the spans that differ, so positions elsewhere keep their identity.

    The common prefix and suffix are kept. The part between them is diffed character by
    character when both sides are at most ``_MAX_DIFF_CHARS`` long, else line by line when
    both have at most ``_MAX_DIFF_LINES`` lines, else rewritten whole. pycrdt indexes Text
    by UTF-8 byte, so character offsets are converted before use, and edits are applied
    from the end so that earlier offsets stay valid.
    """
    prefix = _common_prefix_length(current, wanted)
    suffix = _common_prefix_length(current[prefix:][::-1], wanted[prefix:][::-1])
    old_middle = current[prefix : len(current) - suffix]
    new_middle = wanted[prefix : len(wanted) - suffix]
    edits = [op for op in _middle_opcodes(old_middle, new_middle) if op[0] != "equal"]
    # Byte offsets of the edits' starts and ends, counted forward once.
    byte_offsets = []
    position, offset = 0, len(current[:prefix].encode())
    for _, a_start, a_end, _, _ in edits:
        offset += len(old_middle[position:a_start].encode())
        end = offset + len(old_middle[a_start:a_end].encode())
        byte_offsets.append((offset, end))
        position, offset = a_end, end
    for (_, _, _, b_start, b_end), (start, end) in zip(
        reversed(edits), reversed(byte_offsets), strict=True
    ):
        if end > start:
            del text[start:end]
        if b_end > b_start:
            text.insert(start, new_middle[b_start:b_end])


def _middle_opcodes(old: str, new: str) -> Sequence[tuple[str, int, int, int, int]]:
    """Return difflib opcodes, in character offsets, that turn ``old`` into ``new``."""
    if max(len(old), len(new)) <= _MAX_DIFF_CHARS:
        return difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    if max(len(old_lines), len(new_lines)) > _MAX_DIFF_LINES:
        return [("replace", 0, len(old), 0, len(new))]
    old_starts = list(itertools.accumulate(map(len, old_lines), initial=0))
    new_starts = list(itertools.accumulate(map(len, new_lines), initial=0))
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    return [
        (tag, old_starts[i1], old_starts[i2], new_starts[j1], new_starts[j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def _common_prefix_length(first: str, second: str) -> int:
    pairs = zip(first, second, strict=False)
    differing = (index for index, (left, right) in enumerate(pairs) if left != right)
    return next(differing, min(len(first), len(second)))
