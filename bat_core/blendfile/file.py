# SPDX-License-Identifier: GPL-3.0-or-later
"""BlendFile: a lazily decoded .blend file, and StructView: typed access to one struct in it.

Opening reads the header, every block header and the SDNA catalogue; struct data is read and
decoded only when a field is asked for. Everything is bounds-checked, so a damaged file raises
a BlendFileError instead of reading garbage or allocating wildly.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..errors import BlendFileError, CorruptBlendFileError, FieldError, RewriteError, TruncatedBlendFileError
from . import prescan
from .blocks import DNA1, BlockHeader, BlockTable, read_block_header, scan_blocks
from .header import FileHeader, parse_header
from .sdna import PRIMITIVE_CODES, SDNA, Field, Struct, parse_sdna
from .source import Compression, FileSource, Source, open_source


@dataclass(frozen=True)
class FieldEdit:
    """Replace the bytes of one fixed-size field, at an absolute offset of the decompressed file."""

    offset: int
    size: int
    data: bytes  # exactly `size` bytes


@dataclass(frozen=True)
class _Resolved:
    offset: int  # relative to the start of the struct the path was resolved from
    field: Field
    struct: Struct | None  # the field's struct type when it is a nested (non-pointer) struct


class RawBlend:
    """A .blend opened for copying with edits: its header and content, no block table.

    Rewriting a traced file needs only the bytes and the few block headers it edits, which it
    reads where the trace found them; scanning every block header again cost as much as the
    copy itself."""

    def __init__(self, path: Path, compression: Compression, source: Source, header: FileHeader) -> None:
        self.path = path
        self.compression = compression
        self.source = source
        self.header = header

    @staticmethod
    def open_raw(path: Path | str) -> RawBlend:
        path = Path(path)
        compression, source = open_source(path)
        try:
            header = parse_header(path, source.read(0, 32))
        except BaseException:
            source.close()
            raise
        return RawBlend(path, compression, source, header)

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def decompressed_size(self) -> int:
        return self.source.size

    def block_with_data_at(self, data_offset: int) -> BlockHeader | None:
        """The block whose data starts at ``data_offset`` (where a trace found it), or None when
        the header read there is impossible (a negative size, data beyond the end)."""
        header_at = data_offset - self.header.block_header_size
        if header_at < self.header.size:
            return None
        block = read_block_header(self.source, self.header, header_at)
        if block.data_offset != data_offset or block.size < 0 or data_offset + block.size > self.source.size:
            return None
        return block

    def replace_block_edits(self, block: BlockHeader, data: bytes) -> list[FieldEdit]:
        """Edits that give a block new data of any length (its header's size field follows).

        Pointers refer to old addresses, not file offsets, so a block may grow or shrink freely.
        The data is padded with NULs to a multiple of 4 bytes, as Blender pads what it writes.
        """
        padded = data + b"\0" * (-len(data) % 4)
        if self.header.format_version >= 1:
            length_at, length_code = block.header_offset + 8 + self.header.pointer_size, "q"
        else:
            length_at, length_code = block.header_offset + 4, "i"
        length = struct.pack(self.header.byte_order + length_code, len(padded))
        return [
            FieldEdit(length_at, len(length), length),
            FieldEdit(block.data_offset, block.size, padded),
        ]


class BlendFile(RawBlend):
    """An open .blend file. Use as a context manager, or call close()."""

    def __init__(
        self,
        path: Path,
        compression: Compression,
        source: Source,
        header: FileHeader,
        blocks: BlockTable,
        sdna: SDNA,
    ) -> None:
        super().__init__(path, compression, source, header)
        self.blocks = blocks
        self.sdna = sdna
        self._resolved: dict[tuple[int, str], _Resolved] = {}
        self._order = header.byte_order
        self._pointer_char = "Q" if header.pointer_size == 8 else "I"
        self._pointer = struct.Struct(self._order + self._pointer_char)

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str) -> BlendFile:
        raw = RawBlend.open_raw(path)
        try:
            blocks = None
            if isinstance(raw.source, FileSource):
                # Scanned meanwhile by the command line's helper process, if it started one.
                blocks = prescan.claim(raw.path, raw.source, raw.header)
            if blocks is None:
                blocks = scan_blocks(raw.path, raw.source, raw.header)
            dna_index = next((i for i in reversed(blocks.indices_with_code(DNA1))), None)
            if dna_index is None:
                raise TruncatedBlendFileError(raw.path, "file has no SDNA (DNA1) block", raw.source.size)
            dna = blocks[dna_index]
            sdna = parse_sdna(
                raw.path,
                raw.source.read(dna.data_offset, dna.size),
                dna.data_offset,
                raw.header.byte_order,
                raw.header.pointer_size,
            )
        except BaseException:
            raw.close()
            raise
        return cls(raw.path, raw.compression, raw.source, raw.header, blocks, sdna)

    # -- properties ----------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self.header.version

    @property
    def pointer_size(self) -> int:
        return self.header.pointer_size

    @property
    def endianness(self) -> str:
        return self.header.endianness

    def content(self) -> bytes:
        """The whole decompressed file (for tools and tests; tracing never needs it)."""
        return b"".join(bytes(c) for c in self.source.chunks())

    # -- blocks --------------------------------------------------------------------------
    def block_at(self, address: int) -> BlockHeader | None:
        if not address:
            return None
        index = self.blocks.index_of_address(address)
        return None if index is None else self.blocks[index]

    def blocks_with_code(self, code: bytes) -> Iterator[BlockHeader]:
        blocks = self.blocks
        return (blocks[i] for i in blocks.indices_with_code(code))

    def id_blocks(self) -> Iterator[BlockHeader]:
        blocks = self.blocks
        return (blocks[i] for i in blocks.id_indices())

    def id_names(self, indices: Sequence[int]) -> list[bytes]:
        """The names (code included, e.g. b"OBCube") of the ID blocks at these indices, read
        straight from the ``ID`` struct each datablock starts with: no view per block."""
        id_struct = self.sdna.struct("ID")
        if id_struct is None:
            raise FieldError(f"{self.path}: no struct 'ID' in this file's SDNA")
        name = self.resolve(id_struct, "name")
        at, size = name.offset, name.field.size
        table = self.blocks
        offsets, header_size, read = table.offsets, table.header_size, self.source.read
        names: list[bytes] = []
        for index in indices:
            raw = read(offsets[index] + header_size + at, size)
            end = raw.find(b"\0")
            names.append(raw if end < 0 else raw[:end])
        return names

    def struct_of(self, block: BlockHeader) -> Struct:
        if not 0 <= block.sdna_index < len(self.sdna):
            raise CorruptBlendFileError(
                self.path,
                f"block {block.code_text} names struct #{block.sdna_index} of {len(self.sdna)}",
                block.header_offset,
            )
        return self.sdna.struct_at(block.sdna_index)

    def view(self, block: BlockHeader, index: int = 0, struct_name: str | None = None) -> StructView:
        """A view of the index-th struct in a block (typed by the block, or by struct_name)."""
        if struct_name is not None:
            s = self.sdna.struct(struct_name)
            if s is None:
                raise FieldError(f"{self.path}: no struct {struct_name!r} in this file's SDNA")
        else:
            s = self.struct_of(block)
        offset = block.data_offset + index * s.size
        if index < 0 or offset + s.size > block.data_offset + block.size:
            raise CorruptBlendFileError(
                self.path, f"block {block.code_text} is too small for {s.name} #{index}", block.header_offset
            )
        return StructView(self, block, s, offset)

    def views(self, block: BlockHeader, struct_name: str | None = None) -> Iterator[StructView]:
        """Every struct in a block (blocks may hold arrays of structs)."""
        s = self.sdna.struct(struct_name) if struct_name is not None else self.struct_of(block)
        if s is None or s.size == 0:
            return
        n = min(block.count, block.size // s.size)
        for i in range(n):
            yield StructView(self, block, s, block.data_offset + i * s.size)

    def deref(self, address: int, struct_name: str | None = None) -> StructView | None:
        block = self.block_at(address)
        if block is None:
            return None
        return self.view(block, 0, struct_name)

    def block_bytes(self, block: BlockHeader) -> bytes:
        return self.source.read(block.data_offset, block.size)

    def pointer_array(self, address: int) -> list[int]:
        """The pointers stored in a DATA block that is a plain array of pointers (e.g. Material **mat)."""
        block = self.block_at(address)
        if block is None:
            return []
        n = block.size // self.pointer_size
        raw = self.source.read(block.data_offset, n * self.pointer_size)
        return list(struct.unpack(f"{self._order}{n}{self._pointer_char}", raw))

    # -- field resolution ------------------------------------------------------------------
    def resolve(self, s: Struct, path: str) -> _Resolved:
        key = (s.index, path)
        hit = self._resolved.get(key)
        if hit is not None:
            return hit
        offset = 0
        current: Struct | None = s
        resolved: _Resolved | None = None
        for part in path.split("."):
            if current is None:
                raise FieldError(f"{self.path}: {s.name}.{path}: {part!r} is inside a non-struct field")
            f = current.field(part)
            if f is None:
                raise FieldError(f"{self.path}: struct {current.name} has no field {part!r}")
            offset += f.offset
            nested = None if f.is_pointer else self.sdna.struct(f.type_name)
            resolved = _Resolved(offset, f, nested)
            current = nested
        assert resolved is not None
        self._resolved[key] = resolved
        return resolved

    def has_field(self, struct_name: str, path: str) -> bool:
        s = self.sdna.struct(struct_name)
        if s is None:
            return False
        try:
            self.resolve(s, path)
        except FieldError:
            return False
        return True

    def decode(self, raw: bytes, at: int, f: Field) -> Any:
        """Decode field `f` found at `at` in `raw` (bytes of the enclosing struct)."""
        if at + f.size > len(raw):
            raise TruncatedBlendFileError(self.path, f"field {f.name} lies beyond the end of its block")
        if f.is_pointer:
            if f.count == 1:
                return self._pointer.unpack_from(raw, at)[0]
            return list(struct.unpack_from(f"{self._order}{f.count}{self._pointer_char}", raw, at))
        code = PRIMITIVE_CODES.get(f.type_name)
        if code is None:
            raise FieldError(f"{self.path}: field {f.name} has non-primitive type {f.type_name}")
        if f.type_name == "char" and f.dims:
            value = raw[at : at + f.size]
            end = value.find(b"\0")
            return value if end < 0 else value[:end]
        if not f.dims:
            return struct.unpack_from(self._order + code, raw, at)[0]
        return list(struct.unpack_from(f"{self._order}{f.count}{code}", raw, at))


class StructView:
    """One struct inside a block; fields are read by (dotted) name on demand."""

    __slots__ = ("_raw", "_raw_start", "block", "file", "offset", "struct")

    def __init__(
        self,
        file: BlendFile,
        block: BlockHeader,
        struct_: Struct,
        offset: int,
        raw: bytes | None = None,
        raw_start: int = 0,
    ) -> None:
        self.file = file
        self.block = block
        self.struct = struct_
        self.offset = offset  # absolute, in the decompressed file
        self._raw = raw
        self._raw_start = raw_start

    def __repr__(self) -> str:
        return f"<StructView {self.struct.name} in {self.block.code_text} at {self.offset}>"

    def _bytes(self) -> tuple[bytes, int]:
        if self._raw is None:
            self._raw = self.file.source.read(self.offset, self.struct.size)
            self._raw_start = self.offset
        return self._raw, self.offset - self._raw_start

    @property
    def address(self) -> int:
        return self.block.old_address + (self.offset - self.block.data_offset)

    def has(self, path: str) -> bool:
        try:
            self.file.resolve(self.struct, path)
        except FieldError:
            return False
        return True

    def field(self, path: str) -> Field:
        return self.file.resolve(self.struct, path).field

    def get(self, path: str) -> Any:
        """A primitive value, list of values, pointer (int), char array (bytes up to NUL) or nested view."""
        r = self.file.resolve(self.struct, path)
        if r.struct is not None:
            return self.sub(path)
        raw, base = self._bytes()
        return self.file.decode(raw, base + r.offset, r.field)

    def get_bytes(self, path: str) -> bytes:
        """A char array as bytes up to its first NUL."""
        value = self.get(path)
        if not isinstance(value, bytes):
            raise FieldError(f"{self.file.path}: {self.struct.name}.{path} is not a char array")
        return value

    def get_pointer(self, path: str) -> int:
        r = self.file.resolve(self.struct, path)
        if not r.field.is_pointer or r.field.dims:
            raise FieldError(f"{self.file.path}: {self.struct.name}.{path} is not a single pointer")
        raw, base = self._bytes()
        value: int = self.file.decode(raw, base + r.offset, r.field)
        return value

    def sub(self, path: str) -> StructView:
        """A nested (embedded, not pointed-to) struct."""
        r = self.file.resolve(self.struct, path)
        if r.struct is None:
            raise FieldError(f"{self.file.path}: {self.struct.name}.{path} is not an embedded struct")
        raw, _ = self._bytes()
        return StructView(self.file, self.block, r.struct, self.offset + r.offset, raw, self._raw_start)

    def deref(self, path: str, struct_name: str | None = None) -> StructView | None:
        """Follow a pointer field to the block it points at (typed by that block unless named)."""
        return self.file.deref(self.get_pointer(path), struct_name)

    def iter_listbase(self, path: str, struct_name: str | None = None) -> Iterator[StructView]:
        """Walk a ListBase's elements; stops at NULL, at a dangling pointer, or on a cycle."""
        address = self.sub(path).get_pointer("first")
        seen: set[int] = set()
        limit = len(self.file.blocks)
        while address and address not in seen and len(seen) <= limit:
            seen.add(address)
            item = self.file.deref(address, struct_name)
            if item is None:
                return
            yield item
            address = item.get_pointer("next") if item.has("next") else 0

    def id_name(self) -> bytes:
        """The ID name with its two-letter code, e.g. b"OBCube"."""
        return self.get_bytes("name") if self.struct.name == "ID" else self.get_bytes("id.name")

    def location(self, path: str) -> tuple[int, Field]:
        """Absolute offset in the decompressed file and the field, for rewriting."""
        r = self.file.resolve(self.struct, path)
        return self.offset + r.offset, r.field

    def string_edit(self, path: str, value: bytes) -> FieldEdit:
        """An edit that stores `value` NUL-terminated in a char-array field, zero-filling the rest."""
        at, f = self.location(path)
        if f.type_name != "char" or not f.dims or f.is_pointer:
            raise RewriteError(f"{self.file.path}: {self.struct.name}.{path} is not a char array")
        if b"\0" in value:
            raise RewriteError(f"{self.file.path}: a value for {self.struct.name}.{path} contains a NUL byte")
        if len(value) + 1 > f.size:
            raise RewriteError(
                f"{self.file.path}: {len(value)} bytes do not fit {self.struct.name}.{path} (room for {f.size - 1})"
            )
        return FieldEdit(at, f.size, value.ljust(f.size, b"\0"))


def open_blend(path: Path | str) -> BlendFile:
    """Open a .blend file; raises a BlendFileError subclass on anything unreadable."""
    try:
        return BlendFile.open(path)
    except BlendFileError:
        raise
    except (struct.error, ValueError, IndexError, OverflowError, MemoryError) as exc:
        raise CorruptBlendFileError(Path(path), f"unreadable data ({exc})") from exc
