# SPDX-License-Identifier: GPL-3.0-or-later
"""The file store on disk: where blobs and temp uploads live, and what state a file is in.

Layout (shared with Flamenco, so a store written by one can be read by the other)::

    file-store/stored/<sha[0:2]>/<sha[2:]>/<size>.blob
    file-store/uploading/<sha[0:2]>/<sha[2:]>/<size>-<9 random digits>.tmp

The state of a file is derived from the filesystem only, so several server processes (or a
restarted one) sharing a storage directory agree on it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from .identity import FileIdentity, is_path_safe_checksum


class FileState(StrEnum):
    UNKNOWN = "unknown"
    UPLOADING = "uploading"
    STORED = "stored"


class Receiver:
    """One request that is receiving an upload body; can be told to stop reading.

    ``cut_off`` is called from another request's thread when that one stored the same file;
    the callback (closing the read side of the socket) makes the blocked read return.
    """

    def __init__(self, identity: FileIdentity, on_cut_off: Callable[[], None]) -> None:
        self.identity = identity
        self._on_cut_off = on_cut_off
        self._lock = threading.Lock()
        self._reading = True
        self._cut = False

    @property
    def was_cut_off(self) -> bool:
        with self._lock:
            return self._cut

    def cut_off(self) -> None:
        with self._lock:
            if not self._reading or self._cut:
                return
            self._cut = True
        self._on_cut_off()

    def finished_reading(self) -> None:
        with self._lock:
            self._reading = False


class TempUpload:
    """A temp file being written for one upload; the path makes the file 'uploading'."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.file = os.fdopen(fd, "wb")


class FileStore:
    """All filesystem knowledge about blobs and temp uploads under ``root``."""

    def __init__(self, root: Path, stale_upload_seconds: float | None) -> None:
        self.root = root
        self.stored_root = root / "stored"
        self.uploading_root = root / "uploading"
        self._stale_seconds = stale_upload_seconds
        # Creating a file and removing its (then empty) parent directories race with each
        # other; one lock per store keeps a new temp file from losing its directory.
        self._dir_lock = threading.Lock()
        self._receivers_lock = threading.Lock()
        self._receivers: dict[FileIdentity, list[Receiver]] = {}
        self._active_temps: set[Path] = set()
        for d in (self.stored_root, self.uploading_root):
            d.mkdir(parents=True, exist_ok=True)

    # -- paths and state -----------------------------------------------------------------

    def _rel_dir(self, identity: FileIdentity) -> Path:
        if not is_path_safe_checksum(identity.checksum):
            # Callers validate first; this guards the filesystem, not the protocol.
            raise ValueError(f"checksum cannot be used as a path: {identity.checksum!r}")
        return Path(identity.checksum[:2], identity.checksum[2:])

    def blob_path(self, identity: FileIdentity) -> Path:
        return self.stored_root / self._rel_dir(identity) / f"{identity.size}.blob"

    def _upload_dir(self, identity: FileIdentity) -> Path:
        return self.uploading_root / self._rel_dir(identity)

    def is_stored(self, identity: FileIdentity) -> bool:
        return self.blob_path(identity).is_file()

    def state(self, identity: FileIdentity) -> FileState:
        if not is_path_safe_checksum(identity.checksum):
            return FileState.UNKNOWN
        if self.is_stored(identity):
            return FileState.STORED
        if self._has_temp_files(identity):
            return FileState.UPLOADING
        return FileState.UNKNOWN

    def _has_temp_files(self, identity: FileIdentity) -> bool:
        prefix = f"{identity.size}-"
        now = time.time()
        found = False
        try:
            entries = list(os.scandir(self._upload_dir(identity)))
        except FileNotFoundError:
            return False
        for entry in entries:
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            path = Path(entry.path)
            if self._stale_seconds is not None and self._is_stale(entry, path, now):
                self._remove_and_prune(path)
                continue
            found = True
        return found

    def _is_stale(self, entry: os.DirEntry[str], path: Path, now: float) -> bool:
        assert self._stale_seconds is not None
        with self._receivers_lock:
            if path in self._active_temps:
                return False
        try:
            return entry.stat().st_mtime < now - self._stale_seconds
        except FileNotFoundError:
            return False

    def touch(self, identity: FileIdentity) -> None:
        """Mark a stored blob as recently wanted, protecting it from garbage collection."""
        with contextlib.suppress(FileNotFoundError):
            os.utime(self.blob_path(identity))

    # -- uploads -------------------------------------------------------------------------

    def create_temp(self, identity: FileIdentity) -> TempUpload:
        directory = self._upload_dir(identity)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            path = directory / f"{identity.size}-{secrets.randbelow(10**9):09d}.tmp"
            with self._dir_lock:
                directory.mkdir(parents=True, exist_ok=True)
                try:
                    fd = os.open(path, flags, 0o666)
                except FileExistsError:
                    continue
            with self._receivers_lock:
                self._active_temps.add(path)
            return TempUpload(path, fd)

    def store_temp(self, temp: TempUpload, identity: FileIdentity) -> None:
        """Atomically make a complete, verified temp file the blob (replacing identical bytes)."""
        blob = self.blob_path(identity)
        with self._dir_lock:
            blob.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp.path, blob)
        self._forget_temp(temp)
        self._prune(temp.path.parent)

    def discard_temp(self, temp: TempUpload) -> None:
        if not temp.file.closed:
            temp.file.close()
        self._forget_temp(temp)
        self._remove_and_prune(temp.path)

    def _forget_temp(self, temp: TempUpload) -> None:
        with self._receivers_lock:
            self._active_temps.discard(temp.path)

    def _remove_and_prune(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._prune(path.parent)

    def _prune(self, directory: Path) -> None:
        """Remove ``<sha[2:]>`` and ``<sha[0:2]>`` if they became empty."""
        with self._dir_lock:
            for d in (directory, directory.parent):
                try:
                    d.rmdir()
                except OSError:
                    return

    def remove_blob(self, blob: Path) -> None:
        self._remove_and_prune(blob)

    # -- concurrent receivers of the same file --------------------------------------------

    def register(self, receiver: Receiver) -> None:
        with self._receivers_lock:
            self._receivers.setdefault(receiver.identity, []).append(receiver)

    def unregister(self, receiver: Receiver) -> None:
        with self._receivers_lock:
            others = self._receivers.get(receiver.identity, [])
            if receiver in others:
                others.remove(receiver)
            if not others:
                self._receivers.pop(receiver.identity, None)

    def announce_stored(self, by: Receiver) -> int:
        """Tell every other receiver of the same file to stop; returns how many were told."""
        with self._receivers_lock:
            others = [r for r in self._receivers.get(by.identity, []) if r is not by]
        for other in others:
            other.cut_off()
        return len(others)
