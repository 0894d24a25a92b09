from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from pycrdt import Doc

from crdt import MergeStrategy, ReportDocument, SectionNotFoundError
from crdt.document import _middle_opcodes


def make_document() -> ReportDocument:
    document = ReportDocument()
    document.set_meta({"report_id": "r1", "title": "March report", "version": 1})
    document.put_section(
        "executive_summary",
        title="Executive Summary",
        body="The project is on budget.",
        order=0,
        metrics={"cost_performance": 1.02},
        ai_generated=True,
        confidence_score=0.8,
    )
    document.put_section("budget_analysis", title="Budget", body="Spend is £1.2m.", order=1)
    return document


def test_to_dict_lists_sections_in_order() -> None:
    document = make_document()

    view = document.to_dict()

    assert [section["section_id"] for section in view["sections"]] == [
        "executive_summary",
        "budget_analysis",
    ]
    assert view["sections"][0]["metrics"] == {"cost_performance": 1.02}
    assert view["sections"][0]["confidence_score"] == 0.8
    assert view["meta"]["version"] == 1


@pytest.mark.parametrize(
    ("strategy", "body", "expected"),
    [
        pytest.param(MergeStrategy.REPLACE, "New text.", "New text.", id="replace"),
        pytest.param(
            MergeStrategy.APPEND,
            "Second paragraph.",
            "Spend is £1.2m.\n\nSecond paragraph.",
            id="append",
        ),
        pytest.param(
            MergeStrategy.MERGE, "Spend is £1.4m today.", "Spend is £1.4m today.", id="merge"
        ),
    ],
)
def test_update_section_applies_strategy(
    strategy: MergeStrategy, body: str, expected: str
) -> None:
    document = make_document()

    document.update_section("budget_analysis", body=body, strategy=strategy)

    assert document.section_body("budget_analysis") == expected


def test_merge_keeps_concurrent_edit_elsewhere() -> None:
    server = make_document()
    client = ReportDocument(Doc())
    client.doc.apply_update(server.doc.get_update())

    # A client edits the start of the body while the server rewrites the end of it.
    client_body = client.doc["sections"]["budget_analysis"]["body"]
    client_body.insert(0, "Note: ")
    server.update_section(
        "budget_analysis", body="Spend is £1.2m to date.", strategy=MergeStrategy.MERGE
    )
    server.doc.apply_update(client.doc.get_update(server.doc.get_state()))
    client.doc.apply_update(server.doc.get_update(client.doc.get_state()))

    assert server.section_body("budget_analysis") == "Note: Spend is £1.2m to date."
    assert client.section_body("budget_analysis") == "Note: Spend is £1.2m to date."


def test_merge_rewrites_long_unbroken_change_whole() -> None:
    generator = random.Random(7)
    old = "".join(generator.choice("ab") for _ in range(20_000))
    new = "".join(generator.choice("ab") for _ in range(20_000))
    document = make_document()
    document.update_section("budget_analysis", body=old, strategy=MergeStrategy.REPLACE)

    # A character diff of these bodies took about 50 s; one line is rewritten whole.
    opcodes = _middle_opcodes(old, new)
    document.update_section("budget_analysis", body=new, strategy=MergeStrategy.MERGE)

    assert opcodes == [("replace", 0, 20_000, 0, 20_000)]
    assert document.section_body("budget_analysis") == new


def test_merge_diffs_long_change_by_lines() -> None:
    lines = [f"Line {number} of the progress note.\n" for number in range(400)]
    edited = list(lines)
    edited[10] = "Line 10 was rewritten.\n"
    edited[390] = "Line 390 was rewritten.\n"
    old, new = "".join(lines), "".join(edited)
    document = make_document()
    document.update_section("budget_analysis", body=old, strategy=MergeStrategy.REPLACE)

    changed = [op for op in _middle_opcodes(old, new) if op[0] != "equal"]
    document.update_section("budget_analysis", body=new, strategy=MergeStrategy.MERGE)

    assert [op[0] for op in changed] == ["replace", "replace"]
    assert sum(op[2] - op[1] for op in changed) < 200
    assert document.section_body("budget_analysis") == new


def test_merge_keeps_concurrent_edit_between_changed_lines() -> None:
    lines = [f"Paragraph {number}: schedule and cost commentary.\n" for number in range(300)]
    server = make_document()
    server.update_section("budget_analysis", body="".join(lines), strategy=MergeStrategy.REPLACE)
    client = ReportDocument(Doc())
    client.doc.apply_update(server.doc.get_update())
    # The client writes into line 150 while the server rewrites lines 5 and 295.
    line_150 = sum(len(line.encode()) for line in lines[:150])
    client.doc["sections"]["budget_analysis"]["body"].insert(line_150, "Client note. ")
    edited = list(lines)
    edited[5] = "Paragraph 5 was revised.\n"
    edited[295] = "Paragraph 295 was revised.\n"

    server.update_section("budget_analysis", body="".join(edited), strategy=MergeStrategy.MERGE)
    server.doc.apply_update(client.doc.get_update(server.doc.get_state()))
    client.doc.apply_update(server.doc.get_update(client.doc.get_state()))

    edited[150] = "Client note. " + edited[150]
    assert server.section_body("budget_analysis") == "".join(edited)
    assert client.section_body("budget_analysis") == "".join(edited)


def test_merge_keeps_concurrent_edit_before_long_rewrite() -> None:
    server = make_document()
    middle = "x" * 5_000
    server.update_section(
        "budget_analysis", body=f"Intro. {middle} Outro.", strategy=MergeStrategy.REPLACE
    )
    client = ReportDocument(Doc())
    client.doc.apply_update(server.doc.get_update())

    client.doc["sections"]["budget_analysis"]["body"].insert(0, "Note: ")
    server.update_section(
        "budget_analysis", body=f"Intro. {'y' * 5_000} Outro.", strategy=MergeStrategy.MERGE
    )
    server.doc.apply_update(client.doc.get_update(server.doc.get_state()))
    client.doc.apply_update(server.doc.get_update(client.doc.get_state()))

    expected = f"Note: Intro. {'y' * 5_000} Outro."
    assert server.section_body("budget_analysis") == expected
    assert client.section_body("budget_analysis") == expected


def test_replace_metrics_drops_old_keys() -> None:
    document = make_document()

    document.update_section("executive_summary", metrics={"risk_score": 0.3})

    assert document.to_dict()["sections"][0]["metrics"] == {"risk_score": 0.3}


def test_unknown_section_names_known_ones() -> None:
    document = make_document()

    with pytest.raises(SectionNotFoundError, match="executive_summary, budget_analysis"):
        document.update_section("nope", body="x")


def test_from_updates_restores_content_once() -> None:
    original = make_document()
    updates: list[bytes] = [original.doc.get_update()]

    restored = ReportDocument.from_updates(updates + updates)

    assert restored.to_dict() == original.to_dict()


def test_bump_version_counts_up() -> None:
    document = make_document()

    version = document.bump_version("2024-04-01T00:00:00Z")

    assert version == 2
    assert document.meta()["last_modified"] == "2024-04-01T00:00:00Z"


def test_fork_stages_an_edit_applied_back_once() -> None:
    document = make_document()
    before = document.state_vector()

    staged = document.fork()
    staged.update_section("budget_analysis", body="Spend is £2m.")
    update = staged.changes_since(before)
    document.apply(update)
    document.apply(update)

    assert document.section_body("budget_analysis") == "Spend is £2m."
    assert document.to_dict() == staged.to_dict()


def test_whole_numbers_read_back_as_integers() -> None:
    document = ReportDocument()
    document.set_monte_carlo({"iterations": 10_000, "ratio": 0.25, "bins": [{"count": 3}]})
    document.set_metrics({"activities": 3_994, "spi": 1.19})

    plain = document.to_dict()

    assert plain["monte_carlo"] == {"iterations": 10_000, "ratio": 0.25, "bins": [{"count": 3}]}
    assert type(plain["monte_carlo"]["iterations"]) is int
    assert type(plain["monte_carlo"]["bins"][0]["count"]) is int
    assert type(plain["metrics"]["activities"]) is int
    assert plain["metrics"]["spi"] == 1.19


def test_confidence_levels_read_back_in_order() -> None:
    document = ReportDocument()
    levels = {f"p{level}": level / 100 for level in (95, 10, 97.5, 50, 80)}
    document.set_monte_carlo({"budget_completion": levels, "cost": {"percentiles": levels}})

    plain = document.to_dict()["monte_carlo"]

    expected = ["p10", "p50", "p80", "p95", "p97.5"]
    assert list(plain["budget_completion"]) == expected
    assert list(plain["cost"]["percentiles"]) == expected
    assert plain["budget_completion"]["p97.5"] == 0.975


@pytest.mark.parametrize("strategy", list(MergeStrategy), ids=lambda strategy: strategy.value)
def test_repeated_values_write_nothing(strategy: MergeStrategy) -> None:
    document = make_document()
    before = document.snapshot()
    body = "" if strategy is MergeStrategy.APPEND else "The project is on budget."

    document.update_section(
        "executive_summary",
        title="Executive Summary",
        body=body,
        metrics={"cost_performance": 1.02},
        strategy=strategy,
    )

    assert document.snapshot() == before
    assert document.to_dict()["sections"][0]["ai_generated"] is True


def test_replace_drops_unnamed_metrics() -> None:
    document = make_document()

    document.update_section(
        "executive_summary", metrics={"schedule_performance": 0.97}, strategy=MergeStrategy.REPLACE
    )

    assert document.to_dict()["sections"][0]["metrics"] == {"schedule_performance": 0.97}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(1, True, id="one to true"),
        pytest.param(True, 1, id="true to one"),
        pytest.param(0, False, id="zero to false"),
        pytest.param({"done": [1, 0]}, {"done": [True, False]}, id="nested numbers to booleans"),
    ],
)
def test_metric_changing_type_is_written(before: Any, after: Any) -> None:
    document = make_document()
    document.update_section("budget_analysis", metrics={"flag": before})

    document.update_section("budget_analysis", metrics={"flag": after})

    metrics = document.to_dict()["sections"][1]["metrics"]
    assert json.dumps(metrics["flag"]) == json.dumps(after)


def test_repeated_nan_metric_writes_nothing() -> None:
    document = make_document()
    document.update_section("budget_analysis", metrics={"variance": math.nan})
    before = document.snapshot()

    document.update_section("budget_analysis", metrics={"variance": math.nan})

    assert document.snapshot() == before
