from __future__ import annotations

from pathlib import Path

import pytest

from risk_analysis.cpm import schedule_project
from risk_analysis.errors import PsplibFormatError
from risk_analysis.psplib import parse_psplib, read_psplib

PUBLISHED_MPM_TIMES = {"j301_1": 38, "j3010_1": 41, "j1201_1": 99, "j12010_1": 111}

SMALL = """\
************************************************************************
jobs (incl. supersource/sink ):  4
************************************************************************
PROJECT INFORMATION:
pronr.  #jobs rel.date duedate tardcost  MPM-Time
    1      2      0        9        3        7
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1
------------------------------------------------------------------------
  1      1     0       0
  2      1     7       2
  3      1     5       1
  4      1     0       0
************************************************************************
"""


@pytest.mark.parametrize("name", list(PUBLISHED_MPM_TIMES), ids=list(PUBLISHED_MPM_TIMES))
def test_psplib_header_gives_the_published_mpm_time(shared_data: Path, name: str) -> None:
    instance = read_psplib(shared_data / "psplib" / f"{name}.sm")

    assert instance.mpm_time == PUBLISHED_MPM_TIMES[name]


@pytest.mark.parametrize("name", list(PUBLISHED_MPM_TIMES), ids=list(PUBLISHED_MPM_TIMES))
def test_cpm_reproduces_the_psplib_mpm_time(shared_data: Path, name: str) -> None:
    instance = read_psplib(shared_data / "psplib" / f"{name}.sm")

    result = schedule_project(instance.to_project())

    assert result.project_finish_hours == instance.mpm_time
    assert result.project_finish is None


def test_parse_psplib_reads_jobs_durations_and_successors() -> None:
    instance = parse_psplib(SMALL, "small.sm")

    assert instance.name == "small"
    assert instance.durations == (0, 7, 5, 0)
    assert instance.successors == ((2, 3), (4,), (4,), ())
    assert instance.mpm_time == 7


def test_parse_psplib_without_header_has_no_mpm_time() -> None:
    text = SMALL.replace("MPM-Time", "").replace("3        7", "3")

    instance = parse_psplib(text, "small.sm")

    assert instance.mpm_time is None


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("   2        1          1           4", "   2        1          2           4", 11,
         "announces 2 successors"),
        ("   3        1          1           4", "   3        2          1           4", 12,
         "single-mode"),
        ("  3      1     5       1", "  3      1     x       1", 20, "whole numbers"),
        ("   3        1          1           4", "   3        1          1           9", None,
         "outside jobs 1 to 4"),
    ],
    ids=["successor-count", "multi-mode", "not-a-number", "unknown-successor"],
)  # fmt: skip
def test_parse_psplib_names_the_faulty_line(
    old: str, new: str, line: int | None, words: str
) -> None:
    text = SMALL.replace(old, new)

    with pytest.raises(PsplibFormatError) as caught:
        parse_psplib(text, "small.sm")

    assert caught.value.line == line
    assert words in str(caught.value)


def test_parse_psplib_rejects_a_truncated_file() -> None:
    text = SMALL[: SMALL.index("  4      1     0")]

    with pytest.raises(PsplibFormatError) as caught:
        parse_psplib(text, "small.sm")

    assert "ends before all 4 job lines" in str(caught.value)
