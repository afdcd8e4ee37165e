# SPDX-License-Identifier: GPL-3.0-or-later
"""SHA-256 of many local files: streamed, in parallel, and remembered in a checksum cache.

Threads are enough for parallelism: hashlib releases the GIL while it hashes a buffer
larger than 2 KiB, and reading a warm file is a memory copy. Each thread reads with
``readinto`` into its own buffer, so no bytes objects are created per chunk.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from ..errors import TransferError
from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage, ignore_progress
from .checksum_cache import CacheEntry, CacheKey, ChecksumCache

_CHUNK = 1024 * 1024
_EMIT_S = 0.1
_O_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class FileHash:
    path: Path
    sha256: str
    """64 lowercase hex characters."""
    size: int
    """Bytes that were hashed (for a cache hit: the size the file has now)."""
    from_cache: bool


@dataclass(frozen=True)
class _Stat:
    key: CacheKey
    size: int


def sha256_file(
    path: Path, cancel: CancelToken | None = None, on_bytes: Callable[[int], None] | None = None
) -> tuple[str, int]:
    """(checksum, bytes read) of one file; checks ``cancel`` every chunk."""
    hasher = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    total = 0
    fd = os.open(path, os.O_RDONLY | _O_BINARY)
    try:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            n = os.readv(fd, [buffer]) if _HAS_READV else _read_into(fd, view)
            if n == 0:
                break
            hasher.update(view[:n])
            total += n
            if on_bytes is not None:
                on_bytes(n)
    finally:
        os.close(fd)
    return hasher.hexdigest(), total


_HAS_READV = hasattr(os, "readv")


def _read_into(fd: int, view: memoryview) -> int:
    data = os.read(fd, len(view))
    view[: len(data)] = data
    return len(data)


def hash_files(
    paths: Sequence[Path],
    *,
    cache: ChecksumCache | None = None,
    workers: int | None = None,
    cancel: CancelToken | None = None,
    listener: ProgressListener = ignore_progress,
    use_cache: bool = True,
) -> list[FileHash]:
    """Checksums of ``paths`` (in the same order), hashing only what the cache does not know.

    Raises TransferError naming the file that cannot be read, CancelledError on cancel.
    Files that change while they are hashed are not written to the cache.
    """
    stats = [_stat(p) for p in paths]
    known = cache.lookup([s.key for s in stats]) if (cache is not None and use_cache) else {}
    results: list[FileHash | None] = [None] * len(paths)
    todo: list[int] = []
    for index, (path, st) in enumerate(zip(paths, stats, strict=True)):
        sha = known.get(st.key.path)
        if sha is not None:
            results[index] = FileHash(path, sha, st.size, from_cache=True)
        else:
            todo.append(index)
    if todo:
        fresh = _hash_in_parallel([paths[i] for i in todo], workers, cancel, listener)
        entries: list[CacheEntry] = []
        for index, (sha, size, hashed_at_ns) in zip(todo, fresh, strict=True):
            results[index] = FileHash(paths[index], sha, size, from_cache=False)
            after = _stat(paths[index])
            if after.key == stats[index].key and after.size == size:
                entries.append(CacheEntry(after.key, sha, hashed_at_ns))
        if cache is not None:
            cache.store(entries)
    return [r for r in results if r is not None]


def _stat(path: Path) -> _Stat:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise TransferError(f"cannot read {path}: {exc.strerror}") from exc
    return _Stat(CacheKey(os.path.abspath(path), st.st_size, st.st_mtime_ns), st.st_size)


def _hash_in_parallel(
    paths: Sequence[Path], workers: int | None, cancel: CancelToken | None, listener: ProgressListener
) -> list[tuple[str, int, int]]:
    """(checksum, size, wall-clock ns before reading) per path, reporting Stage.HASH progress."""
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(paths)))
    lock = threading.Lock()
    done_bytes = [0]
    total_bytes = sum(_size_or_zero(p) for p in paths)

    def count(n: int) -> None:
        with lock:
            done_bytes[0] += n

    def one(path: Path) -> tuple[str, int, int]:
        started = time.time_ns()
        try:
            sha, size = sha256_file(path, cancel, count)
        except OSError as exc:
            raise TransferError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return sha, size, started

    # Biggest first, so one large file does not start last and run alone at the end.
    order = sorted(range(len(paths)), key=lambda i: _size_or_zero(paths[i]), reverse=True)
    with ThreadPoolExecutor(n_workers, thread_name_prefix="bat-hash") as pool:
        futures: dict[int, Future[tuple[str, int, int]]] = {i: pool.submit(one, paths[i]) for i in order}
        pending = set(futures.values())
        try:
            while pending:
                finished, pending = wait(pending, timeout=_EMIT_S, return_when=FIRST_EXCEPTION)
                for future in finished:
                    error = future.exception()
                    if error is not None:
                        raise error
                listener(
                    ProgressEvent(
                        stage=Stage.HASH,
                        message="" if pending else f"hashed {len(paths)} files",
                        files_done=len(futures) - len(pending),
                        files_total=len(futures),
                        bytes_done=min(done_bytes[0], total_bytes),
                        bytes_total=total_bytes,
                    )
                )
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        return [futures[i].result() for i in range(len(paths))]


def _size_or_zero(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
