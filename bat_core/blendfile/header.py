# SPDX-License-Identifier: GPL-3.0-or-later
"""The file header and the block-header layout it implies.

Two header forms exist:

* the classic 12 bytes every Blender up to 4.x writes: ``BLENDER`` + pointer-size char
  (``_`` = 4, ``-`` = 8) + endianness char (``v`` little, ``V`` big) + 3-digit version;
* the form Blender 5.0 introduced, e.g. ``BLENDER17-01v0500``: ``BLENDER`` + 2-digit header
  length + pointer-size char + 2-digit file-format version + endianness char + 4-digit
  version. Format version 1 means "large" block headers whose length and count are 64-bit.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..errors import NotABlendFileError, TruncatedBlendFileError, UnsupportedBlendFileError

MAGIC = b"BLENDER"
CLASSIC_HEADER_SIZE = 12


class BlockHeaderLayout(Enum):
    """How one block header is laid out; the value is a struct format without byte order."""

    # code, len, old address (4 bytes), sdna index, count
    SMALL_32 = "4siIii"
    # code, len, old address (8 bytes), sdna index, count
    SMALL_64 = "4siQii"
    # code, sdna index, old address, len (64-bit), count (64-bit)  — Blender 5.0+
    LARGE_64 = "4siQqq"


@dataclass(frozen=True)
class FileHeader:
    pointer_size: int
    endianness: str  # "little" or "big"
    version: int  # e.g. 279, 402, 500
    format_version: int  # 0 for the classic header
    size: int  # bytes the header occupies at the start of the file
    block_layout: BlockHeaderLayout

    @property
    def byte_order(self) -> str:
        """The struct-module prefix for this file's byte order."""
        return "<" if self.endianness == "little" else ">"

    @property
    def block_header_size(self) -> int:
        return struct.calcsize("<" + self.block_layout.value)


def _pointer_size(path: Path, char: int, offset: int) -> int:
    if char == ord("_"):
        return 4
    if char == ord("-"):
        return 8
    raise UnsupportedBlendFileError(path, f"unknown pointer-size marker {chr(char)!r} in header", offset)


def _endianness(path: Path, char: int, offset: int) -> str:
    if char == ord("v"):
        return "little"
    if char == ord("V"):
        return "big"
    raise UnsupportedBlendFileError(path, f"unknown endianness marker {chr(char)!r} in header", offset)


def _digits(path: Path, raw: bytes, offset: int, what: str) -> int:
    if not raw.isdigit():
        raise NotABlendFileError(path, f"{what} in header is not a number ({raw!r})", offset)
    return int(raw)


def parse_header(path: Path, data: bytes | memoryview) -> FileHeader:
    """Decode the header at the start of (already decompressed) file data."""
    head = bytes(data[:32])
    if not head.startswith(MAGIC):
        if len(head) < len(MAGIC) and MAGIC.startswith(head):
            raise TruncatedBlendFileError(path, "file ends inside the header", len(head))
        raise NotABlendFileError(path, "not a .blend file (no BLENDER header)", 0)
    if len(head) < CLASSIC_HEADER_SIZE:
        raise TruncatedBlendFileError(path, "file ends inside the header", len(head))

    if head[7:9].isdigit():
        return _parse_modern(path, head)

    pointer_size = _pointer_size(path, head[7], 7)
    endianness = _endianness(path, head[8], 8)
    version = _digits(path, head[9:12], 9, "version")
    layout = BlockHeaderLayout.SMALL_64 if pointer_size == 8 else BlockHeaderLayout.SMALL_32
    return FileHeader(pointer_size, endianness, version, 0, CLASSIC_HEADER_SIZE, layout)


def _parse_modern(path: Path, head: bytes) -> FileHeader:
    size = int(head[7:9])
    if size != 17:
        raise UnsupportedBlendFileError(path, f"header length {size} is not supported (only 17)", 7)
    if len(head) < size:
        raise TruncatedBlendFileError(path, "file ends inside the header", len(head))
    pointer_size = _pointer_size(path, head[9], 9)
    format_version = _digits(path, head[10:12], 10, "file-format version")
    endianness = _endianness(path, head[12], 12)
    version = _digits(path, head[13:17], 13, "version")
    if format_version == 0:
        layout = BlockHeaderLayout.SMALL_64 if pointer_size == 8 else BlockHeaderLayout.SMALL_32
    elif format_version == 1:
        if pointer_size != 8:
            raise UnsupportedBlendFileError(path, "large block headers with 4-byte pointers", 9)
        layout = BlockHeaderLayout.LARGE_64
    else:
        raise UnsupportedBlendFileError(
            path, f"file-format version {format_version} is newer than this reader knows", 10
        )
    return FileHeader(pointer_size, endianness, version, format_version, size, layout)
