"""The logo URL policy, and fetching an allowed URL from an HTTPS server on loopback.

The policy tests resolve nothing or use a resolver function that returns fixed addresses,
so no connection leaves this machine. The fetch tests start their own HTTPS server on
127.0.0.1 with a certificate made for the test and connect to it through ``download``,
the step after the policy, which is the only step that connects.
"""

from __future__ import annotations

import http.server
import io
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from exports.errors import UrlPolicyError
from exports.remote import RemotePolicy, Target, check_url, download, public_address

HOST = "logos.pmr.test"
LIMIT = 4096
POLICY = RemotePolicy(frozenset({HOST}), LIMIT, 2.0)


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), "#1F4E79").save(output, format="PNG")
    return output.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/logo.png":
            self._send(200, png(), length=True)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "https://10.0.0.1/logo.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big-declared":
            self._send(200, b"\0" * (LIMIT + 1), length=True)
        elif self.path == "/big-undeclared":
            self._send(200, b"\0" * (LIMIT * 4), length=False)
        elif self.path == "/slow":
            self._trickle()
        else:
            self._send(404, b"not found", length=True)

    def _send(self, status: int, body: bytes, *, length: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "image/png")
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self) -> None:
        """Send one byte every 0.2 s: each receive is quick, the whole body is not."""
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        for _ in range(100):
            self.wfile.write(b"\0")
            self.wfile.flush()
            time.sleep(0.2)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for HOST, made with the openssl command."""
    binary = shutil.which("openssl")
    assert binary is not None, "the openssl command makes the test server's certificate"
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    command = [binary, "req", "-x509", "-newkey", "ec", "-pkeyopt"]
    command += ["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", f"/CN={HOST}"]
    command += ["-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return key, cert


@pytest.fixture(scope="module")
def server(certificate: tuple[Path, Path]) -> Iterator[int]:
    """An HTTPS server on 127.0.0.1 with the routes of _Handler; yields its port."""
    key, cert = certificate
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[1]))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("http://logos.pmr.test/a.png", "not_https", id="http"),
        pytest.param("file:///etc/passwd", "not_https", id="file"),
        pytest.param("https://me:secret@logos.pmr.test/a.png", "credentials", id="credentials"),
        pytest.param("https://evil.example/a.png", "host_not_allowed", id="other-host"),
        pytest.param("https://logos.pmr.test.evil.example/a.png", "host_not_allowed", id="suffix"),
        pytest.param("https:///a.png", "host_not_allowed", id="no-host"),
        pytest.param("https://[::1/a.png", "invalid_url", id="unclosed-bracket"),
        pytest.param("https://[logos.pmr.test]/a.png", "invalid_url", id="name-in-brackets"),
        pytest.param("https://logos.pmr.test:port/a.png", "invalid_url", id="port-not-a-number"),
        pytest.param("https://logos.pmr.test:70000/a.png", "invalid_url", id="port-out-of-range"),
    ],
)
def test_check_url_rejects(url: str, reason: str) -> None:
    with pytest.raises(UrlPolicyError) as raised:
        check_url(url, POLICY)

    assert raised.value.reason == reason


def test_check_url_keeps_port_path_and_query() -> None:
    target = check_url("https://LOGOS.pmr.test.:8443/brand/logo.png?v=2", POLICY)

    assert target == Target(HOST, 8443, "/brand/logo.png?v=2")


@pytest.mark.parametrize(
    "addresses",
    [
        pytest.param(["127.0.0.1"], id="loopback"),
        pytest.param(["93.184.215.14", "10.1.2.3"], id="one-private-of-two"),
        pytest.param(["169.254.169.254"], id="link-local-metadata"),
        pytest.param(["100.64.0.1"], id="shared-address-space"),
        pytest.param(["::ffff:127.0.0.1"], id="mapped-loopback"),
        pytest.param(["fe80::1%eth0"], id="ipv6-link-local"),
        pytest.param(["fd00::1"], id="ipv6-unique-local"),
        pytest.param(["224.0.0.1"], id="multicast"),
        pytest.param([], id="no-address"),
    ],
)
def test_public_address_rejects_non_public(addresses: list[str]) -> None:
    target = Target(HOST, 443, "/logo.png")

    with pytest.raises(UrlPolicyError) as raised:
        public_address(target, lambda host, port: addresses)

    assert raised.value.reason in ("address_not_public", "unresolvable")


def test_public_address_returns_a_checked_address() -> None:
    target = Target(HOST, 443, "/logo.png")

    address = public_address(target, lambda host, port: ["93.184.215.14", "2606:2800:21f::1"])

    assert address == "93.184.215.14"


def test_download_returns_the_image(server: int, client_tls: ssl.SSLContext) -> None:
    data = download(Target(HOST, server, "/logo.png"), "127.0.0.1", POLICY, client_tls)

    assert data == png()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        pytest.param("/moved", "redirect", id="redirect"),
        pytest.param("/missing", "http_status", id="not-found"),
        pytest.param("/big-declared", "too_large", id="declared-too-large"),
        pytest.param("/big-undeclared", "too_large", id="undeclared-too-large"),
        pytest.param("/slow", "timeout", id="trickle"),
    ],
)
def test_download_rejects(server: int, client_tls: ssl.SSLContext, path: str, reason: str) -> None:
    started = time.monotonic()

    with pytest.raises(UrlPolicyError) as raised:
        download(Target(HOST, server, path), "127.0.0.1", POLICY, client_tls)

    assert raised.value.reason == reason
    assert time.monotonic() - started < POLICY.timeout_seconds + 1.0


def test_download_verifies_the_certificate_name(server: int, client_tls: ssl.SSLContext) -> None:
    with pytest.raises(UrlPolicyError) as raised:
        download(Target("other.pmr.test", server, "/logo.png"), "127.0.0.1", POLICY, client_tls)

    assert raised.value.reason == "fetch_failed"
    assert "certificate" in raised.value.message.lower()
