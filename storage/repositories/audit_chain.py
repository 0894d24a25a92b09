"""Hashing of audit entries and verification of the chain they form.

An entry's hash is the SHA-256 of a canonical JSON object of every stored field except the
hash itself: keys sorted, no spaces, times as UTC ISO 8601 with microseconds. Because the
object includes ``previous_hash``, each hash also covers every entry before it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from storage.models.audit import GENESIS_HASH

# Verification stops listing problems after this many; the first ones locate the damage.
MAX_PROBLEMS = 100


def content_hash(value: str | bytes | Mapping[str, Any] | list[Any]) -> str:
    """Return the SHA-256 hex digest of text, bytes, or a JSON value in canonical form."""
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8")
    else:
        data = canonical_json(value).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> str:
    """Return ``value`` as JSON with sorted keys and no whitespace, the form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def timestamp(moment: datetime) -> str:
    """Return ``moment`` in UTC as ISO 8601 with microseconds, the form that is hashed."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class EntryContent:
    """The hashed fields of one audit entry, as stored."""

    seq: int
    recorded_at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    report_id: uuid.UUID | None
    detail: Mapping[str, Any]
    before_hash: str | None
    after_hash: str | None
    previous_hash: str

    def digest(self) -> str:
        """Return the entry's hash over its fields and the previous entry's hash."""
        fields = {
            "seq": self.seq,
            "recorded_at": timestamp(self.recorded_at),
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "report_id": str(self.report_id) if self.report_id is not None else None,
            "detail": dict(self.detail),
            "before_hash": self.before_hash,
            "after_hash": self.after_hash,
            "previous_hash": self.previous_hash,
        }
        return content_hash(fields)


class ProblemKind(StrEnum):
    CHANGED = "changed"  # the entry's content no longer hashes to its stored hash
    MISSING = "missing"  # sequence numbers are absent: entries were deleted
    RELINKED = "relinked"  # the entry does not point at the hash of the entry before it
    HEAD = "head"  # the chain head disagrees with the last entry


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One break in the chain; ``seq`` is the entry where it shows."""

    seq: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The result of checking the whole chain."""

    entries: int
    last_seq: int
    head_seq: int | None
    head_hash: str | None
    problems: tuple[ChainProblem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


class ChainChecker:
    """Checks entries one by one in sequence order, then the chain head."""

    def __init__(self, max_problems: int = MAX_PROBLEMS) -> None:
        self._max_problems = max_problems
        self._problems: list[ChainProblem] = []
        self._expected_seq = 1
        self._previous_hash = GENESIS_HASH
        self._entries = 0

    def check_all(self, entries: Iterable[tuple[EntryContent, str]]) -> None:
        """Check (content, stored hash) pairs, which must come in increasing ``seq``."""
        for content, stored_hash in entries:
            self.check(content, stored_hash)

    def check(self, content: EntryContent, stored_hash: str) -> None:
        seq = content.seq
        self._entries += 1
        if seq > self._expected_seq:
            self._missing(self._expected_seq, seq - 1, "deleted from the log")
            # The link into a gap cannot be checked; continue from what the entry names.
            self._previous_hash = content.previous_hash
        if content.previous_hash != self._previous_hash:
            self._add(
                seq,
                ProblemKind.RELINKED,
                f"entry {seq} names {content.previous_hash} as the previous hash, but entry "
                f"{seq - 1} is stored with hash {self._previous_hash}: one of the two was "
                "changed and rehashed",
            )
        computed = content.digest()
        if computed != stored_hash:
            self._add(
                seq,
                ProblemKind.CHANGED,
                f"entry {seq} ({content.action} on {content.target_type} {content.target_id} "
                f"by {content.actor}) was changed: its content hashes to {computed}, not to "
                f"the stored {stored_hash}",
            )
        self._previous_hash = stored_hash
        self._expected_seq = seq + 1

    def finish(self, head: tuple[int, str] | None) -> ChainVerdict:
        """Compare the chain head with the last entry and return the verdict.

        An empty log without a head row is intact: it is what a reset of every table leaves.
        """
        last_seq = self._expected_seq - 1
        if head is None and self._entries:
            self._add(
                last_seq,
                ProblemKind.HEAD,
                "the chain head row is missing, so entries deleted from the end cannot be "
                "detected; the row was deleted outside the server",
            )
        elif head is not None:
            self._check_head(last_seq, *head)
        return ChainVerdict(
            entries=self._entries,
            last_seq=last_seq,
            head_seq=head[0] if head else None,
            head_hash=head[1] if head else None,
            problems=tuple(self._problems),
        )

    def _check_head(self, last_seq: int, head_seq: int, head_hash: str) -> None:
        if head_seq > last_seq:
            self._missing(last_seq + 1, head_seq, "deleted from the end of the log")
        elif head_seq < last_seq:
            self._add(
                head_seq + 1,
                ProblemKind.HEAD,
                f"entries {head_seq + 1} to {last_seq} lie beyond the chain head at "
                f"{head_seq}: they were inserted outside the server",
            )
        elif head_hash != self._previous_hash:
            self._add(
                last_seq,
                ProblemKind.HEAD,
                f"the chain head holds hash {head_hash} but the last entry {last_seq} is "
                f"stored with {self._previous_hash}: the last entry was replaced",
            )

    def _missing(self, first: int, last: int, cause: str) -> None:
        span = f"entry {first} is" if first == last else f"entries {first} to {last} are"
        self._add(first, ProblemKind.MISSING, f"{span} missing: {cause}")

    def _add(self, seq: int, kind: ProblemKind, message: str) -> None:
        if len(self._problems) < self._max_problems:
            self._problems.append(ChainProblem(seq, kind, message))
