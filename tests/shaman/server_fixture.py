# SPDX-License-Identifier: GPL-3.0-or-later
"""Pytest fixtures that run a real Shaman server on loopback, port 0, in a tmp directory.

Reuse from any test module under tests/ (tests/shaman/conftest.py already exports them)::

    def test_upload(shaman_server):        # strict mode
        requests.get(shaman_server.url + "api/v3/shaman/...")

    def test_both(any_shaman_server):      # runs once per mode
        ...

    def test_custom(make_shaman_server):   # any options of ShamanServer
        server = make_shaman_server(mode="f3-compat", enabled=False)

Every server is stopped at teardown; its storage is ``server.storage`` (``file-store/``,
``jobs/``), its counters ``server.stats``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bat_core.shaman.server import ShamanServer

MakeServer = Callable[..., ShamanServer]


@pytest.fixture
def make_shaman_server(tmp_path: Path) -> Iterator[MakeServer]:
    servers: list[ShamanServer] = []

    def make(mode: str = "strict", storage: Path | None = None, **options: Any) -> ShamanServer:
        where = storage if storage is not None else tmp_path / f"shaman-{len(servers)}"
        server = ShamanServer(where, "127.0.0.1", 0, mode, **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def shaman_server(make_shaman_server: MakeServer) -> ShamanServer:
    """A strict-mode server (the documented protocol)."""
    return make_shaman_server("strict")


@pytest.fixture
def f3_server(make_shaman_server: MakeServer) -> ShamanServer:
    """An f3-compat server (reproduces shipped Flamenco 3 behaviour)."""
    return make_shaman_server("f3-compat")


@pytest.fixture(params=["strict", "f3-compat"])
def any_shaman_server(request: pytest.FixtureRequest, make_shaman_server: MakeServer) -> ShamanServer:
    """The same test against both modes; ``any_shaman_server.mode`` tells which."""
    return make_shaman_server(str(request.param))
