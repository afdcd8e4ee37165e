# SPDX-License-Identifier: GPL-3.0-or-later
"""The one progress/event type shared by the CLI, the add-on and the tests.

The core produces events and calls a listener; it never knows who listens. Listeners must
be cheap and thread-safe: transfer workers call them from their own threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    TRACE = "trace"
    PLAN = "plan"
    REWRITE = "rewrite"
    HASH = "hash"
    TRANSFER = "transfer"
    CHECKOUT = "checkout"
    VERIFY = "verify"
    DONE = "done"


@dataclass(frozen=True)
class ProgressEvent:
    """What happened, how far along, and (optionally) a message for humans.

    ``files_*`` and ``bytes_*`` count the current stage; a total of 0 means unknown.
    ``error`` is set when a worker failed: listeners must surface it, not drop it.
    """

    stage: Stage
    message: str = ""
    current_file: str = ""
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    rate_bytes_per_s: float = 0.0
    error: str = ""


ProgressListener = Callable[[ProgressEvent], None]


def ignore_progress(_event: ProgressEvent) -> None:
    """A listener for callers that do not care."""


class CancelToken:
    """Set from any thread to ask running work to stop; checked between small units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            from .errors import CancelledError

            raise CancelledError("cancelled by the user")


class LinkedCancelToken(CancelToken):
    """Cancelled when the caller's token is, or when the work that owns it stops on its own."""

    def __init__(self, parent: CancelToken | None) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return super().cancelled or self.cancelled_by_caller

    @property
    def cancelled_by_caller(self) -> bool:
        return self._parent is not None and self._parent.cancelled
