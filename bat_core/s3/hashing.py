# SPDX-License-Identifier: GPL-3.0-or-later
"""Streamed SHA-256 of local files, the content identity S3 objects carry as metadata."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import TransferError
from ..progress import CancelToken

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    size: int
    mtime_ns: int
    """Size and mtime when hashed: compared again after an upload to catch files that changed."""


def hash_file(path: Path, cancel: CancelToken, on_bytes: Callable[[int], None] | None = None) -> FileDigest:
    """SHA-256 of ``path`` read in 1 MiB chunks, checking ``cancel`` between chunks."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    try:
        with open(path, "rb", buffering=0) as f:
            st = os.fstat(f.fileno())
            while True:
                cancel.raise_if_cancelled()
                n = f.readinto(buffer)
                if not n:
                    break
                digest.update(view[:n])
                if on_bytes is not None:
                    on_bytes(n)
    except OSError as exc:
        raise TransferError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return FileDigest(digest.hexdigest(), st.st_size, st.st_mtime_ns)


def unchanged_since(path: Path, digest: FileDigest) -> bool:
    """Whether ``path`` still has the size and mtime it had when ``digest`` was taken."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == digest.size and st.st_mtime_ns == digest.mtime_ns
