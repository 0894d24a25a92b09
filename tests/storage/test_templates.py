"""TemplateRepository on both backends: the templates seeded by migration 0002."""

from __future__ import annotations

import uuid

import pytest

from storage import (
    DETAILED_TEMPLATE_ID,
    EXECUTIVE_TEMPLATE_ID,
    Database,
    NotFound,
    TemplateRepository,
)

_EXECUTIVE_SECTIONS = [
    "executive_summary",
    "budget_analysis",
    "schedule_analysis",
    "risk_assessment",
]


def test_migration_seeds_two_builtin_templates(database: Database) -> None:
    templates = TemplateRepository(database).list()

    assert {template.id for template in templates} == {EXECUTIVE_TEMPLATE_ID, DETAILED_TEMPLATE_ID}
    for template in templates:
        assert template.export_formats == ("pdf", "slides", "excel")
        assert template.usage_count == 0
        assert template.rating is None


def test_executive_template_has_four_sections(database: Database) -> None:
    executive = TemplateRepository(database).get(EXECUTIVE_TEMPLATE_ID)

    assert executive.template_type == "executive"
    assert [section.section_id for section in executive.sections] == _EXECUTIVE_SECTIONS
    assert executive.sections[0].ai_suggestions.focus_areas == ("budget", "schedule", "risks")
    assert executive.sections[0].ai_suggestions.include_predictions is True


def test_detailed_template_extends_executive_sections(database: Database) -> None:
    detailed = TemplateRepository(database).get(DETAILED_TEMPLATE_ID)
    section_ids = [section.section_id for section in detailed.sections]

    assert detailed.template_type == "detailed"
    assert set(_EXECUTIVE_SECTIONS) < set(section_ids)
    assert "earned_value_detail" in section_ids
    assert "insights" in section_ids


def test_as_dict_matches_api_shape(database: Database) -> None:
    executive = TemplateRepository(database).get(EXECUTIVE_TEMPLATE_ID)

    shaped = executive.as_dict()

    assert shaped["id"] == str(EXECUTIVE_TEMPLATE_ID)
    assert shaped["export_formats"] == ["pdf", "slides", "excel"]
    assert shaped["sections"][0] == {
        "section_id": "executive_summary",
        "title": "Executive Summary",
        "ai_suggestions": {
            "content_type": "natural_language_summary",
            "include_predictions": True,
            "focus_areas": ["budget", "schedule", "risks"],
        },
    }


def test_default_is_executive(database: Database) -> None:
    assert TemplateRepository(database).default().id == EXECUTIVE_TEMPLATE_ID


def test_record_use_counts_up(database: Database) -> None:
    templates = TemplateRepository(database)

    first = templates.record_use(DETAILED_TEMPLATE_ID)
    second = templates.record_use(DETAILED_TEMPLATE_ID)

    assert (first, second) == (1, 2)
    assert templates.get(DETAILED_TEMPLATE_ID).usage_count == 2


def test_unknown_template_raises_not_found(database: Database) -> None:
    templates = TemplateRepository(database)

    with pytest.raises(NotFound, match="template"):
        templates.get(uuid.uuid4())
    with pytest.raises(NotFound, match="template"):
        templates.record_use(uuid.uuid4())
