"""Reading documents, searching passages, checking figures and parsing instructions."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge import (
    DocumentFormatError,
    EditError,
    EditKind,
    EditRequest,
    FigureSet,
    InstructionError,
    Passage,
    PassageIndex,
    SectionNames,
    apply_text_edit,
    extract,
    parse_instruction,
    split_text,
)


def pdf_with_pages(*pages: str) -> bytes:
    """Build a small PDF whose pages show the given lines in Helvetica."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        page_number = len(objects) + 1
        kids.append(f"{page_number} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
            f"{page_number + 1} 0 R /Resources << /Font << /F1 {len(pages) * 2 + 3} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(output)
    output += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        output += f"{offset:010d} 00000 n \n".encode()
    output += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(output)


def test_pdf_passages_carry_page_numbers() -> None:
    data = pdf_with_pages("Crane hire quote for the main span lift", "Weld inspection plan")

    document = extract("contract.pdf", data)

    assert document.media_type == "application/pdf"
    assert [p.locator for p in document.passages] == ["page 1", "page 2"]
    assert "Crane hire quote" in document.passages[0].text


def test_markdown_passages_are_located_by_heading() -> None:
    text = "# Minutes\n\nThe sponsor met.\n\n## Actions\n\nOrder the bearings.\n"

    document = extract("minutes.md", text.encode())

    assert [(p.locator, p.text) for p in document.passages] == [
        ("section Minutes, paragraph 1", "The sponsor met."),
        ("section Actions, paragraph 1", "Order the bearings."),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param("notes.docx", b"PK\x03\x04", "unsupported type", id="unsupported"),
        pytest.param("notes.txt", b"caf\xe9", "not UTF-8", id="not-utf8"),
        pytest.param("blank.txt", b"  \n\n ", "holds no text", id="empty"),
        pytest.param("bad.pdf", b"%PDF-1.4 garbage", "PDF", id="damaged-pdf"),
    ],
)
def test_unreadable_documents_are_rejected(name: str, data: bytes, message: str) -> None:
    with pytest.raises(DocumentFormatError, match=message):
        extract(name, data)


def test_split_text_keeps_pieces_under_limit() -> None:
    text = "First sentence here. " * 20 + "\n\nShort paragraph."

    pieces = split_text(text, max_chars=100)

    assert all(len(piece) <= 100 for piece in pieces)
    assert pieces[-1] == "Short paragraph."


def test_index_ranks_the_matching_passage_first() -> None:
    passages = [
        Passage("a", "activity", "A1 Piling", "activity A1", "Piling north abutment"),
        Passage("b", "document", "memo", "memo, page 1", "The crane hire quote rose by a third"),
        Passage("c", "risk", "R1", "risk register R1", "River levels may stop the lift"),
    ]

    hits = PassageIndex(passages).search("crane hire cost", k=2)

    assert hits[0].passage.passage_id == "b"
    assert all(hit.score > 0 for hit in hits)


def test_figures_match_computed_values_as_rounded() -> None:
    figures = FigureSet()
    figures.add_data(
        {"eac": 2_801_234.0, "share": 0.0541, "cv": -74_210.0, "finish": "2025-11-14"}
    )

    supported = figures.unsupported("EAC £2.80m, 5.4 % over, an overrun of £74k, by 14 Nov 2025.")
    invented = figures.unsupported("EAC £2.9m, 6 % over, finishing 15 Nov 2025 in 2026.")

    assert supported == []
    assert invented == ["£2.9m", "6 %", "2026", "2025-11-15"]


def test_identifiers_are_not_numbers() -> None:
    figures = FigureSet()

    assert figures.unsupported("A1320 and COST-1060 drive P80.") == []


SECTIONS = SectionNames(
    {"executive_summary": "Executive Summary", "budget_analysis": "Budget Analysis"},
    current="executive_summary",
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            'replace "on track" with "late" in the budget analysis',
            EditRequest(EditKind.REPLACE_TEXT, "budget_analysis", "on track", "late"),
            id="replace",
        ),
        pytest.param(
            "add a paragraph: Gate 3 passed.",
            EditRequest(EditKind.APPEND_PARAGRAPH, "executive_summary", new_text="Gate 3 passed."),
            id="append",
        ),
        pytest.param(
            "remove paragraph 2 from Budget Analysis",
            EditRequest(EditKind.REMOVE_PARAGRAPH, "budget_analysis", paragraph=2),
            id="remove-number",
        ),
        pytest.param(
            "Rewrite the executive summary from the current figures",
            EditRequest(EditKind.REWRITE_SECTION, "executive_summary"),
            id="rewrite",
        ),
        pytest.param(
            "Update the executive summary to highlight the recent milestone achievement",
            EditRequest(EditKind.HIGHLIGHT_MILESTONE, "executive_summary"),
            id="highlight-recent",
        ),
        pytest.param("How is the budget?", None, id="free-form"),
    ],
)
def test_parse_instruction(message: str, expected: EditRequest | None) -> None:
    assert parse_instruction(message, SECTIONS) == expected


def test_parse_instruction_names_missing_section() -> None:
    with pytest.raises(InstructionError, match="no section 'weather'"):
        parse_instruction("append a paragraph to weather: Rain.", SECTIONS)


def test_remove_paragraph_containing_phrase() -> None:
    body = "One.\n\nTwo mentions CPI.\n\nThree."
    request = EditRequest(EditKind.REMOVE_PARAGRAPH, "s", old_text="cpi")

    assert apply_text_edit(body, request) == "One.\n\nThree."


def test_replace_of_missing_phrase_fails() -> None:
    request = EditRequest(EditKind.REPLACE_TEXT, "s", old_text="absent", new_text="x")

    with pytest.raises(EditError, match="'absent' is not in section s"):
        apply_text_edit("Some text.", request)


def test_replace_past_length_limit_fails_before_building() -> None:
    body = "b" * 1_000
    request = EditRequest(EditKind.REPLACE_TEXT, "s", old_text="b", new_text="b" * 1_000)

    with pytest.raises(EditError, match="1,000,000 characters long, past the limit of 10,000"):
        apply_text_edit(body, request, max_chars=10_000)


def test_replace_ignoring_case_checks_length_limit() -> None:
    request = EditRequest(EditKind.REPLACE_TEXT, "s", old_text="B", new_text="xyz")

    with pytest.raises(EditError, match="past the limit of 5"):
        apply_text_edit("bb", request, max_chars=5)


def test_append_past_length_limit_fails() -> None:
    request = EditRequest(EditKind.APPEND_PARAGRAPH, "s", new_text="more")

    with pytest.raises(EditError, match="past the limit of 8"):
        apply_text_edit("text", request, max_chars=8)


def test_edit_within_length_limit_applies() -> None:
    request = EditRequest(EditKind.REPLACE_TEXT, "s", old_text="b", new_text="cc")

    assert apply_text_edit("abab", request, max_chars=6) == "accacc"


def test_dates_in_passages_count_as_figures() -> None:
    figures = FigureSet()
    figures.add_day(date(2025, 6, 2))

    assert figures.unsupported("Works may start on 2 June 2025.") == []


def test_index_of_stop_words_and_punctuation() -> None:
    passages = [
        Passage("a", "document", "", "memo, page 1", "The and of."),
        Passage("b", "document", "", "memo, page 2", "!!! ... ???"),
    ]

    index = PassageIndex(passages)

    assert len(index) == 2
    assert index.search("crane hire") == []
    assert index.search("the") == []


def test_hidden_passages_give_way_to_visible_ones() -> None:
    passages = [
        Passage(f"report:r1:summary:{n}", "report", "r1", f"r1 {n}", "crane hire crane hire")
        for n in range(3)
    ] + [
        Passage("b", "document", "memo", "memo, page 1", "The crane hire quote rose"),
        Passage("c", "risk", "R1", "risk register R1", "Crane hire may slip"),
    ]

    hits = PassageIndex(passages).search(
        "crane hire", k=2, hidden=lambda passage: passage.source == "report"
    )

    assert sorted(hit.passage.passage_id for hit in hits) == ["b", "c"]
