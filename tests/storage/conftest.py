"""Fixtures that run every storage test on SQLite and on PostgreSQL.

The ``database`` fixture is parametrized with the ids "sqlite" and "postgresql". SQLite uses
a file in a temporary folder. PostgreSQL uses ``PMR_TEST_POSTGRES_URL`` when it is set, and
otherwise postgresql+psycopg://postgres@127.0.0.1:5432/test, then the same as user root.
If no PostgreSQL server accepts a connection, the postgresql cases fail with the reason. Set
``PMR_TEST_POSTGRES_URL`` to the empty string to skip them instead.

Each PostgreSQL database used here is a schema of its own, created for the test session
(or for one migration test) and dropped afterwards. Each test starts from empty tables
apart from the seeded templates. ``sample_result`` is a hand-built schedule for round trips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, make_url, text, update
from sqlalchemy.exc import OperationalError

from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Assignment,
    Calendar,
    Distribution,
    ImportResult,
    ImportWarning,
    MonthlyActual,
    PercentCompleteType,
    Project,
    Relationship,
    RelationshipType,
    Resource,
    Risk,
    ThreePointEstimate,
    WbsNode,
    WorkInterval,
)
from storage import Database
from storage.models import Base, TemplateRow

_DEFAULT_POSTGRES_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _reachable_postgres_url() -> URL:
    """Return the first PostgreSQL URL that accepts a connection, or fail the test."""
    configured = os.environ.get("PMR_TEST_POSTGRES_URL")
    if configured == "":
        pytest.skip("PostgreSQL cases disabled because PMR_TEST_POSTGRES_URL is empty")
    candidates = (configured,) if configured else _DEFAULT_POSTGRES_URLS
    failures = []
    for candidate in candidates:
        url = make_url(candidate)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        engine = create_engine(url)
        try:
            with engine.connect():
                return url
        except OperationalError as error:
            failures.append(f"{url.render_as_string()}: {str(error.orig).strip()}")
        finally:
            engine.dispose()
    pytest.fail(
        "PostgreSQL is unreachable (" + "; ".join(failures) + "). Start the server, point "
        "PMR_TEST_POSTGRES_URL at one, or set it to the empty string to skip these cases."
    )


@contextmanager
def _postgres_schema() -> Iterator[URL]:
    """Create a schema of its own and yield a URL whose connections work inside it."""
    server = _reachable_postgres_url()
    schema = f"pmr_storage_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield server.update_query_dict({"options": f"-csearch_path={schema}"})
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[Database]:
    """Yield a database of ``backend`` that has no tables yet; dispose and drop it after."""
    if backend == "sqlite":
        with Database(f"sqlite:///{folder / 'storage.sqlite3'}") as database:
            yield database
        return
    with _postgres_schema() as url, Database(url) as database:
        yield database


def _reset(database: Database) -> None:
    """Delete every row except the seeded templates, whose usage counts go back to 0."""
    with database.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != TemplateRow.__tablename__:
                session.execute(table.delete())
        session.execute(update(TemplateRow).values(usage_count=0))


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with empty_database("sqlite", tmp_path_factory.mktemp("sqlite")) as database:
        database.migrate()
        yield database


@pytest.fixture(scope="session")
def postgresql_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with empty_database("postgresql", tmp_path_factory.mktemp("postgresql")) as database:
        database.migrate()
        yield database


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated database of each backend, emptied after every test."""
    migrated: Database = request.getfixturevalue(f"{request.param}_database")
    yield migrated
    _reset(migrated)


@pytest.fixture(params=BACKENDS)
def unmigrated_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of each backend without any table, for the migration tests."""
    with empty_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def sample_result() -> ImportResult:
    """A schedule that sets every model field at least once, with two import warnings."""
    return build_import_result()


# The sample schedule. Its values are chosen to catch lossy storage: floats that are not
# exact in decimal, datetimes with seconds and microseconds, a midnight interval finish,
# empty and absent collections, and every enum member at least once.

_DAY = (WorkInterval(time(8, 0), time(12, 0)), WorkInterval(time(13, 0), time(17, 0)))
_NIGHT = (WorkInterval(time(22, 0), time(0, 0)),)


def _calendars() -> tuple[Calendar, ...]:
    standard = Calendar(
        id="CAL-1",
        name="Standard 5 x 8",
        hours_per_day=8.0,
        hours_per_week=40.0,
        week=(_DAY, _DAY, _DAY, _DAY, _DAY, (), ()),
        exceptions={date(2024, 12, 25): (), date(2024, 12, 28): (_DAY[0],)},
    )
    nights = Calendar(
        id="CAL-2",
        name="Night possession",
        hours_per_day=2.0,
        hours_per_week=14.0,
        week=(_NIGHT,) * 7,
    )
    return (standard, nights)


def _wbs() -> tuple[WbsNode, ...]:
    return (
        WbsNode(id="W1", code="RAIL", name="Rail upgrade", parent_id=None),
        WbsNode(id="W2", code="RAIL.TRK", name="Track works", parent_id="W1"),
    )


def _activities() -> tuple[Activity, ...]:
    full = Activity(
        id="A1",
        code="TRK-1000",
        name="Relay track, section 1",
        type=ActivityType.TASK,
        status=ActivityStatus.IN_PROGRESS,
        wbs_id="W2",
        calendar_id="CAL-1",
        percent_complete_type=PercentCompleteType.PHYSICAL,
        percent_complete=1 / 3,
        original_duration_hours=80.0,
        remaining_duration_hours=53.333333333333336,
        planned_start=datetime(2024, 1, 8, 8, 0),
        planned_finish=datetime(2024, 1, 19, 17, 0),
        early_start=datetime(2024, 1, 8, 8, 0, 30),
        early_finish=datetime(2024, 1, 19, 17, 0, 0, 123456),
        late_start=datetime(2024, 1, 15, 8, 0),
        late_finish=datetime(2024, 1, 26, 17, 0),
        actual_start=datetime(2024, 1, 9, 9, 15),
        actual_finish=None,
        baseline_start=datetime(2024, 1, 1, 8, 0),
        baseline_finish=datetime(2024, 1, 12, 17, 0),
        total_float_hours=40.0,
        free_float_hours=-8.5,
        constraint_type="start_no_earlier_than",
        constraint_date=datetime(2024, 1, 8, 8, 0),
        budgeted_cost=12345.678901234567,
        actual_cost=0.1 + 0.2,
        remaining_cost=8230.45,
        budgeted_units=120.0,
        actual_units=40.25,
        remaining_units=79.75,
        duration_estimate=ThreePointEstimate(64.0, 80.0, 120.0, Distribution.PERT),
        cost_estimate=ThreePointEstimate(11000.0, 12345.67, 15000.0),
        notes="Possession booked; see method statement MS-12 \u00a3 \u2013 done.",
    )
    milestone = Activity(
        id="A2",
        code="MS-END",
        name="Track handed back",
        type=ActivityType.FINISH_MILESTONE,
        status=ActivityStatus.NOT_STARTED,
    )
    start = Activity(
        id="A3",
        code="MS-START",
        name="Possession granted",
        type=ActivityType.START_MILESTONE,
        status=ActivityStatus.COMPLETED,
        percent_complete_type=PercentCompleteType.UNITS,
        percent_complete=1.0,
        actual_start=datetime(2024, 1, 8, 8, 0),
        actual_finish=datetime(2024, 1, 8, 8, 0),
    )
    others = tuple(
        Activity(id=f"A{index}", code=f"X-{index}", name=kind.value, type=kind, status=status)
        for index, (kind, status) in enumerate(
            [
                (ActivityType.LEVEL_OF_EFFORT, ActivityStatus.IN_PROGRESS),
                (ActivityType.WBS_SUMMARY, ActivityStatus.NOT_STARTED),
                (ActivityType.RESOURCE_DEPENDENT, ActivityStatus.NOT_STARTED),
            ],
            start=4,
        )
    )
    return (full, milestone, start, *others)


def _relationships() -> tuple[Relationship, ...]:
    return (
        Relationship("A3", "A1"),
        Relationship("A1", "A2", RelationshipType.FS, 16.0),
        Relationship("A1", "A6", RelationshipType.SS, -4.5),
        Relationship("A6", "A2", RelationshipType.FF, 0.0),
        Relationship("A3", "A6", RelationshipType.SF, 2.25),
    )


def _risks() -> tuple[Risk, ...]:
    possession = Risk(
        id="R1",
        title="Possession overrun",
        probability=0.35,
        description="Engineering hours end late and the line reopens with speed restrictions.",
        duration_impact_hours=ThreePointEstimate(4.0, 8.0, 24.0, Distribution.TRIANGULAR),
        cost_impact=ThreePointEstimate(5000.0, 9000.0, 20000.0, Distribution.LOGNORMAL),
        affected_activity_ids=("A1", "A6"),
        owner="Track engineer",
        status="mitigating",
        due_date=date(2024, 2, 29),
    )
    weather = Risk(
        id="R2",
        title="Frost",
        probability=0.1,
        cost_impact=ThreePointEstimate(100.0, 200.0, 300.0, Distribution.UNIFORM),
        duration_impact_hours=ThreePointEstimate(1.0, 2.0, 3.0, Distribution.NORMAL),
    )
    return (possession, weather, Risk(id="R3", title="Unassessed", probability=0.0))


def build_project() -> Project:
    """Return a schedule that sets every model field to a non-default value at least once."""
    return Project(
        source_id="P-100",
        name="Rail upgrade \u2013 phase 2",
        currency="GBP",
        data_date=datetime(2024, 1, 31, 17, 0),
        source_format="json",
        code="RU-2",
        planned_start=datetime(2024, 1, 1, 8, 0),
        planned_finish=datetime(2024, 6, 28, 17, 0),
        default_calendar_id="CAL-1",
        calendars=_calendars(),
        wbs=_wbs(),
        activities=_activities(),
        relationships=_relationships(),
        resources=(
            Resource(id="RES-1", name="Track gang", type="labor", unit="h", calendar_id="CAL-2"),
            Resource(id="RES-2", name="Rail", type="material"),
        ),
        assignments=(
            Assignment(
                id="AS-1",
                activity_id="A1",
                resource_id="RES-1",
                budgeted_cost=9000.5,
                actual_cost=3000.25,
                remaining_cost=6000.125,
                budgeted_units=120.0,
                actual_units=40.0,
                remaining_units=80.0,
                planned_start=datetime(2024, 1, 8, 8, 0),
                planned_finish=datetime(2024, 1, 19, 17, 0),
            ),
            Assignment(id="AS-2", activity_id="A1", resource_id=None, budgeted_cost=3345.17),
        ),
        risks=_risks(),
        monthly_actuals=(
            MonthlyActual("2023-12", 0.0),
            MonthlyActual("2024-01", 3000.25, earned_value=4115.23, planned_value=5000.0),
        ),
    )


def build_import_result() -> ImportResult:
    """Return the sample schedule with two import warnings."""
    return ImportResult(
        project=build_project(),
        warnings=(
            ImportWarning("missing_logic", "1 activity has no successor.", ("MS-END",)),
            ImportWarning("no_baseline", "Baseline dates were copied from planned dates."),
        ),
    )
