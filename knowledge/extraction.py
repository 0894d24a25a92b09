"""Reading uploaded documents into located passages: plain text, Markdown and PDF.

Plain text is split at paragraphs, Markdown at its headings (each passage is located by
the heading it sits under), PDF page by page with pypdf's text extraction.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError

from knowledge.errors import DocumentFormatError
from knowledge.passages import iter_split_text

logger = logging.getLogger(__name__)

MEDIA_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
PDF = "application/pdf"
# Passages stored per document. Each becomes a row and an index entry, so a file of millions
# of one-word paragraphs is rejected before it is held in memory several times over.
MAX_PASSAGES = 50_000
# Pages read per PDF; pypdf spends time on every page, including pages without text.
MAX_PDF_PAGES = 10_000
# The heading's text is matched greedily and its closing hashes are dropped in code, because
# a lazy group followed by optional spaces and hashes backtracks in cubic time on a long run
# of spaces. [ \t] in place of \s keeps a match within one line.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S.*)$", re.MULTILINE)
# Control characters that str.split() does not count as whitespace. Some PDF fonts map
# glyphs to them, and PostgreSQL rejects NUL in text columns.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")


@dataclass(frozen=True, slots=True)
class ExtractedPassage:
    locator: str
    text: str


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    name: str
    media_type: str
    passages: tuple[ExtractedPassage, ...]


def media_type_of(name: str, data: bytes) -> str:
    """Return the media type from the content (PDF) or the file name's extension.

    Raises:
        DocumentFormatError: the file is empty, is named .pdf without being a PDF, or is
            neither PDF nor named .txt, .md or .markdown.
    """
    if not data:
        raise DocumentFormatError(name, "the file is empty (0 bytes)")
    if data.startswith(b"%PDF-"):
        return PDF
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    if suffix == ".pdf":
        raise DocumentFormatError(
            name, "it is named .pdf but does not start with %PDF-, so it is not a PDF"
        )
    raise DocumentFormatError(
        name, "unsupported type; upload a PDF, a .txt or a .md (Markdown) file"
    )


def extract(name: str, data: bytes) -> ExtractedDocument:
    """Read ``data`` into passages.

    Raises:
        DocumentFormatError: the type is unsupported, the text is not UTF-8, the PDF is
            damaged, encrypted or past pypdf's limits, the file contains no text, or it has
            more than MAX_PDF_PAGES pages or MAX_PASSAGES passages.
    """
    media_type = media_type_of(name, data)
    pieces: Iterator[ExtractedPassage]
    if media_type == PDF:
        pieces = _pdf(name, data)
    elif media_type == "text/markdown":
        pieces = _markdown(_decode(name, data))
    else:
        pieces = (
            ExtractedPassage(f"paragraph {n}", piece)
            for n, piece in enumerate(iter_split_text(_decode(name, data)), start=1)
        )
    passages = tuple(itertools.islice(pieces, MAX_PASSAGES + 1))
    if len(passages) > MAX_PASSAGES:
        raise DocumentFormatError(
            name, f"it splits into more than {MAX_PASSAGES:,} passages; upload it in parts"
        )
    if not passages:
        raise DocumentFormatError(name, "it holds no text (a scanned PDF needs OCR first)")
    return ExtractedDocument(name, media_type, passages)


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentFormatError(
            name, f"it is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from error
    if "\x00" in text:
        raise DocumentFormatError(name, "it contains NUL characters, so it is not text")
    return text


def _markdown(text: str) -> Iterator[ExtractedPassage]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    heading = "introduction"
    start = 0
    for match in _HEADING.finditer(text):
        yield from _section(heading, text[start : match.start()])
        heading = _heading_text(match.group(2))[:150]
        start = match.end()
    yield from _section(heading, text[start:])


def _section(heading: str, body: str) -> Iterator[ExtractedPassage]:
    for number, piece in enumerate(iter_split_text(body), start=1):
        yield ExtractedPassage(f"section {heading}, paragraph {number}", piece)


def _heading_text(text: str) -> str:
    """Return a heading's words without the optional closing run of hashes."""
    words = text.split()
    if len(words) > 1 and not words[-1].strip("#"):
        words.pop()
    return " ".join(words)


def _pdf(name: str, data: bytes) -> Iterator[ExtractedPassage]:
    with _pdf_errors(name):
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentFormatError(name, "the PDF is encrypted; upload an unprotected copy")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise DocumentFormatError(
                name,
                f"the PDF has {len(pages):,} pages, more than the {MAX_PDF_PAGES:,} read per "
                "document; upload it in parts",
            )
    logger.debug("PDF %s: %d pages", name, len(pages))
    for index in range(len(pages)):
        with _pdf_errors(name):
            text = pages[index].extract_text() or ""
        for piece in iter_split_text(_CONTROL.sub(" ", text)):
            yield ExtractedPassage(f"page {index + 1}", piece)


@contextmanager
def _pdf_errors(name: str) -> Iterator[None]:
    """Translate pypdf's errors, and the built-in ones it raises, into DocumentFormatError."""
    try:
        yield
    except LimitReachedError as error:
        # pypdf bounds page tree depth and decompressed stream sizes.
        raise DocumentFormatError(name, f"the PDF exceeds a safety limit: {error}") from error
    except RecursionError as error:
        raise DocumentFormatError(name, "the PDF nests its objects too deeply") from error
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        # pypdf raises these on damaged cross-reference tables and object streams.
        raise DocumentFormatError(name, f"the PDF is damaged: {error}") from error
