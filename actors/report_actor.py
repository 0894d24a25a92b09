"""The report actor: the single authority over one report's document and its session.

Every change, from a Yjs client, a JSON client, REST or a generation, becomes an update
that is appended to the report's update log first and applied to the live document and
broadcast only after the write returned. A change that fails to store therefore changes
nothing, and a restarted actor rebuilds exactly what any client was shown.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import ray
from pycrdt import merge_updates

from actors import metrics
from actors.audit_trail import AuditTrail, session_event
from actors.collaboration import Collaboration, event, now_iso
from actors.connections import (
    CLOSE_FORBIDDEN,
    CLOSE_INTERNAL_ERROR,
    Connection,
    Connections,
)
from actors.document_edits import apply_chat_edit, merge_insights, set_insight_status
from actors.errors import (
    DuplicateConnectionError,
    ReportUnloadingError,
    UnknownConnectionError,
)
from actors.outbox import Close, Frame, FrameKind, Outbox, Outgoing
from actors.revisions import DocumentRevision
from actors.session_log import ChangeLog
from actors.stream import StreamServer, StreamTicket
from actors.update_writer import UpdateWriter
from config import Settings
from config.logs import bind_process, configure_logging
from crdt import (
    CommentNotFoundError,
    MergeStrategy,
    ReportDocument,
    SectionWatcher,
    add_comment,
    comment_view,
    list_comments,
    resolve_comment,
)
from crdt.protocol import permission_denied, sync_update
from crdt.validation import ShadowValidator
from knowledge.edits import EditRequest
from storage import (
    AuditRepository,
    CollaborationRepository,
    CollaborationSession,
    Database,
    Permission,
    ReportRepository,
    SqliteUpdateLog,
    StorageError,
)

logger = logging.getLogger(__name__)

# The update log is merged into a snapshot once it has COMPACT_AFTER_UPDATES rows and the
# report has had no edit for COMPACT_QUIET_SECONDS. The merge writes under the database's
# write lock, and an edit arriving meanwhile waits for it: on SQLite, waits of about 5 ms
# were seen while a writer sent 50 edits a second. A report edited without such a pause
# is merged anyway at COMPACT_ALWAYS_AFTER_UPDATES rows, so its log stays bounded.
COMPACT_AFTER_UPDATES = 200
COMPACT_QUIET_SECONDS = 1.0
COMPACT_ALWAYS_AFTER_UPDATES = 5000
# The minimum time between two copies of SQLite's write-ahead log into the database file,
# made after appends (storage/sqlite_log.py).
CHECKPOINT_SECONDS = 5.0
# A merge that failed is tried again no sooner than this, so that a database that keeps
# failing gets one attempt and one logged error per interval rather than one per edit.
COMPACT_RETRY_SECONDS = 10.0
# How often the housekeeping task runs: presence expiry, stale replicas, idle unload.
_HOUSEKEEPING_SECONDS = 1.0
# Server-side edits: no two forks at once, because forks author under the same client id.
Edit = Callable[[ReportDocument], Any]


class ReportActor:
    """Owns one report's pycrdt document, its connections and its persistence.

    Lives in a ReportHost actor (actors/report_host.py). Ray restarts the host after a
    crash, which constructs this again: ``__init__`` reloads the document from the stored
    snapshot and update log. ``release`` runs when the actor unloads, before it ends.
    """

    def __init__(
        self, report_id: str, settings: Settings, release: Callable[[], None] | None = None
    ) -> None:
        configure_logging(settings)
        bind_process(report_id=report_id)
        self._release = release
        self._report_id = uuid.UUID(report_id)
        self._settings = settings
        self._database = Database(settings.sqlalchemy_url)
        self._reports = ReportRepository(self._database)
        self._sessions = CollaborationRepository(self._database)
        # A failed load raises here, so Ray reports the actor as failed and keeps nothing.
        snapshot, rows = self._reports.load(self._report_id)
        stored = ([snapshot] if snapshot else []) + [update for _, update in rows]
        self._document = ReportDocument.from_updates(stored)
        self._session = self._sessions.get(self._report_id)
        self._log_rows = len(rows)
        # Live edits on the embedded database skip SQLAlchemy (storage/sqlite_log.py).
        self._log = (
            SqliteUpdateLog(self._database) if SqliteUpdateLog.suits(self._database) else None
        )
        self._writer = UpdateWriter(
            self._report_id,
            self._log.append if self._log is not None else self._reports.append_updates,
            inline=self._log is not None,
        )
        self._watcher = SectionWatcher(self._document)
        self._shadow = ShadowValidator(self._document)
        self._outbox = Outbox()
        self._connections = Connections()
        self._stream = StreamServer(
            self._outbox,
            self.receive,
            self.unsubscribe,
            self,
            frame_limit=settings.max_frame_bytes,
        )
        self._changes = ChangeLog(self._report_id, self._sessions)
        self._audit = AuditTrail(self._report_id, AuditRepository(self._database), self._document)
        self._revision = DocumentRevision(self._report_id, settings)
        self._collaboration = Collaboration(
            self._document,
            self._connections,
            self._outbox,
            self._store_client_update,
            self._edit_for,
            self._drop_overflowed,
        )
        self._edit_lock = asyncio.Lock()
        self._compaction: asyncio.Task[None] | None = None
        self._compaction_retry_at = -math.inf
        self._compaction_failures = 0
        self._last_edit = -math.inf
        self._last_checkpoint = time.monotonic()
        self._housekeeping: asyncio.Task[None] | None = None
        self._last_activity = time.monotonic()
        self._unloading = False
        metrics.report_loaded(True)
        logger.info(
            "report %s loaded: %d stored updates, %d bytes",
            report_id,
            len(stored),
            sum(map(len, stored)),
        )

    # Document access -----------------------------------------------------------------------

    async def read(self) -> dict[str, Any]:
        """Return the document as JSON-ready values."""
        self._touch()
        return self._document.to_dict()

    async def read_revision(self) -> dict[str, Any]:
        """Return the document with the revision token it has, for the report cache."""
        self._touch()
        return {"revision": self._revision.current, "document": self._document.to_dict()}

    async def revision(self) -> str:
        """Return the current revision token, publishing it again in case Redis lost it."""
        self._touch()
        await self._revision.publish()
        return self._revision.current

    async def process_id(self) -> int:
        return os.getpid()

    async def write_generated(self, content: Mapping[str, Any]) -> int:
        """Write generated report content once, as one stored change; return the version.

        ``content`` holds ``meta``, ``sections`` (dicts with section_id, title, body,
        order, metrics, ai_generated, confidence_score), ``insights``, ``monte_carlo``
        and ``metrics``. Sections already present are left alone, so a repeated call
        after a retry does not duplicate text.
        """

        def edit(document: ReportDocument) -> None:
            existing = set(document.section_ids())
            document.set_meta(content.get("meta", {}))
            for section in content.get("sections", []):
                if section["section_id"] in existing:
                    continue
                document.put_section(
                    section["section_id"],
                    title=section["title"],
                    body=section["body"],
                    order=section["order"],
                    metrics=section.get("metrics"),
                    ai_generated=section.get("ai_generated", False),
                    confidence_score=section.get("confidence_score"),
                )
            document.set_insights(content.get("insights", []))
            if content.get("monte_carlo") is not None:
                document.set_monte_carlo(content["monte_carlo"])
            document.set_metrics(content.get("metrics", {}))

        version, _ = await self._commit(edit, user="generation", change_type="generated")
        return version

    async def update_section(
        self,
        section_id: str,
        *,
        title: str | None,
        body: str | None,
        metrics: Mapping[str, Any] | None,
        strategy: str,
        user: str = "api",
    ) -> dict[str, Any]:
        """Apply a direct section update; return the section as stored and the version.

        Raises:
            SectionNotFoundError: the report has no such section.
        """
        merge = MergeStrategy(strategy)

        def edit(document: ReportDocument) -> None:
            document.update_section(
                section_id, title=title, body=body, metrics=metrics, strategy=merge
            )

        version, _ = await self._commit(edit, user=user, section_id=section_id)
        view = self._document.to_dict()
        section = next(s for s in view["sections"] if s["section_id"] == section_id)
        return {
            "section": section,
            "version": version,
            "last_modified": view["meta"].get("last_modified"),
        }

    async def set_monte_carlo(self, analysis: Mapping[str, Any], user: str = "simulation") -> int:
        version, _ = await self._commit(
            lambda document: document.set_monte_carlo(analysis),
            user=user,
            change_type="monte_carlo",
        )
        return version

    # Collaboration session and comments ------------------------------------------------------

    async def start_session(
        self, session_type: str, permissions: Mapping[str, str], started_by: str
    ) -> dict[str, Any]:
        """Start (or restart) the collaboration session and apply its permissions to live users."""
        previous = self._session
        self._session = await asyncio.to_thread(
            self._sessions.start,
            self._report_id,
            session_type=session_type,
            permissions=permissions,
            started_by=started_by,
        )
        for connection in self._connections.all():
            permission = self._session.permission_for(connection.user, connection.is_admin)
            if permission is None:
                self._close([connection], CLOSE_FORBIDDEN, f"{connection.user} left the session")
            elif permission != connection.permission:
                could_edit = connection.can_edit
                connection.permission = permission
                self._announce_permission(connection, could_edit)
        self._changes.record(started_by, None, "session_started")
        self._audit.record(session_event(self._report_id, previous, self._session, started_by))
        await self._audit.flush()
        return await self.session_view()

    async def session_view(self) -> dict[str, Any]:
        session = self._session
        changes = await asyncio.to_thread(self._changes.history)
        active = sorted({c.user for c in self._connections.all() if c.can_edit})
        return {
            "report_id": str(self._report_id),
            "session_id": str(session.session_id) if session else None,
            "session_type": session.session_type if session else None,
            "participants": [
                {"user_id": email, "permission": permission.value}
                for email, permission in sorted((session.permissions if session else {}).items())
            ],
            "online": self._connections.presence(),
            "active_editors": active,
            "started_at": session.started_at.isoformat() if session else None,
            "last_activity": _last_activity(session, self._changes.stored_at),
            "changes_log": changes,
            "comments": list_comments(self._document),
        }

    async def permission_for(self, user: str, role_permission: str, is_admin: bool) -> str | None:
        """Return the permission ``user`` gets on this report, or None when refused.

        With a session, its participants get their listed permission and admins edit;
        anyone else is refused. Without one, the caller's role decides.

        Raises:
            ValueError: ``role_permission`` is not a valid permission.
        """
        role = Permission(role_permission)
        if self._session is None:
            return role.value
        permission = self._session.permission_for(user, is_admin)
        return permission.value if permission is not None else None

    async def comments(self, section_id: str | None = None) -> list[dict[str, Any]]:
        return list_comments(self._document, section_id)

    async def add_comment(
        self, section_id: str, content: str, position: int | None, user: str
    ) -> dict[str, Any]:
        comment_id = str(uuid.uuid4())

        def edit(document: ReportDocument) -> None:
            add_comment(
                document,
                comment_id=comment_id,
                section_id=section_id,
                content=content,
                user=user,
                created_at=now_iso(),
                position=position,
            )

        await self._commit(edit, user=user, section_id=section_id, change_type="comment_added")
        return comment_view(self._document, comment_id)

    async def resolve_comment(self, comment_id: str, user: str) -> dict[str, Any]:
        """Resolve a comment, or return it unchanged if it is resolved already."""
        current = comment_view(self._document, comment_id)

        def edit(document: ReportDocument) -> None:
            resolve_comment(document, comment_id, user=user, resolved_at=now_iso())

        await self._commit(
            edit, user=user, section_id=current["section_id"], change_type="comment_resolved"
        )
        return comment_view(self._document, comment_id)

    # Assistant: insights and chat edits -----------------------------------------------------

    async def merge_insights(
        self,
        generated: list[dict[str, Any]],
        *,
        types: list[str] | None,
        categories: list[str] | None,
        user: str,
    ) -> dict[str, Any]:
        """Replace the insights of the given types and categories; return them and the version."""
        version, merged = await self._commit(
            lambda document: merge_insights(document, generated, types, categories),
            user=user,
            change_type="insights_generated",
        )
        return {"insights": merged, "version": version}

    async def set_insight_status(
        self, insight_id: str, status: str, user: str
    ) -> dict[str, Any] | None:
        """Validate or reject one insight; return it with its previous status, or None."""
        if not any(
            i.get("insight_id") == insight_id for i in self._document.to_dict()["insights"]
        ):
            return None
        version, result = await self._commit(
            lambda document: set_insight_status(document, insight_id, status),
            user=user,
            change_type=f"insight_{status}",
        )
        if result is None:
            return None
        insight, previous = result
        return {"insight": insight, "previous_status": previous, "version": version}

    async def apply_chat_edit(self, request: EditRequest, user: str) -> dict[str, Any]:
        """Apply one chat edit as one stored change, logged as ``chat:<change type>``."""
        version, (old, new) = await self._commit(
            lambda document: apply_chat_edit(document, request),
            user=user,
            section_id=request.section_id,
            change_type=f"chat:{request.kind.change_type}",
        )
        return {"old_content": old, "new_content": new, "version": version}

    # Replica subscriptions and connections ---------------------------------------------------

    async def subscribe(self) -> str:
        if self._unloading:
            raise ReportUnloadingError(str(self._report_id))
        self._touch()
        return self._outbox.subscribe()

    async def open_stream(self) -> StreamTicket:
        """Subscribe a replica and return the ticket for its direct stream (actors/stream.py)."""
        subscription = await self.subscribe()
        return await self._stream.ticket(subscription)

    async def subscription_count(self) -> int:
        """Return how many replicas subscribe to this report, one per replica with sockets."""
        return len(self._outbox.subscriptions)

    async def unsubscribe(self, subscription_id: str) -> None:
        for connection in self._connections.of_subscription(subscription_id):
            self._drop(connection.id)
        self._outbox.unsubscribe(subscription_id)
        self._stream.forget(subscription_id)

    async def connect(
        self,
        subscription_id: str,
        connection_id: str,
        user: str,
        permission: str,
        kind: str,
        is_admin: bool = False,
    ) -> list[Outgoing]:
        """Register a connection; return the frames it starts with.

        With a session, the session's current permission for ``user`` applies. A user whom
        it leaves out is not registered and gets a 4403 close as the only frame.

        Raises:
            ReportUnloadingError: the actor unloads.
            DuplicateConnectionError: ``connection_id`` is registered already, by this or
                another subscription. The registered connection stays as it was.
            ValueError: ``permission`` or ``kind`` is not a valid value.
        """
        if self._unloading:
            raise ReportUnloadingError(str(self._report_id))
        if self._connections.get(connection_id) is not None:
            raise DuplicateConnectionError(connection_id)
        granted, frame_kind = Permission(permission), FrameKind(kind)
        self._touch()
        # ``permission`` comes from the replica's earlier permission_for call, so a session
        # started in between decides instead.
        if self._session is not None:
            current = self._session.permission_for(user, is_admin)
            if current is None:
                logger.info(
                    "report %s: %s left the session before joining; closing connection %s",
                    self._report_id,
                    user,
                    connection_id,
                )
                return [Close(CLOSE_FORBIDDEN, f"{user} left the session")]
            granted = current
        connection = Connection(
            id=connection_id,
            subscription=subscription_id,
            user=user,
            permission=granted,
            kind=frame_kind,
            is_admin=is_admin,
        )
        self._connections.add(connection)
        self._count_connections()
        self._publish_presence("join", connection)
        logger.info("report %s: %s joined (%s, %s)", self._report_id, user, granted.value, kind)
        if connection.kind is FrameKind.BINARY:
            return self._collaboration.welcome_binary()
        self._collaboration.announce_json_client(connection)
        return self._collaboration.welcome_json(connection)

    async def receive(
        self, connection_id: str, frame: bytes | str, subscription_id: str | None = None
    ) -> list[Outgoing]:
        """Handle one frame of a connection; return what goes back to that connection only.

        Raises:
            UnknownConnectionError: the connection is unknown, or it belongs to another
                subscription than ``subscription_id``.
        """
        connection = self._connections.get(connection_id)
        if connection is None or subscription_id not in (None, connection.subscription):
            raise UnknownConnectionError(connection_id)
        self._touch()
        try:
            if isinstance(frame, bytes):
                return await self._collaboration.receive_binary(connection, frame)
            return await self._collaboration.receive_text(connection, frame)
        except StorageError as error:
            logger.error(
                "report %s: a change of %s was not stored: %s",
                self._report_id,
                connection.user,
                error,
            )
            return [
                Close(CLOSE_INTERNAL_ERROR, "the change could not be stored; reconnect to resync")
            ]

    async def disconnect(self, connection_id: str, subscription_id: str | None = None) -> None:
        """Drop a connection; with ``subscription_id``, only one of that subscription."""
        connection = self._connections.get(connection_id)
        if connection is None or subscription_id not in (None, connection.subscription):
            return
        self._drop(connection_id)

    # Storing and applying --------------------------------------------------------------------

    async def _store_client_update(self, update: bytes, connection: Connection) -> None:
        """Store and apply a client's update once it proved to apply cleanly to the shadow.

        Raises:
            ProtocolError: the update would fail on the live document or break its layout.
        """
        self._shadow.check(update)
        await self._store_and_apply(update, connection.user, checked=True)

    async def _edit_for(
        self, edit: Edit, connection: Connection, section_id: str | None, change_type: str
    ) -> Any:
        """Commit a JSON client's edit.

        Section text is audited coalesced, as Yjs edits are. A comment gets an audit entry
        of its own, as one made over REST does.
        """
        _, result = await self._commit(
            edit,
            user=connection.user,
            section_id=section_id,
            change_type=change_type,
            live=change_type == "content_update",
        )
        return result

    async def _commit(
        self,
        edit: Edit,
        *,
        user: str,
        section_id: str | None = None,
        change_type: str = "content_update",
        live: bool = False,
    ) -> tuple[int, Any]:
        """Stage ``edit`` on a fork, store the update, apply and broadcast it.

        Returns the new version and what ``edit`` returned. An edit that changes nothing is
        neither stored nor broadcast and keeps the version. The lock keeps one fork at a
        time, because forks author under the same client id.
        """
        async with self._edit_lock:
            before = self._document.state_vector()
            staged = self._document.fork()
            result = edit(staged)
            if not _changed(staged, self._document, before):
                return self._document.version, result
            version = staged.bump_version(now_iso())
            update = staged.changes_since(before)
            await self._store_and_apply(
                update, user, change_type=change_type, section_hint=section_id, live=live
            )
        return version, result

    async def _store_and_apply(
        self,
        update: bytes,
        user: str,
        *,
        change_type: str = "content_update",
        section_hint: str | None = None,
        checked: bool = False,
        live: bool = False,
    ) -> None:
        """Store, apply and broadcast one update; ``checked`` marks a Yjs client's update.

        Client updates and JSON clients' edits (``live``) are audited coalesced; every
        other change gets its own audit entry before this returns.
        """
        await self._writer.append(update)
        stored_at = time.time()
        self._log_rows += 1
        self._last_edit = time.monotonic()
        audit = self._audit.before(
            self._document,
            user=user,
            change_type=change_type,
            section_hint=section_hint,
            live=checked or live,
        )
        before = self._document.state_vector() if checked else None
        self._document.apply(update)
        # A client update that leaves the state vector as it was may wait for an earlier one.
        stalled = checked and self._document.state_vector() == before
        self._collaboration.document_changed(update if stalled else None)
        self._revision.advance()
        if not checked:
            self._shadow.accept(update)
        sections, added, changed = self._watcher.take()
        # Published before the broadcast, so that a client who received the change and then
        # reads the report through the cache cannot get the body from before it.
        await self._revision.publish()
        self._broadcast(
            Frame(FrameKind.BINARY, sync_update(update), stored_at=stored_at, update=update)
        )
        self._announce(user, sections, added, changed)
        for section_id in sections or ({section_hint} if section_hint else set()):
            self._changes.record(user, section_id, change_type)
        if not sections and section_hint is None:
            self._changes.record(user, None, change_type)
        self._audit.after(self._document, audit, sections, added | changed)
        metrics.document_updated("client" if checked else "server")
        if not audit.live:
            await self._audit.flush()
        self._maybe_compact()

    def _announce(self, user: str, sections: set[str], added: set[str], changed: set[str]) -> None:
        """Send JSON clients an event for each section and comment an applied update changed."""
        if not self._connections.json_ids():
            return
        timestamp = now_iso()
        for section_id in sorted(sections):
            section = self._document.section_view(section_id)
            if section is None:
                payload = event(
                    "section_removed", section_id=section_id, user_id=user, timestamp=timestamp
                )
            else:
                payload = event(
                    "section_update",
                    section_id=section_id,
                    user_id=user,
                    changes={
                        "content": section["body"],
                        "title": section["title"],
                        "timestamp": timestamp,
                    },
                )
            self._broadcast(Frame(FrameKind.TEXT, payload))
        for comment_id in [*sorted(added), *sorted(changed - added)]:
            try:
                view = comment_view(self._document, comment_id)
            except CommentNotFoundError:
                # A Yjs editor removed the comment. One added and removed within the same
                # update was never announced, so it needs no removal either.
                if comment_id not in added:
                    payload = event(
                        "comment_removed", comment_id=comment_id, user_id=user, timestamp=timestamp
                    )
                    self._broadcast(Frame(FrameKind.TEXT, payload))
                continue
            kind = "comment_added" if comment_id in added else "comment_updated"
            self._broadcast(Frame(FrameKind.TEXT, event(kind, **view)))
        for connection in self._connections.all():
            if connection.cursor_section in sections:
                self._collaboration.publish_cursor(connection)

    def _announce_permission(self, connection: Connection, could_edit: bool) -> None:
        """Send a client its new permission.

        JSON clients get a ``permission_changed`` event. The only permission message of the
        y-websocket protocol is auth permission-denied, so a Yjs client gets one when it may
        no longer edit and nothing when it gains permission.
        """
        if connection.kind is FrameKind.TEXT:
            payload: bytes | str = event(
                "permission_changed",
                user_id=connection.user,
                permission=connection.permission.value,
            )
        elif could_edit and not connection.can_edit:
            payload = permission_denied(
                f"{connection.user} now has {connection.permission.value} permission on this "
                "report; further document changes will not be applied"
            )
        else:
            return
        self._broadcast(Frame(connection.kind, payload, frozenset({connection.id})))

    def _broadcast(self, frame: Outgoing) -> None:
        self._drop_overflowed(self._outbox.publish(frame))

    def _drop_overflowed(self, subscriptions: list[str]) -> None:
        """Drop the connections of replica subscriptions whose queue overflowed."""
        for subscription_id in subscriptions:
            logger.warning(
                "report %s: replica subscription %s overflowed; its clients will resync",
                self._report_id,
                subscription_id,
            )
            for connection in self._connections.of_subscription(subscription_id):
                self._drop(connection.id)

    # Presence and lifecycle ------------------------------------------------------------------

    def _publish_presence(self, change: str, connection: Connection) -> None:
        payload = event(
            "presence",
            event=change,
            user_id=connection.user,
            connection_id=connection.id,
            users=self._connections.presence(),
        )
        self._broadcast(Frame(FrameKind.TEXT, payload))

    def _drop(self, connection_id: str) -> None:
        connection = self._connections.remove(connection_id)
        if connection is None:
            return
        removals = self._collaboration.awareness.remove_connection(connection_id)
        if removals:
            self._collaboration.broadcast_awareness(removals)
        self._count_connections()
        self._publish_presence("leave", connection)
        logger.info("report %s: %s left", self._report_id, connection.user)

    def _count_connections(self) -> None:
        connections = self._connections.all()
        text = sum(1 for c in connections if c.kind is FrameKind.TEXT)
        metrics.connections_open(len(connections) - text, text)

    def _close(self, connections: list[Connection], code: int, reason: str) -> None:
        targets = frozenset(c.id for c in connections)
        self._broadcast(Close(code, reason, targets))
        for connection in connections:
            self._drop(connection.id)

    def start_housekeeping(self) -> None:
        """Start the housekeeping task, so that the actor unloads even if no caller uses it."""
        self._touch()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._ensure_housekeeping()

    def _ensure_housekeeping(self) -> None:
        if self._housekeeping is None or self._housekeeping.done():
            self._housekeeping = asyncio.get_running_loop().create_task(self._housekeep())

    async def _housekeep(self) -> None:
        while not self._unloading:
            await asyncio.sleep(_HOUSEKEEPING_SECONDS)
            try:
                await self._housekeeping_round()
            except Exception:  # it alone unloads an idle actor, so it must outlive a failure
                logger.exception("report %s: housekeeping failed; trying again", self._report_id)

    async def _housekeeping_round(self) -> None:
        self._collaboration.expire_awareness()
        self._collaboration.renew_json_cursors()
        for subscription_id in self._outbox.stale():
            self._stream.forget(subscription_id)
            for connection in self._connections.of_subscription(subscription_id):
                self._drop(connection.id)
        await self._changes.flush_due()
        await self._audit.flush_due()
        await self._revision.publish_pending()
        self._maybe_compact()
        await self._checkpoint()
        idle = time.monotonic() - self._last_activity
        if (
            not self._connections.all()
            and not self._outbox.subscriptions
            and idle > self._settings.actor_idle_timeout_seconds
        ):
            await self._unload()

    async def _unload(self) -> None:
        """Flush everything, refuse new work and end this actor; the next use starts afresh."""
        self._unloading = True
        try:
            await self._writer.flush()
            await self._changes.flush()
            await self._audit.flush()
        except Exception:
            # Entries not yet stored stay in memory, so keep serving and retry the unload later.
            self._unloading = False
            raise
        metrics.report_loaded(False)
        await self._stream.stop()
        if self._log is not None:
            self._log.close()
        self._watcher.close()
        logger.info(
            "report %s unloaded after %.0f s idle",
            self._report_id,
            self._settings.actor_idle_timeout_seconds,
        )
        if self._release is not None:
            self._release()
        ray.kill(ray.get_runtime_context().current_actor, no_restart=True)

    async def _checkpoint(self) -> None:
        """Copy SQLite's write-ahead log into the database file, on a worker thread."""
        if self._log is None or not self._log.appended_since_checkpoint:
            return
        if time.monotonic() - self._last_checkpoint < CHECKPOINT_SECONDS:
            return
        self._last_checkpoint = time.monotonic()
        try:
            await asyncio.to_thread(self._log.checkpoint)
        except StorageError as error:  # appends keep committing to the write-ahead log
            logger.warning(
                "report %s: %s; retrying in %.0f s", self._report_id, error, CHECKPOINT_SECONDS
            )

    def _maybe_compact(self) -> None:
        """Start merging the log when it is long enough and the report quiet enough."""
        running = self._compaction is not None and not self._compaction.done()
        quiet = time.monotonic() - self._last_edit >= COMPACT_QUIET_SECONDS
        due = self._log_rows >= COMPACT_ALWAYS_AFTER_UPDATES or (
            self._log_rows >= COMPACT_AFTER_UPDATES and quiet
        )
        if running or not due or time.monotonic() < self._compaction_retry_at:
            return
        self._compaction = asyncio.get_running_loop().create_task(self._compact())

    async def _compact(self) -> None:
        """Merge the stored log into a snapshot, from storage alone.

        Working from the stored rows rather than the live document means the snapshot
        covers exactly the rows it replaces, whatever is being applied meanwhile.
        """
        try:
            up_to, merged_rows = await asyncio.to_thread(
                compact_log, self._reports, self._report_id
            )
        except Exception:  # nothing awaits this task, so an error not logged here is lost
            self._compaction_failures += 1
            self._compaction_retry_at = time.monotonic() + COMPACT_RETRY_SECONDS
            logger.exception(
                "report %s: merging the update log failed (%d in a row); the log is kept "
                "and the merge is tried again in %.0f s",
                self._report_id,
                self._compaction_failures,
                COMPACT_RETRY_SECONDS,
            )
            return
        self._compaction_failures = 0
        # Edits stored after the merge started may be among the rows it merged, so the
        # count comes from the merge rather than from this counter when it started.
        self._log_rows = max(self._log_rows - merged_rows, 0)
        logger.info("report %s compacted up to update %d", self._report_id, up_to)


def compact_log(reports: ReportRepository, report_id: uuid.UUID) -> tuple[int, int]:
    """Replace the stored snapshot and log rows by one merged snapshot.

    Returns the last seq the snapshot covers and the number of log rows it replaced.
    """
    snapshot, rows = reports.load(report_id)
    if not rows:
        return 0, 0
    updates = ([snapshot] if snapshot else []) + [update for _, update in rows]
    up_to = rows[-1][0]
    reports.compact(report_id, merge_updates(*updates), up_to)
    return up_to, len(rows)


def _last_activity(session: CollaborationSession | None, stored_at: datetime | None) -> str | None:
    """Return the session's last activity: its start, or the newest change-log write since."""
    if session is None:
        return None
    if stored_at is None or stored_at < session.last_activity:
        return session.last_activity.isoformat()
    return stored_at.isoformat()


def _changed(staged: ReportDocument, live: ReportDocument, before: bytes) -> bool:
    """Return whether ``staged``, forked from ``live`` at state ``before``, has changes."""
    if staged.state_vector() != before:
        return True
    # A deletion leaves the state vector as it was. Both updates carry the whole delete set,
    # so they are equal only when the edit deleted nothing either.
    return staged.changes_since(before) != live.changes_since(before)
