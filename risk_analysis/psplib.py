"""Reader for PSPLIB single-mode project files (.sm), the RCPSP benchmark instances.

A file lists jobs 1..n (a dummy source first and a dummy sink last) with their successors
and durations in periods. The header's "MPM-Time" column is the critical-path length of the
precedence network without resource limits, which CPM must reproduce.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from risk_analysis.errors import PsplibFormatError
from schedules.model import Activity, ActivityStatus, ActivityType, Project, Relationship

# PSPLIB has no calendar; each period becomes one hour after this arbitrary data date.
PSPLIB_DATA_DATE = datetime(2000, 1, 1)

_JOBS = re.compile(r"^jobs \(incl\. supersource/sink \)\s*:\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class PsplibInstance:
    """One instance: job ``j`` (1-based) has ``durations[j - 1]`` and ``successors[j - 1]``."""

    name: str
    durations: tuple[int, ...]
    successors: tuple[tuple[int, ...], ...]
    mpm_time: int | None

    def to_project(self) -> Project:
        """Return the instance as a not-started project with finish-to-start links."""
        activities = tuple(
            Activity(
                id=str(job),
                code=str(job),
                name=f"job {job}",
                type=ActivityType.TASK,
                status=ActivityStatus.NOT_STARTED,
                original_duration_hours=float(duration),
                remaining_duration_hours=float(duration),
            )
            for job, duration in enumerate(self.durations, start=1)
        )
        relationships = tuple(
            Relationship(predecessor_id=str(job), successor_id=str(successor))
            for job, successors in enumerate(self.successors, start=1)
            for successor in successors
        )
        return Project(
            source_id=self.name,
            name=self.name,
            currency="",
            data_date=PSPLIB_DATA_DATE,
            source_format="psplib",
            activities=activities,
            relationships=relationships,
        )


def read_psplib(path: Path) -> PsplibInstance:
    """Read a PSPLIB .sm file; raise PsplibFormatError naming the line that breaks the format."""
    return parse_psplib(path.read_text(encoding="ascii", errors="replace"), path.name)


def parse_psplib(text: str, source: str) -> PsplibInstance:
    """Parse the text of a PSPLIB .sm file; ``source`` names it in error messages."""
    lines = text.splitlines()
    jobs = _job_count(lines, source)
    successors = _precedence(lines, jobs, source)
    durations = _durations(lines, jobs, source)
    for job, following in enumerate(successors, start=1):
        for successor in following:
            if not 1 <= successor <= jobs:
                raise PsplibFormatError(
                    f"job {job} lists successor {successor}, outside jobs 1 to {jobs}", source
                )
    name = source.removesuffix(".sm")
    return PsplibInstance(name, durations, successors, _mpm_time(lines, source))


def _job_count(lines: Sequence[str], source: str) -> int:
    for line in lines:
        match = _JOBS.match(line.strip())
        if match:
            return int(match.group(1))
    raise PsplibFormatError(
        "no 'jobs (incl. supersource/sink )' line; is this a .sm file?", source
    )


def _section(lines: Sequence[str], title: str, source: str) -> int:
    """Return the index of the line after a section title."""
    for index, line in enumerate(lines):
        if line.strip() == title:
            return index + 1
    raise PsplibFormatError(f"section {title!r} is missing", source)


def _rows(
    lines: Sequence[str], start: int, count: int, source: str
) -> Iterator[tuple[int, list[int]]]:
    """Yield (line number, integers) for ``count`` data lines from ``start``."""
    for index in range(start, start + count):
        if index >= len(lines):
            raise PsplibFormatError(f"file ends before all {count} job lines", source, index + 1)
        try:
            yield index + 1, [int(field) for field in lines[index].split()]
        except ValueError:
            raise PsplibFormatError(
                f"expected whole numbers, got {lines[index].strip()!r}", source, index + 1
            ) from None


def _precedence(lines: Sequence[str], jobs: int, source: str) -> tuple[tuple[int, ...], ...]:
    start = _section(lines, "PRECEDENCE RELATIONS:", source) + 1  # skip the column titles
    successors = []
    for expected, (number, fields) in enumerate(_rows(lines, start, jobs, source), start=1):
        if len(fields) < 3 or fields[0] != expected:
            raise PsplibFormatError(f"expected the line of job {expected}", source, number)
        if fields[1] != 1:
            raise PsplibFormatError(
                f"job {expected} has {fields[1]} modes; only single-mode files are supported",
                source,
                number,
            )
        if len(fields) - 3 != fields[2]:
            raise PsplibFormatError(
                f"job {expected} announces {fields[2]} successors but lists {len(fields) - 3}",
                source,
                number,
            )
        successors.append(tuple(fields[3:]))
    return tuple(successors)


def _durations(lines: Sequence[str], jobs: int, source: str) -> tuple[int, ...]:
    start = _section(lines, "REQUESTS/DURATIONS:", source) + 2  # skip titles and dashes
    durations = []
    for expected, (number, fields) in enumerate(_rows(lines, start, jobs, source), start=1):
        if len(fields) < 3 or fields[0] != expected:
            raise PsplibFormatError(f"expected the duration of job {expected}", source, number)
        if fields[2] < 0:
            raise PsplibFormatError(f"job {expected} has a negative duration", source, number)
        durations.append(fields[2])
    return tuple(durations)


def _mpm_time(lines: Sequence[str], source: str) -> int | None:
    """Return the header's MPM-Time, or None when the file has no such column."""
    try:
        start = _section(lines, "PROJECT INFORMATION:", source)
    except PsplibFormatError:
        return None
    if start + 1 >= len(lines):
        return None
    titles = lines[start].split()
    values = lines[start + 1].split()
    if "MPM-Time" not in titles or len(values) != len(titles):
        return None
    try:
        return int(values[titles.index("MPM-Time")])
    except ValueError:
        raise PsplibFormatError(
            f"MPM-Time is not a whole number: {values[titles.index('MPM-Time')]!r}",
            source,
            start + 2,
        ) from None
