"""Log lines carrying the report and job they concern, as text and as JSON."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from config import Settings
from config.logs import ContextFilter, JsonFormatter, configure_logging, log_context
from deployments.request_context import ids_in_path

REPORT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
JOB = uuid.UUID("00000000-0000-0000-0000-0000000000b2")


@pytest.fixture
def json_lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.config.json_lines")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_line_carries_report_and_job_ids(
    json_lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_lines

    with log_context(report_id=REPORT, job_id=JOB):
        logger.info("export %s started", "pdf")
    logger.info("outside any report")

    inside, outside = lines(stream)
    assert inside["message"] == "export pdf started"
    assert inside["report_id"] == str(REPORT)
    assert inside["job_id"] == str(JOB)
    assert inside["level"] == "INFO"
    assert "report_id" not in outside
    assert "job_id" not in outside


def test_nested_context_keeps_outer_ids(json_lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_lines

    with log_context(report_id=REPORT):
        with log_context(job_id=JOB):
            logger.info("inner")
        logger.info("outer")

    inner, outer = lines(stream)
    assert inner["report_id"] == str(REPORT)
    assert inner["job_id"] == str(JOB)
    assert outer["report_id"] == str(REPORT)
    assert "job_id" not in outer


def test_text_line_ends_with_ids() -> None:
    record = logging.LogRecord("pmr", logging.INFO, __file__, 1, "saved", None, None)

    with log_context(report_id=REPORT, job_id=JOB):
        ContextFilter().filter(record)

    assert getattr(record, "context", None) == f" [report_id={REPORT} job_id={JOB}]"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(f"/api/reports/pmr/{REPORT}", {"report_id": str(REPORT)}, id="report"),
        pytest.param(
            f"/ws/reports/pmr/{REPORT}/collaborate", {"report_id": str(REPORT)}, id="websocket"
        ),
        pytest.param(f"/api/jobs/{JOB}", {"job_id": str(JOB)}, id="job"),
        pytest.param("/api/reports/pmr/templates", {}, id="no-id"),
    ],
)
def test_request_path_names_its_ids(path: str, expected: dict[str, str]) -> None:
    assert ids_in_path(path) == expected


def test_library_steps_stay_below_info() -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    settings = Settings.model_construct(log_format="text")
    try:
        configure_logging(settings, level=logging.INFO)
        quiet = logging.getLogger("httpx").isEnabledFor(logging.INFO)
        configure_logging(settings, level=logging.DEBUG)
        verbose = logging.getLogger("weasyprint").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(level)
        for handler in set(root.handlers) - set(handlers):
            root.removeHandler(handler)
        for name in ("httpx", "httpcore", "weasyprint", "fontTools"):
            logging.getLogger(name).setLevel(logging.NOTSET)

    assert quiet is False
    assert verbose is True
