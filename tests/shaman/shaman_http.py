# SPDX-License-Identifier: GPL-3.0-or-later
"""Small HTTP helpers for talking to a Shaman server in tests (requests and raw sockets)."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bat_core.shaman.server import ShamanServer

TIMEOUT = 10.0
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def random_bytes(size: int) -> bytes:
    return os.urandom(size)


def file_route(sha: str, size: int | str) -> str:
    return f"api/v3/shaman/files/{sha}/{size}"


def upload(
    server: ShamanServer,
    data: bytes,
    *,
    sha: str | None = None,
    size: int | str | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    sha = sha256_hex(data) if sha is None else sha
    size = len(data) if size is None else size
    all_headers = {"Content-Type": "application/octet-stream", **(headers or {})}
    return requests.post(server.url + file_route(sha, size), data=data, headers=all_headers, timeout=TIMEOUT)


def status(server: ShamanServer, sha: str, size: int) -> str:
    response = requests.get(server.url + file_route(sha, size), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    value = response.json()["status"]
    assert isinstance(value, str)
    return value


def post_json(server: ShamanServer, route: str, payload: Any) -> requests.Response:
    return requests.post(server.url + "api/v3/shaman/" + route, json=payload, timeout=TIMEOUT)


def spec(data: bytes, path: str) -> dict[str, Any]:
    return {"sha": sha256_hex(data), "size": len(data), "path": path}


def store(server: ShamanServer, data: bytes) -> None:
    response = upload(server, data)
    assert response.status_code in (200, 204, 208), response.text


def blob_path(server: ShamanServer, data: bytes) -> Path:
    sha = sha256_hex(data)
    return server.storage / "file-store" / "stored" / sha[:2] / sha[2:] / f"{len(data)}.blob"


def files_under(directory: Path) -> list[Path]:
    # os.walk, not rglob: the server prunes empty folders while we look, and a folder that
    # vanishes between listing and entering must not fail the test.
    found = [Path(root) / name for root, _dirs, names in os.walk(directory) for name in names]
    return sorted(found)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class RawUpload:
    """An upload over a bare socket whose body the test sends piece by piece.

    This is how tests hold an upload "in the middle" deterministically: send part of the
    body, look at the server, then send the rest (or vanish).
    """

    def __init__(
        self,
        server: ShamanServer,
        data: bytes,
        *,
        sha: str | None = None,
        size: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.data = data
        self.sent = 0
        self.sock = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
        sha = sha256_hex(data) if sha is None else sha
        size = len(data) if size is None else size
        lines = [
            f"POST /{file_route(sha, size)} HTTP/1.1",
            f"Host: {server.host}:{server.port}",
            "Content-Type: application/octet-stream",
            f"Content-Length: {len(data)}",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
            "",
            "",
        ]
        self.sock.sendall("\r\n".join(lines).encode("latin-1"))

    def send(self, count: int) -> None:
        self.sock.sendall(self.data[self.sent : self.sent + count])
        self.sent = min(len(self.data), self.sent + count)

    def send_rest(self) -> None:
        self.send(len(self.data) - self.sent)

    def response(self, timeout: float = TIMEOUT) -> tuple[int, bytes]:
        self.sock.settimeout(timeout)
        reply = http.client.HTTPResponse(self.sock)
        reply.begin()
        return reply.status, reply.read()

    def kill(self) -> None:
        """Vanish like a killed process: close with a reset, no goodbye."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()
