from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Assoc, Doc, Map, StickyIndex, Text

from crdt import (
    CommentNotFoundError,
    DocumentError,
    ReportDocument,
    SectionWatcher,
    add_comment,
    anchor,
    list_comments,
    resolve_anchor,
    resolve_comment,
)


def make_document() -> ReportDocument:
    document = ReportDocument()
    document.put_section("risk", title="Risks", body="Crane hire is late. 🏗 Weather ok.", order=0)
    return document


def test_anchor_follows_text_inserted_before_it() -> None:
    document = make_document()
    position = document.section_body("risk").index("Weather")
    sticky = anchor(document, "risk", position)

    document.section_map("risk")["body"].insert(0, "Update: ")

    assert resolve_anchor(document, "risk", sticky) == position + len("Update: ")


def test_anchor_counts_characters_not_bytes() -> None:
    document = make_document()
    position = document.section_body("risk").index("Weather")

    sticky = anchor(document, "risk", position)

    # The emoji before the anchor is four UTF-8 bytes but one character.
    assert resolve_anchor(document, "risk", sticky) == position


def test_anchor_outside_text_is_rejected() -> None:
    document = make_document()

    with pytest.raises(DocumentError, match="outside the section text"):
        anchor(document, "risk", 500)


@pytest.mark.parametrize("body", ["Crane hire is late.", "", "Late crane 🏗"], ids=repr)
def test_anchor_at_end_of_text(body: str) -> None:
    document = ReportDocument()
    document.put_section("risk", title="Risks", body=body, order=0)

    sticky = anchor(document, "risk", len(body))

    assert resolve_anchor(document, "risk", sticky) == len(body)


def append_from_client(document: ReportDocument, text: str) -> None:
    """Append ``text`` to the risk body in a second document, as a Yjs client would."""
    client: Doc[Any] = Doc()
    client.apply_update(document.snapshot())
    before = client.get_state()
    body = client.get("sections", type=Map)["risk"]["body"]
    body.insert(len(body), text)
    document.apply(client.get_update(before))


@pytest.mark.parametrize("body", ["Crane hire is late.", "", "Late crane 🏗"], ids=repr)
def test_anchor_at_end_moves_with_append(body: str) -> None:
    document = ReportDocument()
    document.put_section("risk", title="Risks", body=body, order=0)
    sticky = anchor(document, "risk", len(body))

    append_from_client(document, " Rain é 🌧")

    assert document.section_body("risk") == body + " Rain é 🌧"
    assert resolve_anchor(document, "risk", sticky) == len(body + " Rain é 🌧")


def test_anchor_at_end_follows_edits_before_it() -> None:
    document = make_document()
    text = document.section_body("risk")
    sticky = anchor(document, "risk", len(text))
    body = document.section_map("risk")["body"]

    body.insert(0, "Update 🏗: ")
    after_insert = resolve_anchor(document, "risk", sticky)
    del body[0 : len("Update 🏗: ".encode())]
    after_delete = resolve_anchor(document, "risk", sticky)

    assert after_insert == len("Update 🏗: " + text)
    assert after_delete == len(text)


def test_end_anchor_in_replaced_body_raises() -> None:
    document = make_document()
    sticky = anchor(document, "risk", len(document.section_body("risk")))

    document.section_map("risk")["body"] = Text("Rewritten.")

    with pytest.raises(DocumentError, match="no longer points into the body"):
        resolve_anchor(document, "risk", sticky)


def test_anchor_at_end_is_yjs_end_position() -> None:
    document = make_document()

    sticky = StickyIndex.decode(anchor(document, "risk", len(document.section_body("risk"))))

    # Yjs reads a relative position that names its type and no item as the end of the type
    # when its assoc is 0 or more.
    assert "item" not in sticky.to_json()
    assert "type" in sticky.to_json()
    assert sticky.assoc is Assoc.AFTER


def test_anchor_stays_on_its_character_after_emoji() -> None:
    document = make_document()
    text = document.section_body("risk")
    position = text.index("Weather")
    sticky = anchor(document, "risk", position)

    # Text inserted just after the anchored "W" must not move the anchor.
    byte_offset = len(text[: position + 1].encode("utf-8"))
    document.section_map("risk")["body"].insert(byte_offset, "-")

    assert document.section_body("risk")[position : position + 3] == "W-e"
    assert resolve_anchor(document, "risk", sticky) == position


def test_anchor_near_end_after_wide_characters() -> None:
    document = ReportDocument()
    document.put_section("risk", title="Risks", body="Cost €1 é ok", order=0)
    position = len("Cost €1 é o")

    sticky = anchor(document, "risk", position)

    assert resolve_anchor(document, "risk", sticky) == position


def test_anchor_in_replaced_body_is_document_error() -> None:
    document = make_document()
    sticky = anchor(document, "risk", 5)

    # A Yjs client may set a new shared text as the body, which deletes the old one.
    document.section_map("risk")["body"] = Text("Rewritten.")

    with pytest.raises(DocumentError, match="no longer points into the body"):
        resolve_anchor(document, "risk", sticky)


def test_comment_in_replaced_body_lists_without_position() -> None:
    document = make_document()
    add_comment(
        document,
        comment_id="c1",
        section_id="risk",
        content="Which crane?",
        user="ann@example.com",
        created_at="2025-01-01T00:00:00Z",
        position=5,
    )

    document.section_map("risk")["body"] = Text("Rewritten.")
    comments = list_comments(document)

    assert [comment["comment_id"] for comment in comments] == ["c1"]
    assert comments[0]["position"] is None


def test_comment_is_listed_with_current_position() -> None:
    document = make_document()
    add_comment(
        document,
        comment_id="c1",
        section_id="risk",
        content="Which crane?",
        user="ann@example.com",
        created_at="2025-01-01T00:00:00Z",
        position=0,
    )

    document.section_map("risk")["body"].insert(0, "New: ")
    comments = list_comments(document)

    assert [comment["comment_id"] for comment in comments] == ["c1"]
    assert comments[0]["position"] == len("New: ")
    assert comments[0]["resolved"] is False


def test_resolving_comment_records_who() -> None:
    document = make_document()
    add_comment(
        document,
        comment_id="c1",
        section_id="risk",
        content="Check",
        user="ann@example.com",
        created_at="2025-01-01T00:00:00Z",
    )

    resolved = resolve_comment(document, "c1", user="bob@example.com", resolved_at="2025-01-02")

    assert resolved["resolved"] is True
    assert resolved["resolved_by"] == "bob@example.com"


def test_resolving_unknown_comment_names_it() -> None:
    with pytest.raises(CommentNotFoundError, match="'nope' not found"):
        resolve_comment(make_document(), "nope", user="x", resolved_at="now")


def test_empty_comment_is_rejected() -> None:
    with pytest.raises(DocumentError, match="needs some text"):
        add_comment(
            make_document(),
            comment_id="c",
            section_id="risk",
            content="  ",
            user="x",
            created_at="now",
        )


def test_watcher_reports_changed_sections_and_comments() -> None:
    document = make_document()
    document.put_section("budget", title="Budget", body="On plan.", order=1)
    watcher = SectionWatcher(document)

    document.update_section("budget", body="Over plan.")
    add_comment(
        document, comment_id="c9", section_id="risk", content="x", user="u", created_at="now"
    )
    sections, added, changed = watcher.take()

    assert sections == {"budget"}
    assert added == {"c9"}
    assert changed == set()
    assert watcher.take() == (set(), set(), set())
