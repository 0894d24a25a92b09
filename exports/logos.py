"""Logo images: PNG and JPEG re-encoded without metadata, SVG cleaned to an allow-list.

An SVG can carry scripts, event handlers, external references and entity expansions; the
cleaner parses it with defusedxml (no DTDs, no entities) and keeps only drawing elements
and presentation attributes, with references limited to fragments of the same file.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote_to_bytes

from defusedxml import ElementTree as SafeET
from PIL import Image, UnidentifiedImageError

from exports.branding import Logo
from exports.errors import LogoError, LogoTooLargeError, LogoTypeError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_PIXELS = 4096 * 4096
_ELEMENTS = frozenset(
    [
        "svg",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "defs",
        "linearGradient",
        "radialGradient",
        "stop",
        "title",
        "desc",
        "clipPath",
        "symbol",
        "use",
    ]
)
_ATTRIBUTES = frozenset(
    [
        "id",
        "x",
        "y",
        "x1",
        "y1",
        "x2",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "fx",
        "fy",
        "width",
        "height",
        "d",
        "points",
        "viewBox",
        "preserveAspectRatio",
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-dasharray",
        "stroke-miterlimit",
        "opacity",
        "transform",
        "offset",
        "stop-color",
        "stop-opacity",
        "gradientUnits",
        "gradientTransform",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "dominant-baseline",
        "letter-spacing",
        "clip-path",
        "clip-rule",
        "version",
        "href",
    ]
)
_URL_VALUE = re.compile(r"url\(\s*['\"]?(?P<target>[^)'\"]*)['\"]?\s*\)", re.IGNORECASE)
_DATA_URL = re.compile(r"^data:(?P<type>[\w.+/-]+)(?P<base64>;base64)?,(?P<data>.*)$", re.DOTALL)
_TYPES = {"image/png", "image/jpeg", "image/svg+xml"}
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def _local(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _safe_value(value: str) -> bool:
    lowered = value.lower()
    if "javascript:" in lowered or "data:" in lowered or "<" in value:
        return False
    return all(match.group("target").startswith("#") for match in _URL_VALUE.finditer(value))


def _allowed_attribute(name: str, value: str) -> bool:
    namespace, local = _local(name)
    if local not in _ATTRIBUTES or namespace not in ("", XLINK_NS) or not _safe_value(value):
        return False
    # A reference may only point inside this file.
    return local != "href" or value.startswith("#")


def _clean(source: ET.Element, target: ET.Element) -> int:
    dropped = 0
    for name, value in source.attrib.items():
        if _allowed_attribute(name, value):
            target.set(name, value)
        else:
            dropped += 1
    target.text = source.text
    for child in source:
        namespace, local = _local(child.tag)
        if namespace != SVG_NS or local not in _ELEMENTS:
            dropped += 1
            continue
        copy = ET.SubElement(target, child.tag)
        copy.tail = child.tail
        dropped += _clean(child, copy)
    return dropped


def sanitise_svg(data: bytes) -> bytes:
    """Return the SVG with everything outside the drawing allow-list removed.

    Raises:
        LogoError: the data is not well-formed XML, uses a DTD or entities, or its root is
            not an SVG element.
    """
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except Exception as error:
        raise LogoError(f"the SVG logo cannot be read safely: {error}") from error
    if root.tag != f"{{{SVG_NS}}}svg":
        raise LogoError(f"the logo's root element is {root.tag!r}, expected an SVG <svg> element")
    clean = ET.Element(root.tag)
    _clean(root, clean)
    cleaned: bytes = ET.tostring(clean, encoding="utf-8", xml_declaration=True)
    return cleaned


def _raster(data: bytes, content_type: str) -> bytes:
    """Re-encode a PNG or JPEG, which drops EXIF and other metadata."""
    # Only the sniffed format's decoder may read the data, not any Pillow supports.
    formats = ["PNG"] if content_type == "image/png" else ["JPEG"]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            if image.width * image.height > MAX_PIXELS:
                raise LogoError(
                    f"the logo is {image.width} x {image.height} pixels; "
                    f"use at most {MAX_PIXELS:,} pixels"
                )
            image.load()
            output = io.BytesIO()
            if content_type == "image/png":
                image.save(output, format="PNG", optimize=True)
            else:
                image.convert("RGB").save(output, format="JPEG", quality=92)
            return output.getvalue()
    except UnidentifiedImageError as error:
        # Pillow's message names only the BytesIO object it was given.
        raise LogoError(
            f"the logo is not a readable {content_type} image: no image can be decoded from "
            "its data; save it again as PNG or JPEG"
        ) from error
    except (OSError, Image.DecompressionBombError) as error:
        raise LogoError(f"the logo is not a readable {content_type} image: {error}") from error


def sniff(data: bytes) -> str:
    """Return the image type from the file's first bytes.

    Raises:
        LogoTypeError: neither PNG, JPEG nor SVG.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg")):
        return "image/svg+xml"
    raise LogoTypeError("the logo is not a PNG, JPEG or SVG image; upload one of those")


def check_logo(data: bytes, max_bytes: int) -> Logo:
    """Return a logo checked, re-encoded or cleaned, and ready to embed.

    Raises:
        LogoTooLargeError: over ``max_bytes``.
        LogoTypeError: neither PNG, JPEG nor SVG.
        LogoError: unreadable, or an SVG that cannot be cleaned.
    """
    if len(data) > max_bytes:
        raise LogoTooLargeError(
            f"the logo is {len(data):,} bytes; the limit is {max_bytes:,} bytes"
        )
    if not data:
        raise LogoError("the logo is empty; upload a PNG, JPEG or SVG image")
    content_type = sniff(data)
    if content_type == "image/svg+xml":
        return Logo(content_type, sanitise_svg(data))
    return Logo(content_type, _raster(data, content_type))


def logo_from_data_url(url: str, max_bytes: int) -> Logo:
    """Return the logo a data: URL carries, checked like an upload.

    Raises:
        LogoTooLargeError: the data is over ``max_bytes``.
        LogoTypeError: the URL or the data is of another type.
        LogoError: the URL is malformed or the image unreadable.
    """
    match = _DATA_URL.match(url.strip())
    if match is None or match.group("type").lower() not in _TYPES:
        raise LogoTypeError(
            "the logo data URL must be data:image/png, image/jpeg or image/svg+xml"
        )
    payload = match.group("data")
    # Base64 grows data by a third, so a longer payload cannot decode within the limit.
    if len(payload) > max_bytes * 4 // 3 + 4 and match.group("base64"):
        raise LogoTooLargeError(f"the logo data URL decodes to more than {max_bytes:,} bytes")
    try:
        data = (
            base64.b64decode(payload, validate=True)
            if match.group("base64")
            else unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError) as error:
        raise LogoError(f"the logo data URL is not valid base64: {error}") from error
    logo = check_logo(data, max_bytes)
    if logo.content_type != match.group("type").lower():
        raise LogoTypeError(
            f"the data URL says {match.group('type')} but the image is {logo.content_type}"
        )
    return logo
