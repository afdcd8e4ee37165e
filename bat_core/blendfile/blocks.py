# SPDX-License-Identifier: GPL-3.0-or-later
"""Block headers: what each block is, where its data lies, and the address it had in memory."""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorruptBlendFileError, TruncatedBlendFileError
from .header import FileHeader

ENDB = b"ENDB"
DNA1 = b"DNA1"


@dataclass(frozen=True, slots=True)
class BlockHeader:
    code: bytes  # 4 bytes as stored, e.g. b"OB\0\0", b"DATA"
    size: int  # bytes of data following the header
    old_address: int  # the block's address when written; pointers elsewhere refer to it
    sdna_index: int
    count: int  # how many structs of that type the data holds
    header_offset: int  # where the header starts in the (decompressed) file
    data_offset: int  # where the data starts

    @property
    def code_text(self) -> str:
        """The code for messages: "OB", "DATA", or escaped bytes for anything unprintable."""
        return _text(self.code)

    @property
    def id_code(self) -> bytes:
        """The two-letter ID code (b"OB", b"IM", ...) for ID blocks, else the 4-byte code stripped."""
        return self.code.rstrip(b"\0")

    @property
    def is_id(self) -> bool:
        """ID datablocks use 2-letter codes padded with NULs; other blocks use 4 letters."""
        return self.code[2:] == b"\0\0" and self.code[:2] != b"\0\0"


def _text(code: bytes) -> str:
    stripped = code.rstrip(b"\0")
    return stripped.decode("ascii") if stripped.isalnum() else repr(code)


def scan_blocks(path: Path, data: bytes | mmap.mmap, header: FileHeader) -> list[BlockHeader]:
    """Read every block header (not the data) up to ENDB."""
    fmt = struct.Struct(header.byte_order + header.block_layout.value)
    head_size = fmt.size
    large = header.format_version >= 1
    total = len(data)
    blocks: list[BlockHeader] = []
    append = blocks.append
    offset = header.size
    unpack_from = fmt.unpack_from
    while True:
        if offset + head_size > total:
            # ENDB's header may be cut short (Blender writes only its code); treat a clean end
            # right at ENDB as complete.
            if total - offset >= 4 and bytes(data[offset : offset + 4]) == ENDB:
                append(BlockHeader(ENDB, 0, 0, 0, 0, offset, offset + 4))
                return blocks
            raise TruncatedBlendFileError(path, "file ends before the ENDB block (truncated?)", offset)
        if large:
            code, sdna_index, old, size, count = unpack_from(data, offset)
        else:
            code, size, old, sdna_index, count = unpack_from(data, offset)
        data_offset = offset + head_size
        if code == ENDB:
            append(BlockHeader(code, 0, old, sdna_index, count, offset, data_offset))
            return blocks
        if size < 0 or count < 0 or sdna_index < 0:
            raise CorruptBlendFileError(
                path, f"block {_text(code)} has a negative size, count or struct index", offset
            )
        end = data_offset + size
        if end > total:
            raise TruncatedBlendFileError(
                path, f"block {_text(code)} claims {size} bytes but the file ends first", offset
            )
        append(BlockHeader(code, size, old, sdna_index, count, offset, data_offset))
        offset = end
