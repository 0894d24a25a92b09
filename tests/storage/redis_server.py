"""Redis for tests: the machine's server on a dedicated database, or a private server to kill.

Tests that stop Redis never touch the machine's server on 6379: they start their own
``redis-server`` on a free port, without persistence, and stop or restart only that one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

# The shared server's database reserved for these tests; each test flushes it first.
TEST_REDIS_URL = os.environ.get("PMR_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
START_DEADLINE_SECONDS = 20.0


def flushed_redis_url() -> Iterator[str]:
    """Yield the test database's URL, emptied before the test and after it."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError as error:
        pytest.fail(
            f"Redis at {TEST_REDIS_URL} is unreachable ({error}); start redis-server on "
            "127.0.0.1:6379 or point PMR_TEST_REDIS_URL at one"
        )
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateRedis:
    """A redis-server process of this test alone, on a fixed port across restarts."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not on the PATH; install Redis to run this test")
        self._binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        self._process = subprocess.Popen(
            [
                self._binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        raise AssertionError(f"redis-server on port {self.port} did not answer in time")

    @property
    def running(self) -> bool:
        """Whether this object started the server and has not killed it since."""
        return self._process is not None

    def kill(self) -> None:
        """Kill the server at once, as a crash would, and wait until it is gone."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


def private_redis() -> Iterator[PrivateRedis]:
    """Yield a started private server; it is killed after the test."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()
