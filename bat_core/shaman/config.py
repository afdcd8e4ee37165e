# SPDX-License-Identifier: GPL-3.0-or-later
"""How a Shaman test server behaves (mode, switches) and what it counts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from enum import StrEnum


class ServerMode(StrEnum):
    """``strict``: the documented protocol. ``f3_compat``: what shipped Flamenco 3 does.

    f3-compat reproduces F3's observable quirks: upload bodies are received completely
    before anything is decided (so no early 425/208 and no cut-off), success is 200 not 204,
    empty bodies are 400, checkout failures are 500 (never 409/424), file paths in a
    checkout are not validated, and a failed checkout removes ``jobs/<requested path>``.
    """

    STRICT = "strict"
    F3_COMPAT = "f3-compat"


@dataclass(frozen=True)
class ServerOptions:
    mode: ServerMode = ServerMode.STRICT
    # A disabled Shaman answers 503 on every Shaman operation, as F3 does when
    # ``shaman.enabled`` is false.
    enabled: bool = True
    # Strict mode forgets temp upload files that have not been written to for this long
    # (F3 keeps them forever, leaving the file "uploading" for good, W11).
    stale_upload_seconds: float = 3600.0
    # Idle time after which a silent client's connection is dropped.
    socket_timeout_seconds: float = 120.0


@dataclass(frozen=True)
class ServerStats:
    """Counters of one server since start (or the last reset).

    ``upload_bytes_received`` counts body bytes of ``POST files/...`` actually read from
    the network, including bodies of uploads that were later refused or cut off.
    """

    requests: int = 0
    upload_requests: int = 0
    upload_bytes_received: int = 0
    files_stored: int = 0
    uploads_cut_off: int = 0
    checkouts_created: int = 0

    def as_json(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


class StatsCounter:
    """Thread-safe accumulation of ServerStats; handler threads call ``add``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = {f.name: 0 for f in fields(ServerStats)}

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def snapshot(self) -> ServerStats:
        with self._lock:
            return ServerStats(**self._values)

    def reset(self) -> None:
        with self._lock:
            for name in self._values:
                self._values[name] = 0
