# SPDX-License-Identifier: GPL-3.0-or-later
"""Block headers: what each block is, where its data lies, and the address it had in memory.

Scanning stores three compact arrays (offset, code, old address) instead of one object per
block: production files hold close to a million blocks, and most are never looked at.
BlockHeader objects are made on demand.
"""

from __future__ import annotations

import functools
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
        return is_id_code(self.code)


def is_id_code(code: bytes) -> bool:
    """ID datablocks use 2-letter codes padded with NULs; other blocks use 4 letters."""
    return code[2:] == b"\0\0" and code[:2] != b"\0\0"


@functools.cache
def _header_layout(byte_order: str, layout: str) -> struct.Struct:
    return struct.Struct(byte_order + layout)


def read_block_header(source: Source, header: FileHeader, offset: int) -> BlockHeader:
    """The block header starting at ``offset`` (which must be where a block starts)."""
    layout = _header_layout(header.byte_order, header.block_layout.value)
    raw = source.read(offset, layout.size)
    if len(raw) < layout.size:
        # Only ENDB may be cut short: Blender's readers stop at its code.
        return BlockHeader(ENDB, 0, 0, 0, 0, offset, offset + len(raw))
    if header.format_version >= 1:
        code, sdna_index, old, size, count = layout.unpack(raw)
    else:
        code, size, old, sdna_index, count = layout.unpack(raw)
    return BlockHeader(code, size, old, sdna_index, count, offset, offset + layout.size)


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
        self._code_int = struct.Struct(header.byte_order + "I")
        self._by_address: dict[int, int] | None = None
        self._by_code: bytes | None = None
        self._id_indices: list[int] | None = None

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
        return read_block_header(self._source, self._header, self._offsets[index])

    def code_of(self, index: int) -> bytes:
        return self._code_int.pack(self._codes[index])

    def code_of_int(self, code: int) -> bytes:
        """A block code as stored, from the integer kept in ``codes``."""
        return self._code_int.pack(code)

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
        if self._id_indices is None:
            # A file has a few dozen distinct codes: find the blocks of each ID code at C speed.
            found: list[int] = []
            for value in set(self._codes):
                code = self.code_of_int(value)
                if is_id_code(code):
                    found.extend(self.indices_with_code(code))
            found.sort()
            self._id_indices = found
        return list(self._id_indices)


# Where each field of a block header lies, per layout: (code, sdna index, old address, size),
# as (typecode, index in units of that type) to pull one column out of all headers at once.
_COLUMNS: dict[tuple[bool, int], tuple[tuple[str, int], tuple[str, int], tuple[str, int], tuple[str, int]]] = {
    (True, 8): (("I", 0), ("i", 1), ("Q", 1), ("q", 2)),  # <IiQqq, 32 bytes
    (False, 8): (("I", 0), ("i", 4), ("Q", 1), ("i", 1)),  # <IiQii, 24 bytes: code, size, old, sdna, nr
    (False, 4): (("I", 0), ("i", 3), ("I", 2), ("i", 1)),  # <IiIii, 20 bytes
}


SCAN_WINDOW = 256 << 10  # bytes of block headers and data looked at per read while scanning


def scan_blocks(path: Path, source: Source, header: FileHeader) -> BlockTable:
    """Read every block header up to ENDB, keeping compact arrays (offset, code, address, struct, size)."""
    order = header.byte_order
    large = header.format_version >= 1
    head_size = header.block_header_size
    # The loop only chains block to block; the other header fields are decoded afterwards for
    # all blocks at once, from the collected header bytes (a million blocks is common).
    size_at = struct.Struct(order + ("16xq" if large else "4xi")).unpack_from
    offsets: array[int] = array("q")
    heads: list[bytes | memoryview] = []
    add_offset, add_head = offsets.append, heads.append
    total = source.size
    offset = header.size
    start, end = 0, 0
    buf: bytes | memoryview = b""
    while True:
        if offset > total:
            code = bytes(heads[-1][:4])
            raise TruncatedBlendFileError(
                path, f"block {code_text(code)} claims more bytes than the file has left", offsets[-1]
            )
        if offset + head_size > end:
            start, buf = source.window(offset, max(head_size, SCAN_WINDOW))
            end = start + len(buf)
            if offset + head_size > end:
                if source.read(offset, 4) == ENDB:
                    # Only ENDB may be cut short: Blender's readers stop at its code.
                    add_offset(offset)
                    add_head(ENDB.ljust(head_size, b"\0"))
                    break
                raise TruncatedBlendFileError(path, "file ends before the ENDB block (truncated?)", offset)
        # The hot loop: every block header inside the buffer, nothing but chaining.
        stop = end - head_size
        while offset <= stop:
            rel = offset - start
            (size,) = size_at(buf, rel)
            add_offset(offset)
            add_head(buf[rel : rel + head_size])
            if size <= 0:
                break
            offset += head_size + size
        else:
            continue
        code = bytes(buf[rel : rel + 4])
        if code == ENDB:
            break
        if size < 0:
            raise CorruptBlendFileError(path, f"block {code_text(code)} has a negative size", offset)
        offset += head_size
    joined = b"".join(heads)
    codes, sdna_indices, olds, sizes = (
        _column(joined, typecode, index, head_size, order) for typecode, index in _COLUMNS[(large, header.pointer_size)]
    )
    return BlockTable(
        path,
        source,
        header,
        offsets,
        codes,
        olds if olds.typecode == "Q" else array("Q", olds),
        sdna_indices,
        sizes if sizes.typecode == "q" else array("q", sizes),
    )


def _column(joined: bytes, typecode: str, index: int, head_size: int, order: str) -> array[int]:
    """One header field of every block: the index-th item of that type in each header."""
    values = array(typecode)
    values.frombytes(joined)
    if (order == "<") != (sys.byteorder == "little"):
        values.byteswap()
    stride = head_size // values.itemsize
    return values[index::stride]
