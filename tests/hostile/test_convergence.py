"""Property: any interleaving of edits from several clients through the server converges.

Hypothesis draws a sequence of edits, each by one of two Yjs clients (inserts and deletes
at drawn positions) or two JSON clients (``section_update`` with a drawn merge strategy).
The edits go out without waiting for one another, so the server sees them interleaved as
the clients' sends race. Afterwards every client, REST and the stored update log must hold
the same section text. The profile is derandomized with a small example count, so CI runs
the same bounded set of cases every time.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from crdt.document import ReportDocument
from storage import Database
from storage.repositories.reports import ReportRepository
from tests.collaboration.conftest import WAIT_SECONDS, JsonClient, Server, YjsClient

pytestmark = pytest.mark.ray

# Each example costs a few seconds of real round trips on a shared 2-core machine.
EXAMPLES = 30
CONVERGENCE_SECONDS = 60.0

# NOTE: characters outside the Basic Multilingual Plane are left out. A drawn delete can
# split such a character's UTF-16 surrogate pair in a JavaScript client, which then keeps a
# lone surrogate that the server, reading the text as UTF-8, shows differently.
WORDS = st.text(alphabet="abcxyz é\n", min_size=1, max_size=12)


@dataclass(frozen=True, slots=True)
class YjsInsert:
    client: int
    index: int  # resolved modulo the client's current text length + 1
    text: str


@dataclass(frozen=True, slots=True)
class YjsDelete:
    client: int
    index: int
    length: int


@dataclass(frozen=True, slots=True)
class JsonUpdate:
    client: int
    strategy: str
    text: str


EDITS = st.one_of(
    st.builds(YjsInsert, st.integers(0, 1), st.integers(0, 10_000), WORDS),
    st.builds(YjsDelete, st.integers(0, 1), st.integers(0, 10_000), st.integers(1, 6)),
    st.builds(
        JsonUpdate, st.integers(0, 1), st.sampled_from(["merge", "replace", "append"]), WORDS
    ),
)


@dataclass
class Editors:
    report_id: str
    section_id: str
    yjs: list[YjsClient]
    json: list[JsonClient]
    json_bodies: list[str]


@pytest.fixture
def editors(hostile: Server, hostile_report: dict[str, Any]) -> Editors:
    report_id = hostile_report["id"]
    section_id = hostile_report["sections"][1]["section_id"]
    yjs = [hostile.yjs(report_id, f"y{index}@example.com") for index in range(2)]
    for client in yjs:
        client.wait_synced()
    json_clients = [hostile.json_client(report_id, f"j{index}@example.com") for index in range(2)]
    bodies = [
        next(
            item["body"] for item in client.welcome["sections"] if item["section_id"] == section_id
        )
        for client in json_clients
    ]
    return Editors(report_id, section_id, yjs, json_clients, bodies)


def _apply(editors: Editors, edit: YjsInsert | YjsDelete | JsonUpdate, step: int) -> int | None:
    """Send one edit without waiting for the server; return the Yjs command id, if any."""
    section = editors.section_id
    if isinstance(edit, JsonUpdate):
        # A merge or replace rewrites the body from what this client last saw plus the
        # drawn text, as an editor does; the server merges it with concurrent changes.
        base = _last_seen(editors, edit.client)
        content = base + edit.text if edit.strategy != "append" else edit.text
        editors.json[edit.client].send(
            "section_update",
            request_id=f"e{step}",
            section_id=section,
            changes={"content": content, "merge_strategy": edit.strategy},
        )
        return None
    client = editors.yjs[edit.client]
    length = len(client.text(section))
    if isinstance(edit, YjsInsert):
        return client.send(
            "insert", section=section, index=edit.index % (length + 1), text=edit.text
        )
    if length == 0:
        return None
    index = edit.index % length
    return client.send(
        "delete", section=section, index=index, length=min(edit.length, length - index)
    )


def _last_seen(editors: Editors, index: int) -> str:
    """Return the section body from the newest event JSON client ``index`` has received.

    Section updates are taken out of the client's kept events as they are read, so the
    kept events hold only what a later wait still needs.
    """
    client = editors.json[index]
    for event in list(client.events):
        if event["type"] == "section_update" and event["section_id"] == editors.section_id:
            editors.json_bodies[index] = event["changes"]["content"]
            client.events.remove(event)
    return editors.json_bodies[index]


def _stored_body(server: Server, report_id: str, section_id: str) -> str:
    """Rebuild the section from the database's snapshot and update log."""
    database = Database(server.settings.sqlalchemy_url)
    try:
        stored = ReportRepository(database).load(uuid.UUID(report_id))
    finally:
        database.dispose()
    updates = ([stored.snapshot] if stored.snapshot is not None else []) + [
        update for _, update in stored.updates
    ]
    return ReportDocument.from_updates(updates).section_body(section_id)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    # No shrinking: one replay of a failing case against the live server can take a minute.
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.lists(EDITS, min_size=1, max_size=10))
def test_interleaved_edits_converge(
    hostile: Server, editors: Editors, edits: list[YjsInsert | YjsDelete | JsonUpdate]
) -> None:
    section = editors.section_id
    pending = [(step, _apply(editors, edit, step)) for step, edit in enumerate(edits)]
    for (_, command), edit in zip(pending, edits, strict=True):
        if command is not None:
            editors.yjs[edit.client].result(command)
    answers = [
        _answer(editors.json[edit.client], f"e{step}")
        for step, edit in enumerate(edits)
        if isinstance(edit, JsonUpdate)
    ]
    # The server handles one socket's frames in order, so the echo of a last marker edit
    # shows that every earlier edit of that client is stored.
    for index, client in enumerate(editors.yjs):
        label = f"end-{uuid.uuid4().hex}"
        client.insert(section, -1, str(index), label=label)
        client.wait_echo(label, CONVERGENCE_SECONDS)
    first, second = editors.yjs
    # Polled: each client's wait wakes only on its own events, and either may move last.
    deadline = time.monotonic() + CONVERGENCE_SECONDS
    while second.text(section) != first.text(section) and time.monotonic() < deadline:
        time.sleep(0.2)
    rest_body = _settled_rest_body(hostile, editors, first.text(section))
    stored = _stored_body(hostile, editors.report_id, section)

    assert [answer["type"] for answer in answers] == ["ack"] * len(answers), answers
    assert second.text(section) == first.text(section)
    assert [client.text(section) for client in editors.yjs] == [rest_body, rest_body]
    assert stored == rest_body
    for index, json_client in enumerate(editors.json):
        assert _converged_json(editors, index, rest_body), json_client.events[-4:]


def _answer(client: JsonClient, request_id: str) -> dict[str, Any]:
    """Wait for the ``ack`` or ``error`` event that replies to ``request_id``."""
    return client.wait_event(
        lambda event: event["type"] in ("ack", "error") and event.get("request_id") == request_id
    )


def _settled_rest_body(server: Server, editors: Editors, expected: str) -> str:
    """Read the section over REST until it equals ``expected`` or the wait runs out.

    An echo means the client's edit is stored, but the replica serving REST may not have
    taken the change in yet, so REST is compared once it has settled.
    """
    deadline = time.monotonic() + CONVERGENCE_SECONDS
    body = _rest_body(server, editors)
    while body != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        body = _rest_body(server, editors)
    return body


def _rest_body(server: Server, editors: Editors) -> str:
    report = server.pm.get(f"/api/reports/pmr/{editors.report_id}").json()
    body: str = next(
        section["content"]["body"]
        for section in report["sections"]
        if section["section_id"] == editors.section_id
    )
    return body


def _converged_json(editors: Editors, index: int, wanted: str) -> bool:
    """Wait until JSON client ``index``'s newest view of the section equals ``wanted``."""
    if _last_seen(editors, index) == wanted:
        return True
    try:
        editors.json[index].wait_event(
            lambda event: (
                event["type"] == "section_update"
                and event["section_id"] == editors.section_id
                and event["changes"]["content"] == wanted
            ),
            WAIT_SECONDS,
        )
    except AssertionError:
        return False
    editors.json_bodies[index] = wanted
    return True
