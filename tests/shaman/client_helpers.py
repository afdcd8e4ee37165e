# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the Shaman client tests: real files on disk, transfers, and checks of the store."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bat_core.progress import CancelToken, ProgressEvent, ProgressListener, ignore_progress
from bat_core.shaman.rounds import RoundLimits
from bat_core.shaman.server import ShamanServer
from bat_core.shaman.target import ShamanOptions, ShamanTarget, open_shaman_target
from bat_core.transfer.engine import TransferResult, run_transfer
from bat_core.transfer.target import TransferItem

MiB = 1024 * 1024
# An hour ago: old enough that the checksum cache trusts the files (see RACY_SECONDS).
OLD = time.time() - 3600


@dataclass(frozen=True)
class Pack:
    root: Path
    items: list[TransferItem]

    def item(self, pack_path: str) -> TransferItem:
        return next(i for i in self.items if i.pack_path == pack_path)


def make_pack(
    root: Path,
    sizes: dict[str, int],
    *,
    main: str | None = None,
    seed: bytes = b"",
    age: float | None = OLD,
) -> Pack:
    """Files under ``root`` with random content (or content derived from ``seed``), one item each."""
    items: list[TransferItem] = []
    for pack_path, size in sizes.items():
        path = root / pack_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if seed:
            block = hashlib.sha256(seed + pack_path.encode()).digest()
            path.write_bytes((block * (size // 32 + 1))[:size])
        else:
            path.write_bytes(os.urandom(size))
        if age is not None:
            os.utime(path, (age, age))
        items.append(TransferItem(path, pack_path, size, is_main=pack_path == main))
    return Pack(root, items)


def shaman_url(server: ShamanServer, checkout: str = "job") -> str:
    return f"shaman+http://{server.host}:{server.port}/#{checkout}"


def fast_options(**overrides: Any) -> ShamanOptions:
    """Options for tests: short waits and backoffs, same algorithm."""
    values: dict[str, Any] = {
        "peer_wait_s": 5.0,
        "retry_backoff_s": 0.01,
        "max_retry_backoff_s": 0.05,
        "rounds": RoundLimits(),
    }
    values.update(overrides)
    return ShamanOptions(**values)


def send(
    url: str,
    items: Sequence[TransferItem],
    cache_dir: Path,
    *,
    listener: ProgressListener = ignore_progress,
    cancel: CancelToken | None = None,
    workers: int = 4,
    **kwargs: Any,
) -> tuple[TransferResult, ShamanTarget]:
    target = open_shaman_target(url, cache_dir=cache_dir, connections=workers, **kwargs)
    try:
        result = run_transfer(items, target, workers=workers, listener=listener, cancel=cancel)
    finally:
        target.close()
    return result, target


def assert_checkout_matches(server: ShamanServer, checkout_path: str, items: Sequence[TransferItem]) -> None:
    """Every pack file is in the checkout, as a link to a blob with the source's bytes."""
    root = server.storage / "jobs" / checkout_path
    for item in items:
        link = root / item.pack_path
        assert link.is_symlink(), f"{item.pack_path} missing in checkout {checkout_path}"
        assert link.read_bytes() == item.source.read_bytes(), f"{item.pack_path} has wrong content"


def stored_blobs(server: ShamanServer) -> list[Path]:
    return sorted((server.storage / "file-store" / "stored").rglob("*.blob"))


def assert_store_intact(storage: Path) -> int:
    """Every stored blob's bytes hash to the checksum and size in its path; returns the count."""
    count = 0
    for blob in (storage / "file-store" / "stored").rglob("*.blob"):
        sha = blob.parent.parent.name + blob.parent.name
        data = blob.read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha, f"blob {blob} has wrong content"
        assert len(data) == int(blob.stem), f"blob {blob} has wrong size"
        count += 1
    return count


class Events:
    """A thread-safe listener that keeps every event."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self.events: list[ProgressEvent] = []

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self.events.append(event)
