"""Fetching a logo from a URL, only under a strict policy.

A ``logo_url`` would otherwise let any caller make the server request an address of its
choice (SSRF). The policy allows HTTPS only, to hosts on an allow-list, on any resolved
address that is public; it connects to the address it checked, so a second DNS answer
cannot switch it to a private one, follows no redirect, and stops at a size and a time
limit.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from exports.errors import UrlPolicyError

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Sequence[str]]
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class RemotePolicy:
    allowed_hosts: frozenset[str]
    max_bytes: int
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    path: str


def check_url(url: str, policy: RemotePolicy) -> Target:
    """Return where an allowed URL points.

    Raises:
        UrlPolicyError: unparsable, not HTTPS, carries credentials, or its host is not
            allowed.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:  # an unclosed or invalid [IPv6] host, or a bad port
        raise UrlPolicyError(
            f"logo URL {url[:200]!r} cannot be parsed: {error}", "invalid_url"
        ) from error
    if parts.scheme.lower() != "https":
        raise UrlPolicyError(
            f"logo URL {url[:200]!r} is not HTTPS; only https:// is fetched", "not_https"
        )
    if parts.username or parts.password:
        raise UrlPolicyError("logo URLs must not carry a user name or password", "credentials")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or host not in policy.allowed_hosts:
        allowed = ", ".join(sorted(policy.allowed_hosts)) or "none configured"
        raise UrlPolicyError(
            f"logo host {host or '(none)'!r} is not on the allow-list ({allowed}); upload the "
            "logo instead or ask an administrator to add the host to PMR_EXPORT_LOGO_HOSTS",
            "host_not_allowed",
        )
    path = parts.path or "/"
    return Target(host, port or 443, f"{path}?{parts.query}" if parts.query else path)


def system_resolver(host: str, port: int) -> list[str]:
    """Return every address the system resolver gives for ``host``."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UrlPolicyError(
            f"logo host {host!r} cannot be resolved: {error}", "unresolvable"
        ) from error
    return sorted({str(answer[4][0]) for answer in answers})


def public_address(target: Target, resolver: Resolver = system_resolver) -> str:
    """Return an address of the host after checking that every address it has is public.

    Raises:
        UrlPolicyError: the host resolves to a private, loopback, link-local, reserved or
            multicast address, or to nothing.
    """
    addresses = list(resolver(target.host, target.port))
    if not addresses:
        raise UrlPolicyError(f"logo host {target.host!r} has no address", "unresolvable")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise UrlPolicyError(
                f"logo host {target.host!r} resolves to the non-public address {address}; "
                "logos are fetched from public addresses only",
                "address_not_public",
            )
    return addresses[0]


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address that still verifies the host's certificate."""

    def __init__(self, target: Target, address: str, timeout: float, context: Any) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._address = address
        self._tls = context
        self._target = target

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self._target.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self._target.host)


def download(
    target: Target,
    address: str,
    policy: RemotePolicy,
    context: ssl.SSLContext | None = None,
) -> bytes:
    """GET the target from ``address`` within the policy's size and time limits.

    Raises:
        UrlPolicyError: a redirect, an error status, a body over the limit, a time-out or a
            TLS or network failure.
    """
    deadline = time.monotonic() + policy.timeout_seconds
    tls = context or ssl.create_default_context()
    connection = _PinnedConnection(target, address, policy.timeout_seconds, tls)
    try:
        connection.request("GET", target.path, headers={"Accept": "image/*"})
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise UrlPolicyError(
                f"logo URL answered with a redirect ({response.status}); redirects are not "
                "followed, so give the final URL",
                "redirect",
            )
        if response.status != 200:
            raise UrlPolicyError(
                f"logo URL answered with HTTP status {response.status}", "http_status"
            )
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > policy.max_bytes:
            raise UrlPolicyError(
                f"the logo is {int(declared):,} bytes, over the limit of {policy.max_bytes:,}",
                "too_large",
            )
        return _read_limited(connection, response, policy.max_bytes, deadline)
    except (OSError, http.client.HTTPException) as error:
        reason = "timeout" if isinstance(error, TimeoutError) else "fetch_failed"
        raise UrlPolicyError(
            f"fetching the logo from {target.host} failed: {error}", reason
        ) from error
    finally:
        connection.close()


def _read_limited(
    connection: http.client.HTTPSConnection,
    response: http.client.HTTPResponse,
    limit: int,
    deadline: float,
) -> bytes:
    """Read the body under one deadline for the whole fetch, however slowly it trickles in."""
    body = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UrlPolicyError("fetching the logo timed out", "timeout")
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        # read1 returns what one receive brings, so the deadline is checked between receives.
        chunk = response.read1(_CHUNK)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise UrlPolicyError(f"the logo is over the limit of {limit:,} bytes", "too_large")


def fetch_logo_bytes(
    url: str, policy: RemotePolicy, resolver: Resolver = system_resolver
) -> bytes:
    """Return the bytes at an allowed logo URL; every rule of the policy applies."""
    target = check_url(url, policy)
    address = public_address(target, resolver)
    logger.info("fetching a logo from %s (%s)", target.host, address)
    return download(target, address, policy)
