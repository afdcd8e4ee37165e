# SPDX-License-Identifier: GPL-3.0-or-later
"""Copy files into a pack folder while the pack is still being planned.

Tracing a production takes a few tenths of a second of pure Python on one core, while the
copy that follows is kernel work that leaves that core's neighbour idle. Large files the
tracer reports that can only end up in one place of the pack (inside the project, not a
.blend that gets rewritten) are copied at once by a thread, into numbered files of one
hidden scratch folder in the pack root. Nothing appears under a real name before the plan
is made, linted and reported: the transfer then claims each early copy and renames it into
place (the same file system, so no bytes move again), and copies whatever it cannot claim
the usual way. A copy is claimed only if its source still has the size and modification
time it had when copied.

``close`` stops the copies and removes the scratch folder with whatever was not claimed; the
pipeline calls it whether the pack succeeded, failed or was cancelled. Only a killed process
leaves the folder behind (hidden, named ``.bat-early-*``, never mistaken for a pack file).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import BatError
from ..progress import CancelToken, LinkedCancelToken
from .directory import DirectoryTarget, compare_meta, copy_new_file
from .target import TransferItem, check_pack_path

SCRATCH_PREFIX = ".bat-early-"
# Only files this big are copied early. A copy thread needs the interpreter lock after every
# system call, and the tracer holds it nearly all the time: a few large files (a handful of
# calls per 16 MiB) overlap well with tracing, thousands of small ones (several calls per
# file, each waiting for the lock) slowed the tracer more than they saved.
EARLY_MIN_BYTES = 4 * 1024 * 1024
# Larger steps than the transfer's: after each step the copy thread waits for the lock the
# tracer holds (up to the interpreter's 5 ms switch interval), so few long steps keep the
# kernel copying. 64 MiB still lets a cancel through within a fraction of a second.
EARLY_CHUNK = 64 * 1024 * 1024
# Threads copying early. The tracer keeps one core busy; with one copy thread a pack of the
# benchmark production took 0.66 s (median of 8, in memory), with two 0.80 s, without early
# copies 0.77 s: a second thread competed with the tracer for its core.
EARLY_WORKERS = 1


@dataclass(frozen=True)
class _Copied:
    path: str
    size: int
    mtime_ns: int


class EarlyCopies:
    def __init__(
        self,
        target: DirectoryTarget,
        workers: int = EARLY_WORKERS,
        cancel: CancelToken | None = None,
        min_bytes: int | None = None,
    ) -> None:
        self.target = target
        self._workers = max(1, workers)
        self._min_bytes = EARLY_MIN_BYTES if min_bytes is None else min_bytes
        self._token = LinkedCancelToken(cancel)  # also cancelled by close()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._scratch: str | None = None
        self._offered: set[str] = set()
        self._copies: dict[str, tuple[Path, Future[_Copied]]] = {}
        self._names = 0
        self._closed = False
        self._made_root = False

    # -- while tracing -------------------------------------------------------------------------

    def big_enough(self, source: Path, size: int | None = None) -> bool:
        """Whether ``source`` (of ``size`` bytes, when known) is large enough to be worth
        copying early; False if unreadable."""
        if size is not None:
            return size >= self._min_bytes
        try:
            return os.stat(source).st_size >= self._min_bytes
        except (OSError, ValueError):
            return False

    def offer(self, source: Path, pack_path: str) -> None:
        """Start copying ``source`` for ``pack_path`` unless it is already there or on its way.

        Any problem (a name the pack refuses, a link in the way, an unreadable source) only
        means no early copy: the transfer meets the same file later and reports it properly.
        """
        if self._closed or pack_path in self._offered:
            return
        self._offered.add(pack_path)
        if not self.big_enough(source):
            return
        try:
            check_pack_path(pack_path)
            dest = self.target.place(pack_path)
            # A folder this run created holds no earlier copy to compare with.
            if not self._made_root and compare_meta(TransferItem(source, pack_path, 0), dest) != "changed":
                return
            scratch = self._scratch_folder()
        except (BatError, OSError):
            return
        self._names += 1
        part = os.path.join(scratch, str(self._names))
        pool = self._pool
        if pool is None:
            pool = self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="bat-early")
        self._copies[pack_path] = (source, pool.submit(self._copy, source, part))

    def _scratch_folder(self) -> str:
        if self._scratch is None:
            self._made_root = not self.target.root.exists()
            self.target.make_root()
            folder = os.path.join(str(self.target.root), f"{SCRATCH_PREFIX}{os.urandom(6).hex()}")
            os.mkdir(folder)
            self._scratch = folder
        return self._scratch

    def _copy(self, source: Path, part: str) -> _Copied:
        self._token.raise_if_cancelled()
        st = copy_new_file(source, part, _ignore_bytes, self._token, chunk=EARLY_CHUNK)
        return _Copied(part, st.st_size, st.st_mtime_ns)

    def staging_folder(self) -> Path:
        """A folder in the scratch folder for files made for the pack (rewritten .blend files)."""
        folder = Path(self._scratch_folder()) / "staged"
        folder.mkdir(exist_ok=True)
        return folder

    def adopt(self, pack_path: str, path: Path) -> None:
        """Offer a finished file in the staging folder as the early copy of itself for ``pack_path``."""
        st = os.stat(path)
        done: Future[_Copied] = Future()
        done.set_result(_Copied(str(path), st.st_size, st.st_mtime_ns))
        with self._lock:
            self._copies[pack_path] = (path, done)

    # -- while sending -------------------------------------------------------------------------

    def claim(self, item: TransferItem) -> str | None:
        """The path of a finished copy of ``item.source`` for ``item.pack_path``, now the caller's
        to rename; None when there is none (or it failed, or the source changed since)."""
        with self._lock:
            entry = self._copies.pop(item.pack_path, None)
        if entry is None:
            return None
        source, future = entry
        if future.cancel():
            return None  # not started yet: the transfer's own workers copy it now
        try:
            copied = future.result()
        except Exception:
            return None  # the usual copy meets the same problem and reports it
        try:
            st = os.stat(item.source)
        except OSError:
            st = None
        if source != item.source or st is None or (st.st_size, st.st_mtime_ns) != (copied.size, copied.mtime_ns):
            with contextlib.suppress(OSError):
                os.unlink(copied.path)
            return None
        return copied.path

    # -- in the end ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop copying and remove the scratch folder with every copy not claimed."""
        self._closed = True
        self._token.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._copies.clear()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
            if self._made_root:
                # A pack that stopped before its transfer leaves no folder of its own behind.
                with contextlib.suppress(OSError):
                    self.target.root.rmdir()


def _ignore_bytes(n: int) -> None:
    pass
