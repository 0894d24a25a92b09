"""The live connections of one report and what each may do."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from actors.outbox import FrameKind
from storage import Permission

# Close codes this server sends; docs/collaboration.md lists them for client authors.
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
CLOSE_SERVICE_RESTART = 1012
CLOSE_MALFORMED = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_SLOW_CONSUMER = 4429


@dataclass(slots=True)
class Connection:
    """One WebSocket as the actor knows it."""

    id: str
    subscription: str
    user: str
    permission: Permission
    kind: FrameKind
    is_admin: bool = False
    joined_at: float = field(default_factory=time.monotonic)
    # A JSON client's cursor: the section and the sticky index of its position.
    cursor_section: str | None = None
    cursor_anchor: bytes | None = None
    # The awareness client id the server speaks under for a JSON client.
    awareness_id: int = field(default_factory=lambda: secrets.randbelow(2**52) + 1)
    awareness_clock: int = 0
    # Why the server rejected a Yjs update of this connection, once it has rejected one.
    rejected_update: str | None = None

    @property
    def can_edit(self) -> bool:
        return self.permission.includes(Permission.EDIT)

    @property
    def can_comment(self) -> bool:
        return self.permission.includes(Permission.COMMENT)


class Connections:
    """Connections by id, with the lookups the actor needs."""

    def __init__(self) -> None:
        self._by_id: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        self._by_id[connection.id] = connection

    def remove(self, connection_id: str) -> Connection | None:
        return self._by_id.pop(connection_id, None)

    def get(self, connection_id: str) -> Connection | None:
        return self._by_id.get(connection_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def all(self) -> list[Connection]:
        return list(self._by_id.values())

    def of_subscription(self, subscription: str) -> list[Connection]:
        return [c for c in self._by_id.values() if c.subscription == subscription]

    def of_user(self, user: str) -> list[Connection]:
        return [c for c in self._by_id.values() if c.user == user]

    def json_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self._by_id.values() if c.kind is FrameKind.TEXT)

    def presence(self) -> list[dict[str, Any]]:
        """Return who is connected: one entry per user with their connection count."""
        counts: dict[str, int] = {}
        permissions: dict[str, Permission] = {}
        for connection in self._by_id.values():
            counts[connection.user] = counts.get(connection.user, 0) + 1
            held = permissions.get(connection.user)
            if held is None or connection.permission.includes(held):
                permissions[connection.user] = connection.permission
        return [
            {"user_id": user, "permission": permissions[user].value, "connections": counts[user]}
            for user in sorted(counts)
        ]
