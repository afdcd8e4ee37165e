# SPDX-License-Identifier: GPL-3.0-or-later
"""What names a file in the Shaman store: (SHA-256 as lowercase hex, size in bytes)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# SHA-256 of zero bytes; a zero-byte file is legal in strict mode (F3 rejects its upload).
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

_CHECKSUM = re.compile(r"[0-9a-f]{64}")
# F3 does not validate checksums at all; we still refuse anything that is not alphanumeric,
# because the checksum becomes a path on disk and must never contain separators or dots.
_PATH_SAFE = re.compile(r"[0-9A-Za-z]+")


def is_valid_checksum(checksum: str) -> bool:
    """True for exactly 64 lowercase hex characters (the only form strict mode accepts)."""
    return _CHECKSUM.fullmatch(checksum) is not None


def is_path_safe_checksum(checksum: str) -> bool:
    """True when the checksum can be used as a store path component without escaping it."""
    return len(checksum) >= 2 and _PATH_SAFE.fullmatch(checksum) is not None


@dataclass(frozen=True)
class FileIdentity:
    """A file's content identity; two files with the same identity are the same blob."""

    checksum: str
    size: int

    def __str__(self) -> str:
        return f"{self.checksum}/{self.size}"
