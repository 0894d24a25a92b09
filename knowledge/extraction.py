"""Reading uploaded documents into located passages: plain text, Markdown and PDF.

Plain text is split at paragraphs, Markdown at its headings (each passage is located by
the heading it sits under), PDF page by page with pypdf's text extraction.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError

from knowledge.errors import DocumentFormatError
from knowledge.passages import split_text

logger = logging.getLogger(__name__)

MEDIA_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
PDF = "application/pdf"
# The heading's text is matched greedily and its closing hashes are dropped in code, because
# a lazy group followed by optional spaces and hashes backtracks in cubic time on a long run
# of spaces.
_HEADING = re.compile(r"(#{1,6})\s+(\S.*)")
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
        DocumentFormatError: the file is neither PDF nor named .txt, .md or .markdown.
    """
    if data.startswith(b"%PDF-"):
        return PDF
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    raise DocumentFormatError(
        name, "unsupported type; upload a PDF, a .txt or a .md (Markdown) file"
    )


def extract(name: str, data: bytes) -> ExtractedDocument:
    """Read ``data`` into passages.

    Raises:
        DocumentFormatError: the type is unsupported, the text is not UTF-8, the PDF is
            damaged, encrypted or past pypdf's limits, or the file contains no text.
    """
    media_type = media_type_of(name, data)
    if media_type == PDF:
        passages = _pdf(name, data)
    elif media_type == "text/markdown":
        passages = _markdown(_decode(name, data))
    else:
        passages = [
            ExtractedPassage(f"paragraph {n}", piece)
            for n, piece in enumerate(split_text(_decode(name, data)), start=1)
        ]
    if not passages:
        raise DocumentFormatError(name, "it holds no text (a scanned PDF needs OCR first)")
    return ExtractedDocument(name, media_type, tuple(passages))


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


def _markdown(text: str) -> list[ExtractedPassage]:
    passages: list[ExtractedPassage] = []
    heading = "introduction"
    lines: list[str] = []

    def flush() -> None:
        for number, piece in enumerate(split_text("\n".join(lines)), start=1):
            passages.append(ExtractedPassage(f"section {heading}, paragraph {number}", piece))
        lines.clear()

    for line in text.splitlines():
        match = _HEADING.fullmatch(line)
        if match:
            flush()
            heading = _heading_text(match.group(2))[:150]
        else:
            lines.append(line)
    flush()
    return passages


def _heading_text(text: str) -> str:
    """Return a heading's words without the optional closing run of hashes."""
    words = text.split()
    if len(words) > 1 and not words[-1].strip("#"):
        words.pop()
    return " ".join(words)


def _pdf(name: str, data: bytes) -> list[ExtractedPassage]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentFormatError(name, "the PDF is encrypted; upload an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except LimitReachedError as error:
        # pypdf bounds page tree depth and decompressed stream sizes.
        raise DocumentFormatError(name, f"the PDF exceeds a safety limit: {error}") from error
    except RecursionError as error:
        raise DocumentFormatError(name, "the PDF nests its objects too deeply") from error
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        # pypdf raises these on damaged cross-reference tables and object streams.
        raise DocumentFormatError(name, f"the PDF is damaged: {error}") from error
    passages = []
    for page_number, text in enumerate(pages, start=1):
        for piece in split_text(_CONTROL.sub(" ", text)):
            passages.append(ExtractedPassage(f"page {page_number}", piece))
    logger.debug("PDF %s: %d pages, %d passages", name, len(pages), len(passages))
    return passages
