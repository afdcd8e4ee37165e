# SPDX-License-Identifier: GPL-3.0-or-later
"""The SDNA catalogue: every struct a file's blocks may hold, with field names, types and offsets.

A file carries its own catalogue (the DNA1 block), so fields are looked up by name and a file
from another Blender version decodes correctly as long as the field still exists.
Note that files store DNA's *original* names (e.g. ``Image.name`` for what Python calls
``filepath``), because Blender keeps renamed fields readable by older versions.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorruptBlendFileError, TruncatedBlendFileError

# The primitive types DNA knows, mapped to struct-module codes.
PRIMITIVE_CODES: dict[str, str] = {
    "char": "b",
    "uchar": "B",
    "int8_t": "b",
    "uint8_t": "B",
    "short": "h",
    "ushort": "H",
    "int16_t": "h",
    "uint16_t": "H",
    "int": "i",
    "uint": "I",
    "int32_t": "i",
    "uint32_t": "I",
    "float": "f",
    "double": "d",
    "long": "i",
    "ulong": "I",
    "int64_t": "q",
    "uint64_t": "Q",
    "bool": "?",
}

_NAME = re.compile(r"^(\(?)(\**)(\w+)\)?((?:\(\w*\))?)((?:\[\d+\])*)$")
_DIM = re.compile(r"\[(\d+)\]")
# A catalogue bigger than this is not a real Blender file (5.0 has ~1000 structs, ~5000 names).
_MAX_ENTRIES = 1_000_000


@dataclass(frozen=True)
class Field:
    """One member of a DNA struct, as declared."""

    name: str  # bare name, e.g. "filepath" for "filepath[1024]"
    declaration: str  # as stored, e.g. "*next", "name[258]", "(*func)()"
    type_name: str
    offset: int
    size: int  # total bytes, arrays included
    pointer_depth: int  # 0 plain, 1 for "*x", 2 for "**x"
    is_function_pointer: bool
    dims: tuple[int, ...]  # array dimensions, () for scalars

    @property
    def is_pointer(self) -> bool:
        return self.pointer_depth > 0 or self.is_function_pointer

    @property
    def count(self) -> int:
        n = 1
        for d in self.dims:
            n *= d
        return n


@dataclass(frozen=True)
class Struct:
    index: int
    name: str
    size: int
    fields: tuple[Field, ...]
    by_name: dict[str, Field] = field(repr=False, compare=False, hash=False)

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)


@dataclass(frozen=True)
class SDNA:
    names: tuple[str, ...]
    types: tuple[str, ...]
    type_sizes: tuple[int, ...]
    structs: tuple[Struct, ...]
    struct_by_name: dict[str, Struct] = field(repr=False, compare=False, hash=False)

    def struct(self, name: str) -> Struct | None:
        return self.struct_by_name.get(name)


class _Cursor:
    def __init__(self, path: Path, data: bytes, base: int, order: str) -> None:
        self.path = path
        self.data = data
        self.pos = 0
        self.base = base  # file offset of data[0], for error messages
        self.order = order

    def fail(self, message: str) -> CorruptBlendFileError:
        return CorruptBlendFileError(self.path, f"SDNA: {message}", self.base + self.pos)

    def expect(self, tag: bytes) -> None:
        got = self.data[self.pos : self.pos + 4]
        if got != tag:
            if len(got) < 4:
                raise TruncatedBlendFileError(
                    self.path, f"SDNA ends before {tag.decode()}", self.base + self.pos
                )
            raise self.fail(f"expected {tag.decode()} marker, found {got!r}")
        self.pos += 4

    def align(self) -> None:
        self.pos = (self.pos + 3) & ~3

    def unpack(self, fmt: str) -> tuple[int, ...]:
        full = self.order + fmt
        size = struct.calcsize(full)
        if self.pos + size > len(self.data):
            raise TruncatedBlendFileError(self.path, "SDNA ends inside a table", self.base + self.pos)
        values = struct.unpack_from(full, self.data, self.pos)
        self.pos += size
        return values

    def count(self, what: str) -> int:
        (n,) = self.unpack("i")
        if n < 0 or n > _MAX_ENTRIES:
            raise self.fail(f"impossible number of {what}: {n}")
        return n

    def strings(self, n: int, what: str) -> list[str]:
        out: list[str] = []
        data = self.data
        for _ in range(n):
            end = data.find(b"\0", self.pos)
            if end < 0:
                raise TruncatedBlendFileError(
                    self.path, f"SDNA ends inside the {what} table", self.base + self.pos
                )
            out.append(data[self.pos : end].decode("latin-1"))
            self.pos = end + 1
        return out


def parse_sdna(path: Path, data: bytes, file_offset: int, byte_order: str, pointer_size: int) -> SDNA:
    """Decode the DNA1 block's payload. ``file_offset`` is where it starts, for error messages."""
    cur = _Cursor(path, data, file_offset, byte_order)
    cur.expect(b"SDNA")
    cur.expect(b"NAME")
    names = cur.strings(cur.count("names"), "name")
    cur.align()
    cur.expect(b"TYPE")
    types = cur.strings(cur.count("types"), "type")
    cur.align()
    cur.expect(b"TLEN")
    type_sizes = cur.unpack(f"{len(types)}H") if types else ()
    cur.align()
    cur.expect(b"STRC")
    n_structs = cur.count("structs")

    structs: list[Struct] = []
    by_name: dict[str, Struct] = {}
    for index in range(n_structs):
        type_index, n_fields = cur.unpack("hh")
        if not 0 <= type_index < len(types) or n_fields < 0:
            raise cur.fail(f"struct #{index} refers to type #{type_index} of {len(types)}")
        raw = cur.unpack(f"{2 * n_fields}h")
        decl_pairs = list(zip(raw[0::2], raw[1::2], strict=True))
        fields = _layout_fields(cur, index, decl_pairs, names, types, type_sizes, pointer_size)
        s = Struct(
            index=index,
            name=types[type_index],
            size=type_sizes[type_index],
            fields=tuple(fields),
            by_name={f.name: f for f in fields},
        )
        structs.append(s)
        by_name.setdefault(s.name, s)
    check_struct_sizes(path, structs, file_offset)
    return SDNA(tuple(names), tuple(types), tuple(type_sizes), tuple(structs), by_name)


def _layout_fields(
    cur: _Cursor,
    struct_index: int,
    decl_pairs: list[tuple[int, int]],
    names: list[str],
    types: list[str],
    type_sizes: tuple[int, ...],
    pointer_size: int,
) -> list[Field]:
    fields: list[Field] = []
    offset = 0
    for type_index, name_index in decl_pairs:
        if not (0 <= type_index < len(types) and 0 <= name_index < len(names)):
            raise cur.fail(f"struct #{struct_index} has a field with an out-of-range type or name")
        declaration = names[name_index]
        match = _NAME.match(declaration)
        if match is None:
            raise cur.fail(f"struct #{struct_index} has an unreadable field name {declaration!r}")
        paren, stars, bare, call, dims_text = match.groups()
        is_function = bool(paren) and bool(call)
        dims = tuple(int(d) for d in _DIM.findall(dims_text))
        element = pointer_size if (stars or is_function) else type_sizes[type_index]
        size = element
        for d in dims:
            size *= d
        fields.append(
            Field(
                name=bare,
                declaration=declaration,
                type_name=types[type_index],
                offset=offset,
                size=size,
                pointer_depth=len(stars),
                is_function_pointer=is_function,
                dims=dims,
            )
        )
        offset += size
    return fields


def check_struct_sizes(cur_path: Path, sdna_structs: list[Struct], file_offset: int) -> None:
    for s in sdna_structs:
        total = sum(f.size for f in s.fields)
        if total != s.size:
            raise CorruptBlendFileError(
                cur_path,
                f"SDNA: struct {s.name} declares {s.size} bytes but its fields take {total}",
                file_offset,
            )
