# SPDX-License-Identifier: GPL-3.0-or-later
"""Block headers: what each block is, where its data lies, and the address it had in memory.

Scanning stores three compact arrays (offset, code, old address) instead of one object per
block: production files hold close to a million blocks, and most are never looked at.
BlockHeader objects are made on demand.
"""

from __future__ import annotations

import re
import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from ..errors import CorruptBlendFileError, TruncatedBlendFileError
from .header import FileHeader
from .source import Source

ENDB = b"ENDB"
DNA1 = b"DNA1"


def code_text(code: bytes) -> str:
    """A block code for messages: "OB", "DATA", or escaped bytes for anything unprintable."""
    stripped = code.rstrip(b"\0")
    return stripped.decode("ascii") if stripped.isalnum() else repr(code)


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
        return code_text(self.code)

    @property
    def id_code(self) -> bytes:
        """The two-letter ID code (b"OB", b"IM", ...) for ID blocks, else the 4-byte code stripped."""
        return self.code.rstrip(b"\0")

    @property
    def is_id(self) -> bool:
        """ID datablocks use 2-letter codes padded with NULs; other blocks use 4 letters."""
        return self.code[2:] == b"\0\0" and self.code[:2] != b"\0\0"


class BlockTable(Sequence[BlockHeader]):
    """Every block of a file, in file order, decoded lazily."""

    def __init__(
        self,
        path: Path,
        source: Source,
        header: FileHeader,
        offsets: array[int],
        codes: array[int],
        olds: array[int],
        sdna_indices: array[int],
        sizes: array[int],
    ) -> None:
        self._path = path
        self._source = source
        self._header = header
        self._offsets = offsets
        self._codes = codes
        self._olds = olds
        # Exposed read-only for hot loops (the tracer's walk) that must not build objects per block.
        self.sdna_indices = sdna_indices
        self.sizes = sizes
        self.offsets = offsets
        self.codes = codes
        self.olds = olds
        self.header_size = header.block_header_size
        self._full = struct.Struct(header.byte_order + header.block_layout.value)
        self._code_int = struct.Struct(header.byte_order + "I")
        self._by_address: dict[int, int] | None = None
        self._by_code: bytes | None = None

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> BlockHeader: ...
    @overload
    def __getitem__(self, index: slice) -> list[BlockHeader]: ...
    def __getitem__(self, index: int | slice) -> BlockHeader | list[BlockHeader]:
        if isinstance(index, slice):
            return [self._decode(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._decode(index)

    def __iter__(self) -> Iterator[BlockHeader]:
        return (self._decode(i) for i in range(len(self)))

    def _decode(self, index: int) -> BlockHeader:
        offset = self._offsets[index]
        raw = self._source.read(offset, self._full.size)
        if len(raw) < self._full.size:
            # Only ENDB may be cut short: Blender's readers stop at its code.
            return BlockHeader(ENDB, 0, 0, 0, 0, offset, offset + len(raw))
        if self._header.format_version >= 1:
            code, sdna_index, old, size, count = self._full.unpack(raw)
        else:
            code, size, old, sdna_index, count = self._full.unpack(raw)
        return BlockHeader(code, size, old, sdna_index, count, offset, offset + self._full.size)

    def code_of(self, index: int) -> bytes:
        return self._code_int.pack(self._codes[index])

    def index_of_address(self, address: int) -> int | None:
        return self.address_map().get(address)

    def address_map(self) -> dict[int, int]:
        """Old address -> block index (built on first use)."""
        if self._by_address is None:
            self._by_address = {old: i for i, old in enumerate(self._olds) if old}
        return self._by_address

    def _code_bytes(self) -> bytes:
        """Every block code as stored, 4 bytes each, searched with bytes methods at C speed:
        a Python loop over every block to index codes cost as much as scanning the headers."""
        if self._by_code is None:
            codes = array("I", self._codes)
            if (sys.byteorder == "little") != (self._header.byte_order == "<"):
                codes.byteswap()
            self._by_code = codes.tobytes()
        return self._by_code

    def indices_with_code(self, code: bytes) -> list[int]:
        needle = code.ljust(4, b"\0")[:4]
        data = self._code_bytes()
        found: list[int] = []
        at = data.find(needle)
        while at >= 0:
            if at % 4 == 0:
                found.append(at // 4)
            at = data.find(needle, at + 1)
        return found

    def id_indices(self) -> list[int]:
        """Indices of ID datablocks (2-letter codes), in file order."""
        # Overlapping matches (lookahead), then only those aligned on a code.
        return [m.start() // 4 for m in _ID_CODE.finditer(self._code_bytes()) if m.start() % 4 == 0]


# A two-letter ID code: first two bytes not both NUL, last two NUL.
_ID_CODE = re.compile(rb"(?=(?:[^\0].|\0[^\0])\0\0)", re.DOTALL)


def scan_blocks(path: Path, source: Source, header: FileHeader) -> BlockTable:
    """Read every block header up to ENDB, keeping compact arrays (offset, code, address, struct, size)."""
    order = header.byte_order
    large = header.format_version >= 1
    if large:
        fmt = struct.Struct(order + "IiQq")  # code, sdna index, old address, size
    else:
        fmt = struct.Struct(order + ("IiQi" if header.pointer_size == 8 else "IiIi"))  # code, size, old, sdna
    (endb,) = struct.unpack(order + "I", ENDB)
    head_size = header.block_header_size
    unpack_from = fmt.unpack_from
    offsets: array[int] = array("q")
    codes: array[int] = array("I")
    olds: array[int] = array("Q")
    sdna_indices: array[int] = array("i")
    sizes: array[int] = array("q")
    add_offset, add_code, add_old = offsets.append, codes.append, olds.append
    add_sdna, add_size = sdna_indices.append, sizes.append
    total = source.size
    offset = header.size
    start, buf = source.window(offset, head_size)
    end = start + len(buf)
    while True:
        if offset + head_size > end:
            start, buf = source.window(offset, head_size)
            end = start + len(buf)
            if offset + head_size > end:
                if source.read(offset, 4) == ENDB:
                    add_offset(offset)
                    add_code(endb)
                    add_old(0)
                    add_sdna(0)
                    add_size(0)
                    break
                raise TruncatedBlendFileError(path, "file ends before the ENDB block (truncated?)", offset)
        if large:
            code, sdna, old, size = unpack_from(buf, offset - start)
        else:
            code, size, old, sdna = unpack_from(buf, offset - start)
        add_offset(offset)
        add_code(code)
        add_old(old)
        add_sdna(sdna)
        add_size(size)
        if size <= 0:
            if code == endb:
                break
            if size < 0:
                raise CorruptBlendFileError(
                    path, f"block {code_text(struct.pack(order + 'I', code))} has a negative size", offset
                )
        next_offset = offset + head_size + size
        if next_offset > total:
            raise TruncatedBlendFileError(
                path,
                f"block {code_text(struct.pack(order + 'I', code))} claims {size} bytes but the file ends first",
                offset,
            )
        offset = next_offset
    return BlockTable(path, source, header, offsets, codes, olds, sdna_indices, sizes)
