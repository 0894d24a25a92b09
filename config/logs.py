"""Log lines as text or JSON, carrying the report and job they concern.

``PMR_LOG_FORMAT=json`` writes one JSON object per line with ``time``, ``level``,
``logger``, ``message``, ``pid`` and, when known, ``report_id`` and ``job_id``. The ids come
from ``log_context`` (a context variable, so concurrent requests and tasks keep theirs) or,
in a report actor's process, which serves exactly one report, from ``bind_process``.
``configure_logging`` runs in every process that logs: the command line, API replicas,
report actors and Ray tasks, whose root logger Ray leaves without a handler.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from config.settings import Settings

_CONTEXT_FIELDS = ("report_id", "job_id")
_context: ContextVar[dict[str, str] | None] = ContextVar("pmr_log_context", default=None)
_process_context: dict[str, str] = {}
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Attach the ids given (``report_id``, ``job_id``; None skipped) to lines logged inside."""
    current = dict(_context.get() or {})
    current.update({key: str(value) for key, value in ids.items() if value is not None})
    token = _context.set(current)
    try:
        yield
    finally:
        _context.reset(token)


def bind_process(**ids: object) -> None:
    """Attach ids to every line this process logs outside a ``log_context``."""
    _process_context.update({key: str(value) for key, value in ids.items() if value is not None})


def current_ids() -> dict[str, str]:
    """Return the ids that a line logged now would carry."""
    return {**_process_context, **(_context.get() or {})}


class ContextFilter(logging.Filter):
    """Copies the current ids onto each record, and a text suffix for the text format."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = current_ids()
        for name in _CONTEXT_FIELDS:
            setattr(record, name, ids.get(name))
        suffix = " ".join(f"{name}={ids[name]}" for name in _CONTEXT_FIELDS if name in ids)
        record.context = f" [{suffix}]" if suffix else ""
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process or os.getpid(),
        }
        for name in _CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# Libraries that log routine steps at INFO: a line per HTTP request (httpx, httpcore) and per
# rendering step (WeasyPrint, fontTools). They log at WARNING and above unless in debug.
_CHATTY_LOGGERS = ("httpx", "httpcore", "weasyprint", "fontTools")


class _PmrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure_logging`` installs; found again by its type."""


def configure_logging(settings: Settings, *, level: int = logging.INFO) -> None:
    """Send this process's log lines to standard error in the configured format, once.

    Calling it again replaces the format and level, so a process that serves several
    reports or tasks keeps one handler.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _PmrHandler)), None)
    if handler is None:
        handler = _PmrHandler(sys.stderr)
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    root.setLevel(level)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if level > logging.DEBUG else level)
