# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for one boto3 managed transfer (s3transfer future) with progress and cancel.

s3transfer reports progress to "subscribers" from its own threads and resolves a future
when done. ``Watcher`` forwards the progress to a ``BytesCallback`` (which raises
``CancelledError`` when the run is cancelled: s3transfer then fails that transfer and
aborts its multipart upload) and ``wait`` waits for the future while checking the cancel
token, so a transfer still queued behind others, which reports no bytes, stops too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from ..errors import CancelledError
from ..progress import CancelToken

_POLL_S = 0.2
_FLUSH_BYTES = 512 * 1024


class Watcher:
    """An s3transfer subscriber (duck-typed: s3transfer looks up ``on_*`` methods by name)."""

    def __init__(self, on_bytes: Callable[[int], None] | None, cancel: CancelToken | None = None) -> None:
        self.done = threading.Event()
        self._on_bytes = on_bytes
        self._cancel = cancel
        self._pending = 0
        # Parts of one multipart transfer report from several threads at once.
        self._lock = threading.Lock()

    def on_progress(self, future: Any = None, bytes_transferred: int = 0, **_kwargs: Any) -> None:
        # Negative amounts mean s3transfer rewound a part to retry it; the engine's bar
        # never goes backwards, so they are dropped.
        if bytes_transferred <= 0 or self._on_bytes is None:
            return
        if self._cancel is not None and self._cancel.cancelled:
            raise CancelledError("cancelled by the user")
        # s3transfer reports every socket write (8-16 KiB): passing each one on cost more
        # CPU than hashing the file. Batches of _FLUSH_BYTES keep the bar smooth enough.
        with self._lock:
            self._pending += bytes_transferred
            if self._pending < _FLUSH_BYTES:
                return
            n, self._pending = self._pending, 0
            self._on_bytes(n)

    def on_done(self, future: Any = None, **_kwargs: Any) -> None:
        with self._lock:
            n, self._pending = self._pending, 0
        if n and self._on_bytes is not None:
            # wait() reports a cancel; on_done must not break s3transfer's bookkeeping.
            with contextlib.suppress(CancelledError):
                self._on_bytes(n)
        self.done.set()


def wait(future: Any, watcher: Watcher, cancel: CancelToken) -> Any:
    """The future's result; cancels the transfer and raises CancelledError on cancel."""
    while not watcher.done.wait(_POLL_S):
        if cancel.cancelled:
            future.cancel()
            raise CancelledError("cancelled by the user")
    if cancel.cancelled and future.done():
        # The transfer may have failed *because* our callback raised; report the cancel.
        try:
            return future.result()
        except Exception:
            raise CancelledError("cancelled by the user") from None
    return future.result()
