# SPDX-License-Identifier: GPL-3.0-or-later
"""What a transfer target is: the contract between the engine and a place files go to.

The engine (``engine.run_transfer``) owns threads, progress, cancellation and error
handling; a target only knows how to put bytes somewhere. A run calls, in this order:

1. ``begin(items, cancel, listener)`` once, from the calling thread. The target prepares
   (creates a folder, opens a ZIP, hashes and asks a Shaman server which files it lacks,
   ...) and returns the items that still have to be sent; items it leaves out count as
   skipped (already up to date). It may return them in any order. A ``begin`` that takes
   long (hashing gigabytes) reports its own progress to ``listener`` under its own stage
   (``Stage.HASH``, ``Stage.VERIFY``), throttled like the engine's, and checks ``cancel``.
2. ``send(item, on_bytes, cancel)`` once per returned item, from up to ``max_workers``
   worker threads at the same time. Items with ``is_main`` are sent only after every other
   item has been sent, so a target that writes in order never shows the main .blend
   before its dependencies. ``on_bytes(n)`` reports ``n`` more bytes of this item done
   (one call per chunk, like boto3's transfer callback); it raises ``CancelledError`` when
   the run is cancelled, and a target must let that propagate. Long operations that do
   not call ``on_bytes`` check ``cancel`` at least every few hundred milliseconds. The
   return value says whether bytes were really written (``SENT``) or the target found the
   file already present (``SKIPPED``, e.g. Shaman deduplicated it meanwhile).
3. ``commit()`` once after every send succeeded: make the result visible and complete
   (rename a ``.part`` file, remove an incomplete marker, Shaman checkout, ...).
   Or ``abort()`` once after an error or cancel, possibly while nothing was sent. It must
   not raise for ordinary clean-up problems and must leave nothing that looks complete.

Errors: a target raises ``BatError`` subclasses (``TransferError`` usually) or lets
``OSError`` escape; the engine adds which file and which target to the message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from ..errors import TransferError
from ..progress import CancelToken, ProgressListener

BytesCallback = Callable[[int], None]


@dataclass(frozen=True)
class TransferItem:
    """One local file and the place it takes in the pack."""

    source: Path
    """Local file to send: an original dependency or a rewritten copy in the staging folder."""
    pack_path: str
    """POSIX path relative to the pack root (checked by ``check_pack_path``)."""
    size: int
    is_main: bool = False
    """The main .blend: written last, so a pack without it is visibly incomplete."""


class SendOutcome(Enum):
    SENT = "sent"
    SKIPPED = "skipped"


class Target(Protocol):
    """A place a pack goes to; see the module docstring for the calling contract."""

    @property
    def max_workers(self) -> int:
        """How many ``send`` calls may run at once (1 for targets that write one stream)."""
        ...

    def describe(self) -> str:
        """A short human name for messages, e.g. ``directory /srv/packs/shot_010``."""
        ...

    def begin(
        self, items: Sequence[TransferItem], cancel: CancelToken, listener: ProgressListener
    ) -> Sequence[TransferItem]: ...

    def send(self, item: TransferItem, on_bytes: BytesCallback, cancel: CancelToken) -> SendOutcome: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


def check_pack_path(pack_path: str) -> str:
    """Return ``pack_path`` if it is a safe relative POSIX path inside the pack, else raise.

    Checked again here (the planner already did) because every target turns this string
    into a place on a disk, a ZIP entry or an object key, and one bad value would escape.
    """
    problem = ""
    if not pack_path:
        problem = "is empty"
    elif "\\" in pack_path:
        problem = "contains a backslash (pack paths use '/')"
    elif "\x00" in pack_path:
        problem = "contains a NUL character"
    elif pack_path.startswith("/") or (len(pack_path) > 1 and pack_path[1] == ":"):
        problem = "is absolute"
    else:
        parts = pack_path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            problem = "has an empty, '.' or '..' component"
    if problem:
        raise TransferError(f"pack path {pack_path!r} {problem}; refusing to write it")
    return pack_path
