# SPDX-License-Identifier: GPL-3.0-or-later
"""An on-disk cache of SHA-256 checksums, so an unchanged file is hashed once.

One SQLite database in a cache folder (default ``~/.cache/bat/shaman-checksums``), one row
per absolute path: size, mtime in nanoseconds, checksum, when it was hashed and last used.
A row is trusted only when size and mtime are exactly what the file has now, and the file
had not been modified during the last ``RACY_SECONDS`` before it was hashed: a write that
lands in the same timestamp tick as the hash (coarse-mtime file systems, network shares)
would otherwise leave a stale checksum behind for good (git calls these "racy" entries).
A file rewritten with its old size and mtime restored still fools the cache; the server
then refuses the upload (417) and the caller drops the row with ``forget`` and re-hashes.

A cache that cannot be opened, read or written costs only re-hashing: every problem is
logged once and the cache then behaves as empty.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("bat_core.shaman.client")

RACY_SECONDS = 3.0
# Rows unused this long are dropped (as are rows dated in the future: a clock jumped).
EXPIRE_SECONDS = 60 * 24 * 3600
# "Last used" is refreshed at most this often per row, to keep warm runs read-only.
_TOUCH_SECONDS = 24 * 3600
_BATCH = 500
_DB_NAME = "checksums.sqlite3"


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "bat" / "shaman-checksums"


@dataclass(frozen=True)
class CacheKey:
    path: str
    """Absolute path, as a string."""
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class CacheEntry:
    key: CacheKey
    sha256: str
    hashed_at_ns: int
    """Wall-clock time just before the file was read."""


class ChecksumCache:
    """Thread-safe; several processes may share one cache folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken:
            return self._db
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.directory / _DB_NAME, timeout=10.0, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS checksums (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                "mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, hashed_at_ns INTEGER NOT NULL, "
                "used_at REAL NOT NULL)"
            )
            now = time.time()
            db.execute("DELETE FROM checksums WHERE used_at < ? OR used_at > ?", (now - EXPIRE_SECONDS, now + 86400))
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
            return None
        self._db = db
        return db

    def _disable(self, exc: BaseException) -> None:
        if not self._broken:
            log.warning("checksum cache in %s is not usable, hashing every file: %s", self.directory, exc)
        self._broken = True
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def lookup(self, keys: Sequence[CacheKey]) -> dict[str, str]:
        """Checksums of the files whose row is still valid, by path."""
        found: dict[str, str] = {}
        wanted = {k.path: k for k in keys}
        stale_use: list[str] = []
        now = time.time()
        racy_ns = int(RACY_SECONDS * 1e9)
        with self._lock:
            db = self._connect()
            if db is None:
                return found
            try:
                paths = list(wanted)
                for start in range(0, len(paths), _BATCH):
                    chunk = paths[start : start + _BATCH]
                    rows = db.execute(
                        "SELECT path, size, mtime_ns, sha256, hashed_at_ns, used_at FROM checksums "
                        f"WHERE path IN ({','.join('?' * len(chunk))})",
                        chunk,
                    ).fetchall()
                    for path, size, mtime_ns, sha, hashed_at_ns, used_at in rows:
                        key = wanted[path]
                        if size != key.size or mtime_ns != key.mtime_ns or hashed_at_ns - mtime_ns < racy_ns:
                            continue
                        found[path] = sha
                        if now - used_at > _TOUCH_SECONDS:
                            stale_use.append(path)
                if stale_use:
                    db.execute("BEGIN")
                    db.executemany("UPDATE checksums SET used_at = ? WHERE path = ?", [(now, p) for p in stale_use])
                    db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._disable(exc)
        return found

    def store(self, entries: Iterable[CacheEntry]) -> None:
        rows = [(e.key.path, e.key.size, e.key.mtime_ns, e.sha256, e.hashed_at_ns, time.time()) for e in entries]
        if not rows:
            return
        with self._lock:
            db = self._connect()
            if db is None:
                return
            try:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO checksums VALUES (?, ?, ?, ?, ?, ?)", rows)
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._disable(exc)

    def forget(self, path: str) -> None:
        """Drop the row of one file (the server said its checksum was wrong)."""
        with self._lock:
            db = self._connect()
            if db is None:
                return
            try:
                db.execute("DELETE FROM checksums WHERE path = ?", (path,))
            except sqlite3.Error as exc:
                self._disable(exc)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None
