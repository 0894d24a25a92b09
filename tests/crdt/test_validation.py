from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from crdt import (
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    DocumentError,
    ProtocolError,
    ReportDocument,
    UpdateRejectedError,
    add_comment,
    list_comments,
)
from crdt.validation import ShadowValidator


def make_document() -> ReportDocument:
    document = ReportDocument()
    document.put_section("risk", title="Risks", body="Crane hire is late.", order=0)
    return document


def client_update(document: ReportDocument, change: str) -> bytes:
    client = ReportDocument(Doc())
    client.apply(document.snapshot())
    before = client.state_vector()
    section = client.section_map("risk")
    if change == "text":
        section["body"].insert(0, "Note: ")
    elif change == "order-as-text":
        section["order"] = "first"
    elif change == "order-infinite":
        section["order"] = float("inf")
    elif change == "order-nan":
        section["order"] = float("nan")
    elif change == "body-as-number":
        section["body"] = 3
    elif change == "new-section":
        client.put_section("budget", title="Budget", body="On plan.", order=1)
    return client.changes_since(before)


@pytest.mark.parametrize("change", ["text", "new-section"])
def test_valid_update_passes(change: str) -> None:
    document = make_document()
    validator = ShadowValidator(document)

    validator.check(client_update(document, change))

    assert document.section_body("risk") == "Crane hire is late."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param("order-as-text", "order must be a number", id="order-as-text"),
        pytest.param("order-infinite", "order must be a finite number", id="order-infinite"),
        pytest.param("order-nan", "order must be a finite number", id="order-nan"),
        pytest.param("body-as-number", "body must be a shared text", id="body-as-number"),
    ],
)
def test_update_breaking_layout_is_rejected(change: str, message: str) -> None:
    document = make_document()
    validator = ShadowValidator(document)

    with pytest.raises(ProtocolError, match=message):
        validator.check(client_update(document, change))

    # The shadow was rebuilt, so a valid update still passes afterwards.
    validator.check(client_update(document, "text"))


def test_garbage_is_rejected() -> None:
    validator = ShadowValidator(make_document())

    with pytest.raises(ProtocolError, match="cannot be applied"):
        validator.check(b"\x01\x02\x03")


def test_layout_numbers_read_back_safely() -> None:
    document = make_document()
    section = document.sections_map()["risk"]
    assert isinstance(section, Map)
    with document.doc.transaction():
        section["order"] = "first"

    view = document.to_dict()

    assert view["sections"][0]["order"] == 0


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_read_back_as_zero(value: float) -> None:
    # Reports stored before the order check may hold them, and JavaScript clients can
    # write Infinity or NaN into any number field, such as the version in meta.
    document = make_document()
    section = document.sections_map()["risk"]
    assert isinstance(section, Map)
    with document.doc.transaction():
        section["order"] = value
    document.set_meta({"version": value})

    view = document.to_dict()

    assert view["sections"][0]["order"] == 0
    assert view["meta"]["version"] == 0
    assert document.bump_version("2024-03-31T00:00:00Z") == 1


def body_update(document: ReportDocument, insert: str, *, at_end: bool = True) -> bytes:
    """Return a client's update that inserts ``insert`` into the body of section ``risk``."""
    client = ReportDocument(Doc())
    client.apply(document.snapshot())
    before = client.state_vector()
    body = client.section_map("risk")["body"]
    body.insert(len(body) if at_end else 0, insert)
    return client.changes_since(before)


def test_update_past_body_limit_is_rejected() -> None:
    document = make_document()
    validator = ShadowValidator(document)
    room = MAX_BODY_CHARS - len(document.section_body("risk"))

    with pytest.raises(UpdateRejectedError, match="over the limit of 1,000,000"):
        validator.check(body_update(document, "x" * (room + 1)))

    assert document.section_body("risk") == "Crane hire is late."
    validator.check(client_update(document, "text"))


def test_update_up_to_body_limit_passes() -> None:
    document = make_document()
    validator = ShadowValidator(document)
    room = MAX_BODY_CHARS - len(document.section_body("risk"))

    validator.check(body_update(document, "x" * room))


def test_body_limit_counts_characters() -> None:
    # Each "é" is two UTF-8 bytes, so the body is over the limit in bytes but not in characters.
    document = make_document()
    validator = ShadowValidator(document)
    room = MAX_BODY_CHARS - len(document.section_body("risk"))

    validator.check(body_update(document, "é" * room))


def test_body_already_over_limit_may_shrink() -> None:
    document = make_document()
    document.apply(body_update(document, "x" * MAX_BODY_CHARS))
    validator = ShadowValidator(document)
    client = ReportDocument(Doc())
    client.apply(document.snapshot())
    before = client.state_vector()
    del client.section_map("risk")["body"][0:10]
    shrink = client.changes_since(before)

    validator.check(shrink)
    document.apply(shrink)

    with pytest.raises(UpdateRejectedError, match="section 'risk'"):
        validator.check(body_update(document, "y", at_end=False))


def title_update(document: ReportDocument, title: str, section_id: str = "risk") -> bytes:
    client = ReportDocument(Doc())
    client.apply(document.snapshot())
    before = client.state_vector()
    client.section_map(section_id)["title"] = title
    return client.changes_since(before)


def test_title_past_limit_is_rejected() -> None:
    document = make_document()
    validator = ShadowValidator(document)

    with pytest.raises(UpdateRejectedError, match=r"title would hold 301 characters"):
        validator.check(title_update(document, "t" * (MAX_TITLE_CHARS + 1)))

    validator.check(title_update(document, "t" * MAX_TITLE_CHARS))


def test_stored_long_title_allows_body_edits() -> None:
    document = make_document()
    document.apply(title_update(document, "t" * (MAX_TITLE_CHARS + 50)))
    validator = ShadowValidator(document)

    validator.check(client_update(document, "text"))


def test_document_rejects_long_title() -> None:
    document = make_document()

    with pytest.raises(DocumentError, match="too long: 301 characters, the maximum is 300"):
        document.update_section("risk", title="t" * (MAX_TITLE_CHARS + 1))

    view = document.section_view("risk")
    assert view is not None
    assert view["title"] == "Risks"


def test_update_creating_unknown_root_is_rejected() -> None:
    document = make_document()
    validator = ShadowValidator(document)
    client: Doc[Any] = Doc()
    client.apply_update(document.snapshot())
    before = client.get_state()
    client["scratch"] = Map({"note": "kept aside"})

    with pytest.raises(UpdateRejectedError, match="top-level shared types 'scratch'"):
        validator.check(client.get_update(before))

    assert "scratch" not in set(document.doc.keys())
    validator.check(client_update(document, "text"))


def test_update_to_known_roots_passes() -> None:
    document = make_document()
    validator = ShadowValidator(document)
    client: Doc[Any] = Doc()
    client.apply_update(document.snapshot())
    before = client.get_state()
    client.get("metrics", type=Map)["spi"] = 0.9
    client.get("comments", type=Map)["c1"] = Map(comment_fields())

    validator.check(client.get_update(before))


def test_root_already_stored_stays_editable() -> None:
    document = make_document()
    legacy: Doc[Any] = Doc()
    legacy.apply_update(document.snapshot())
    legacy["scratch"] = Map({"note": "from an older release"})
    document.apply(legacy.get_update(document.state_vector()))
    validator = ShadowValidator(document)
    before = legacy.get_state()
    legacy.get("scratch", type=Map)["note"] = "edited"

    validator.check(legacy.get_update(before))


def comment_update(document: ReportDocument, comment: Any) -> bytes:
    """Return a client's update that stores ``comment`` under the id ``c1``."""
    client = ReportDocument(Doc())
    client.apply(document.snapshot())
    before = client.state_vector()
    client.doc.get("comments", type=Map)["c1"] = comment
    return client.changes_since(before)


def comment_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "comment_id": "c1",
        "section_id": "risk",
        "content": "Check the crane contract.",
        "user_id": "ann@example.com",
        "created_at": "2024-03-31T09:00:00.000Z",
        "resolved": False,
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


BROKEN_COMMENTS: dict[str, tuple[Any, str]] = {
    "text instead of a map": ("see above", "comment 'c1' must be a map"),
    "no created_at": (Map(comment_fields(created_at=None)), "created_at must be text"),
    "no section_id": (Map(comment_fields(section_id=None)), "section_id must be text"),
    "numeric comment_id": (Map(comment_fields(comment_id=7)), "comment_id must be text"),
    "numeric anchor": (Map(comment_fields(anchor=5)), "anchor must be text"),
}


@pytest.mark.parametrize(
    ("comment", "message"), BROKEN_COMMENTS.values(), ids=BROKEN_COMMENTS.keys()
)
def test_update_breaking_comment_layout_is_rejected(comment: Any, message: str) -> None:
    document = make_document()
    validator = ShadowValidator(document)

    with pytest.raises(ProtocolError, match=message):
        validator.check(comment_update(document, comment))

    assert list_comments(document) == []


def test_comment_as_stored_by_add_comment_passes() -> None:
    document = make_document()
    validator = ShadowValidator(document)
    written = ReportDocument(Doc())
    written.apply(document.snapshot())
    add_comment(
        written,
        comment_id="c1",
        section_id="risk",
        content="Check the crane contract.",
        user="ann@example.com",
        created_at="2024-03-31T09:00:00.000Z",
        position=5,
    )

    validator.check(written.changes_since(document.state_vector()))

    document.apply(written.changes_since(document.state_vector()))
    assert [comment["comment_id"] for comment in list_comments(document)] == ["c1"]


def root_update(document: ReportDocument, change: Callable[[Doc[Any]], None]) -> bytes:
    """Return a client's update that applies ``change`` to its copy of ``document``."""
    client: Doc[Any] = Doc()
    client.apply_update(document.snapshot())
    before = client.get_state()
    change(client)
    return client.get_update(before)


def set_entry(root: str, key: str, value: Any) -> Callable[[Doc[Any]], None]:
    return lambda client: client.get(root, type=Map).__setitem__(key, value)


def append_insight(value: Any) -> Callable[[Doc[Any]], None]:
    return lambda client: client.get("insights", type=Array).append(value)


BROKEN_ROOTS: dict[str, tuple[Callable[[Doc[Any]], None], str]] = {
    "title as a map": (set_entry("meta", "title", Map({"x": 1})), "meta title must be text"),
    "status as a number": (set_entry("meta", "status", 5), "meta status must be text"),
    "unparsable time": (
        set_entry("meta", "last_modified", "yesterday"),
        "meta last_modified must be an ISO 8601 time",
    ),
    "time as a number": (
        set_entry("meta", "generated_at", 1.0),
        "meta generated_at must be an ISO 8601 time",
    ),
    "version as text": (set_entry("meta", "version", "7"), "meta version must be a finite"),
    "infinite version": (
        set_entry("meta", "version", float("inf")),
        "meta version must be a finite",
    ),
    "insight as text": (append_insight("junk"), "insight 0 must be an object"),
    "analysis as text": (
        set_entry("monte_carlo", "analysis", "junk"),
        "monte_carlo analysis must be an object",
    ),
    "earned value as a list": (
        set_entry("metrics", "earned_value", [1, 2]),
        "metrics earned_value must be an object",
    ),
    "key metrics as text": (
        set_entry("metrics", "key_metrics", Text("x")),
        "metrics key_metrics must be an object",
    ),
    "key metric as text in a shared map": (
        set_entry("metrics", "key_metrics", Map({"cost_performance": "high"})),
        "metrics key_metrics.cost_performance must be a finite number or null, got 'high'",
    ),
    "percentile as NaN": (
        set_entry("monte_carlo", "analysis", {"cost": {"percentiles": {"p50": math.nan}}}),
        "monte_carlo analysis.cost.percentiles.p50 must be a finite number or null, got nan",
    ),
    "earned value months as a map": (
        set_entry("metrics", "earned_value", {"monthly": {"month": "2025-03"}}),
        "metrics earned_value.monthly must be a list, got a map",
    ),
}


@pytest.mark.parametrize(("change", "message"), BROKEN_ROOTS.values(), ids=BROKEN_ROOTS.keys())
def test_update_breaking_report_roots_is_rejected(
    change: Callable[[Doc[Any]], None], message: str
) -> None:
    document = make_document()
    validator = ShadowValidator(document)

    with pytest.raises(ProtocolError, match=message):
        validator.check(root_update(document, change))

    # The shadow was rebuilt, so a valid update still passes afterwards.
    validator.check(client_update(document, "text"))


VALID_ROOTS: dict[str, Callable[[Doc[Any]], None]] = {
    "title": set_entry("meta", "title", "April report"),
    "time with Z": set_entry("meta", "last_modified", "2024-03-31T09:00:00.000Z"),
    "empty time": set_entry("meta", "generated_at", ""),
    "insight object": append_insight({"insight_id": "i1", "title": "Late crane"}),
    "analysis object": set_entry("monte_carlo", "analysis", {"p50": 10}),
    "other metric": set_entry("metrics", "note", "any value"),
    "key metrics in a shared map": set_entry(
        "metrics", "key_metrics", Map({"cost_performance": 0.95, "risk_score": None})
    ),
}


@pytest.mark.parametrize("change", VALID_ROOTS.values(), ids=VALID_ROOTS.keys())
def test_update_keeping_report_roots_passes(change: Callable[[Doc[Any]], None]) -> None:
    document = make_document()
    validator = ShadowValidator(document)

    validator.check(root_update(document, change))

    assert document.section_body("risk") == "Crane hire is late."


def section_update(document: ReportDocument, section_id: str) -> bytes:
    """Return a client's update that adds a section under ``section_id``."""
    client = ReportDocument(Doc())
    client.apply(document.snapshot())
    before = client.state_vector()
    client.put_section(section_id, title="Budget", body="On plan.", order=1)
    return client.changes_since(before)


@pytest.mark.parametrize(
    ("section_id", "message"),
    [
        pytest.param("s" * 65, "has 65 characters, more than the 64 allowed", id="too-long"),
        pytest.param("budget\x00", "contains control characters", id="nul"),
        pytest.param("bud\nget", "contains control characters", id="newline"),
    ],
)
def test_invalid_section_id_is_rejected(section_id: str, message: str) -> None:
    document = make_document()
    validator = ShadowValidator(document)

    with pytest.raises(ProtocolError, match=message):
        validator.check(section_update(document, section_id))

    assert document.section_ids() == ["risk"]


@pytest.mark.parametrize("section_id", ["s" * 64, "Budget 💶 (Q1)"], ids=["64-chars", "unicode"])
def test_valid_section_id_passes(section_id: str) -> None:
    document = make_document()
    validator = ShadowValidator(document)

    validator.check(section_update(document, section_id))

    assert document.section_ids() == ["risk"]
