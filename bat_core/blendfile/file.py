# SPDX-License-Identifier: GPL-3.0-or-later
"""BlendFile: a lazily decoded .blend file, and StructView: typed access to one struct in it.

Opening reads the header, every block header and the SDNA catalogue; struct data is decoded
only when a field is asked for. Everything is bounds-checked against the file's size, so a
damaged file raises a BlendFileError instead of reading garbage or allocating wildly.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import BlendFileError, CorruptBlendFileError, FieldError, RewriteError, TruncatedBlendFileError
from .blocks import DNA1, BlockHeader, scan_blocks
from .compression import Compression, load
from .header import FileHeader, parse_header
from .sdna import PRIMITIVE_CODES, SDNA, Field, Struct, parse_sdna

ID_LINK_PLACEHOLDER = b"ID"


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


class BlendFile:
    """An open .blend file. Use as a context manager, or call close()."""

    def __init__(
        self,
        path: Path,
        compression: Compression,
        data: bytes | mmap.mmap,
        header: FileHeader,
        blocks: list[BlockHeader],
        sdna: SDNA,
    ) -> None:
        self.path = path
        self.compression = compression
        self._data = data
        self.header = header
        self.blocks = blocks
        self.sdna = sdna
        self._by_address: dict[int, BlockHeader] | None = None
        self._resolved: dict[tuple[int, str], _Resolved] = {}
        self._order = header.byte_order
        self._pointer_code = self._order + ("Q" if header.pointer_size == 8 else "I")

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str) -> BlendFile:
        path = Path(path)
        compression, data = load(path)
        try:
            header = parse_header(path, bytes(data[:32]))
            blocks = scan_blocks(path, data, header)
            dna_block = next((b for b in reversed(blocks) if b.code == DNA1), None)
            if dna_block is None:
                raise TruncatedBlendFileError(path, "file has no SDNA (DNA1) block", len(data))
            sdna = parse_sdna(
                path,
                bytes(data[dna_block.data_offset : dna_block.data_offset + dna_block.size]),
                dna_block.data_offset,
                header.byte_order,
                header.pointer_size,
            )
        except BaseException:
            if isinstance(data, mmap.mmap):
                data.close()
            raise
        return cls(path, compression, data, header, blocks, sdna)

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap) and not self._data.closed:
            self._data.close()

    def __enter__(self) -> BlendFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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

    @property
    def raw(self) -> bytes | mmap.mmap:
        """The decompressed file content."""
        return self._data

    # -- blocks --------------------------------------------------------------------------
    def block_at(self, address: int) -> BlockHeader | None:
        if not address:
            return None
        if self._by_address is None:
            self._by_address = {b.old_address: b for b in self.blocks if b.old_address}
        return self._by_address.get(address)

    def blocks_with_code(self, code: bytes) -> Iterator[BlockHeader]:
        code = code.ljust(4, b"\0")
        return (b for b in self.blocks if b.code == code)

    def id_blocks(self) -> Iterator[BlockHeader]:
        return (b for b in self.blocks if b.is_id)

    def struct_of(self, block: BlockHeader) -> Struct:
        structs = self.sdna.structs
        if block.sdna_index >= len(structs):
            raise CorruptBlendFileError(
                self.path,
                f"block {block.code_text} names struct #{block.sdna_index} of {len(structs)}",
                block.header_offset,
            )
        return structs[block.sdna_index]

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

    def views(self, block: BlockHeader) -> Iterator[StructView]:
        """Every struct in a block (blocks may hold arrays of structs)."""
        s = self.struct_of(block)
        if s.size == 0:
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
        return bytes(self._data[block.data_offset : block.data_offset + block.size])

    def pointer_array(self, address: int) -> list[int]:
        """The pointers stored in a DATA block that is a plain array of pointers (e.g. Material **mat)."""
        block = self.block_at(address)
        if block is None:
            return []
        n = block.size // self.pointer_size
        code = self._order + f"{n}" + self._pointer_code[-1]
        return list(struct.unpack_from(code, self._data, block.data_offset))

    # -- field resolution ------------------------------------------------------------------
    def _resolve(self, s: Struct, path: str) -> _Resolved:
        key = (s.index, path)
        hit = self._resolved.get(key)
        if hit is not None:
            return hit
        offset = 0
        current: Struct | None = s
        resolved: _Resolved | None = None
        for part in path.split("."):
            if current is None:
                raise FieldError(f"{self.path}: {path!r}: {resolved and resolved.field.name} is not a struct")
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
            self._resolve(s, path)
        except FieldError:
            return False
        return True

    def _decode(self, at: int, f: Field) -> Any:
        data = self._data
        if at + f.size > len(data):
            raise TruncatedBlendFileError(self.path, f"field {f.name} lies beyond the end of the file", at)
        if f.is_pointer:
            if f.count == 1:
                return struct.unpack_from(self._pointer_code, data, at)[0]
            return list(struct.unpack_from(self._order + f"{f.count}" + self._pointer_code[-1], data, at))
        code = PRIMITIVE_CODES.get(f.type_name)
        if code is None:
            raise FieldError(f"{self.path}: field {f.name} has non-primitive type {f.type_name}")
        if f.type_name == "char" and f.dims:
            raw = bytes(data[at : at + f.size])
            end = raw.find(b"\0")
            return raw if end < 0 else raw[:end]
        if not f.dims:
            return struct.unpack_from(self._order + code, data, at)[0]
        return list(struct.unpack_from(self._order + f"{f.count}{code}", data, at))


class StructView:
    """One struct inside a block; fields are read by (dotted) name on demand."""

    __slots__ = ("block", "file", "offset", "struct")

    def __init__(self, file: BlendFile, block: BlockHeader, struct_: Struct, offset: int) -> None:
        self.file = file
        self.block = block
        self.struct = struct_
        self.offset = offset

    def __repr__(self) -> str:
        return f"<StructView {self.struct.name} in {self.block.code!r} at {self.offset}>"

    @property
    def address(self) -> int:
        return self.block.old_address + (self.offset - self.block.data_offset)

    def has(self, path: str) -> bool:
        try:
            self.file._resolve(self.struct, path)
        except FieldError:
            return False
        return True

    def field(self, path: str) -> Field:
        return self.file._resolve(self.struct, path).field

    def get(self, path: str) -> Any:
        """A primitive value, list of values, pointer (int) or char array (bytes up to NUL)."""
        r = self.file._resolve(self.struct, path)
        if r.struct is not None and not r.field.is_pointer:
            return self.sub(path)
        return self.file._decode(self.offset + r.offset, r.field)

    def get_bytes(self, path: str) -> bytes:
        """A char array as bytes up to its first NUL."""
        value = self.get(path)
        if not isinstance(value, bytes):
            raise FieldError(f"{self.file.path}: {self.struct.name}.{path} is not a char array")
        return value

    def get_pointer(self, path: str) -> int:
        value = self.get(path)
        if not isinstance(value, int) or not self.field(path).is_pointer:
            raise FieldError(f"{self.file.path}: {self.struct.name}.{path} is not a pointer")
        return value

    def sub(self, path: str) -> StructView:
        """A nested (embedded, not pointed-to) struct."""
        r = self.file._resolve(self.struct, path)
        if r.struct is None:
            raise FieldError(f"{self.file.path}: {self.struct.name}.{path} is not an embedded struct")
        return StructView(self.file, self.block, r.struct, self.offset + r.offset)

    def deref(self, path: str, struct_name: str | None = None) -> StructView | None:
        """Follow a pointer field to the block it points at (typed by that block unless named)."""
        return self.file.deref(self.get_pointer(path), struct_name)

    def iter_listbase(self, path: str, struct_name: str | None = None) -> Iterator[StructView]:
        """Walk a ListBase's elements; stops at NULL, at a dangling pointer, or on a cycle."""
        lb = self.sub(path)
        address = lb.get_pointer("first")
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
        return self.get_bytes("id.name") if self.struct.name != "ID" else self.get_bytes("name")

    def location(self, path: str) -> tuple[int, Field]:
        """Absolute offset in the decompressed file and the field, for rewriting."""
        r = self.file._resolve(self.struct, path)
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
                f"{self.file.path}: {len(value)} bytes do not fit {self.struct.name}.{path} "
                f"(room for {f.size - 1})"
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
