"""Reading hostile uploads: each is rejected with a DocumentFormatError or read in bounded work."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from knowledge import extract

# Far above the milliseconds that bounded work takes, and far below the hours of unbounded work.
DEADLINE_SECONDS = 60.0


@contextmanager
def deadline() -> Iterator[None]:
    """Raise TimeoutError inside the block once it has run for DEADLINE_SECONDS.

    SIGALRM interrupts pure Python loops and the regular expression engine alike, so work
    that would run for hours fails the test instead of hanging it.
    """

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {DEADLINE_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, DEADLINE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_markdown_heading_with_long_run_of_spaces() -> None:
    text = "# Minutes" + " " * 20_000 + "of May ##\n\nThe sponsor met.\n\n# C# tools\n\nRetire.\n"

    with deadline():
        document = extract("minutes.md", text.encode())

    assert [(p.locator, p.text) for p in document.passages] == [
        ("section Minutes of May, paragraph 1", "The sponsor met."),
        ("section C# tools, paragraph 1", "Retire."),
    ]
