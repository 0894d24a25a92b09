"""Reading hostile uploads: each is rejected with a DocumentFormatError or read in bounded work."""

from __future__ import annotations

import signal
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

from knowledge import DocumentFormatError, extract, split_text
from knowledge.extraction import MAX_PASSAGES, MAX_PDF_PAGES

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


def pdf(*objects: bytes) -> bytes:
    """Build a PDF of the given objects, numbered from 1, with object 1 as its catalog."""
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(output)


def stream(data: bytes, *, flate: bool = False) -> bytes:
    header = b"<< /Length %d%s >>" % (len(data), b" /Filter /FlateDecode" if flate else b"")
    return header + b"\nstream\n" + data + b"\nendstream"


PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>"
)
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def one_page_pdf(content: bytes, *, flate: bool = False) -> bytes:
    return pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        stream(content, flate=flate),
        FONT,
    )


def zeros_compressed(megabytes: int) -> bytes:
    """Return ``megabytes`` MiB of zero bytes, deflated without holding them in memory."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(megabytes)]
    return b"".join(parts) + compressor.flush()


def deep_page_tree_pdf(depth: int) -> bytes:
    """Build a PDF whose one page sits under ``depth`` nested page tree nodes."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for number in range(2, depth + 2):
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (number + 1))
    page = depth + 2
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page - 1, page + 1, page + 2)
    )
    objects.append(stream(b"BT /F1 12 Tf 72 720 Td (Deep) Tj ET"))
    objects.append(FONT)
    return pdf(*objects)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            one_page_pdf(b"BT /F1 12 Tf 72 720 Td " + b"[" * 50_000 + b"]" * 50_000 + b" TJ ET"),
            "nests its objects too deeply",
            id="nested-arrays",
        ),
        pytest.param(
            deep_page_tree_pdf(500), "safety limit: Maximum page tree depth", id="deep-tree"
        ),
        pytest.param(
            one_page_pdf(zeros_compressed(100), flate=True),
            "safety limit: Limit reached while decompressing",
            id="flate-bomb",
        ),
    ],
)
def test_pdf_past_reader_limits_is_rejected(data: bytes, message: str) -> None:
    with pytest.raises(DocumentFormatError, match=message):
        extract("contract.pdf", data)


def test_pdf_control_characters_become_spaces() -> None:
    data = one_page_pdf(b"BT /F1 12 Tf 72 720 Td (Crane\\000hire\\001quote\\177) Tj ET")

    document = extract("contract.pdf", data)

    assert [p.text for p in document.passages] == ["Crane hire quote"]


def test_split_text_of_long_unbroken_run() -> None:
    text = "x" * 4_000_000

    with deadline():
        pieces = split_text(text, max_chars=1)

    assert len(pieces) == 4_000_000
    assert set(pieces) == {"x"}


def test_document_with_too_many_passages_is_rejected() -> None:
    data = b"a\n\n" * (MAX_PASSAGES + 1)

    with pytest.raises(DocumentFormatError, match="more than 50,000 passages; upload it in parts"):
        extract("notes.txt", data)


def test_pdf_with_too_many_pages_is_rejected() -> None:
    pages = MAX_PDF_PAGES + 1
    kids = b" ".join(b"%d 0 R" % number for number in range(3, pages + 3))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
    data = pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        *[page] * pages,
    )

    with pytest.raises(DocumentFormatError, match="10,001 pages, more than the 10,000 read"):
        extract("drawings.pdf", data)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param("notes.txt", b"", r"the file is empty \(0 bytes\)", id="empty-text"),
        pytest.param("scan.pdf", b"", r"the file is empty \(0 bytes\)", id="empty-pdf"),
        pytest.param(
            "contract.pdf",
            b"<html>Sign in to download</html>",
            "named .pdf but does not start with %PDF-",
            id="html-named-pdf",
        ),
    ],
)
def test_misleading_upload_is_named(name: str, data: bytes, message: str) -> None:
    with pytest.raises(DocumentFormatError, match=message) as raised:
        extract(name, data)

    assert "unsupported type" not in raised.value.detail


def test_whitespace_of_every_kind_collapses_like_str_split() -> None:
    spaces = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())

    assert split_text(f"one{spaces}two") == [" ".join(f"one{spaces}two".split())]
    assert split_text(f"one{spaces}two") == ["one two"]
