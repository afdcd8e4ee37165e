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
import sys
from array import array
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


class SDNA:
    """The catalogue. Struct layouts are computed on first use: a file names ~1000 structs and
    a trace touches a few dozen."""

    def __init__(
        self,
        path: Path,
        file_offset: int,
        names: list[str],
        types: list[str],
        type_sizes: tuple[int, ...],
        struct_decls: list[tuple[int, int, int]],
        field_table: array[int],
        pointer_size: int,
        built: dict[int, Struct] | None = None,
        derived: dict[object, object] | None = None,
    ) -> None:
        self._path = path
        self._file_offset = file_offset
        self.names = names
        self.types = types
        self.type_sizes = type_sizes
        self._decls = struct_decls  # (type index, start, end) of its (type, name) pairs in field_table
        self._field_table = field_table
        self._pointer_size = pointer_size
        self._built: dict[int, Struct] = {} if built is None else built
        # Caches other modules derive from the layouts (the tracer's pointer plans); shared, like
        # the layouts, by every file whose catalogue is byte-identical.
        self.derived: dict[object, object] = {} if derived is None else derived
        self._index_by_name: dict[str, int] = {}
        for index, (type_index, _, _) in enumerate(struct_decls):
            self._index_by_name.setdefault(types[type_index], index)

    def __len__(self) -> int:
        return len(self._decls)

    @property
    def structs(self) -> list[Struct]:
        """Every struct (builds all layouts; meant for tools and tests, not hot paths)."""
        return [self.struct_at(i) for i in range(len(self._decls))]

    def struct_at(self, index: int) -> Struct:
        hit = self._built.get(index)
        if hit is not None:
            return hit
        if not 0 <= index < len(self._decls):
            raise CorruptBlendFileError(self._path, f"SDNA has no struct #{index}", self._file_offset)
        type_index, start, end = self._decls[index]
        flat = self._field_table[start:end]
        pairs = list(zip(flat[0::2], flat[1::2], strict=True))
        fields = _layout_fields(
            self._path,
            self._file_offset,
            index,
            pairs,
            self.names,
            self.types,
            self.type_sizes,
            self._pointer_size,
        )
        built = Struct(
            index,
            self.types[type_index],
            self.type_sizes[type_index],
            tuple(fields),
            {f.name: f for f in fields},
        )
        total = sum(f.size for f in fields)
        if total != built.size:
            raise CorruptBlendFileError(
                self._path,
                f"SDNA: struct {built.name} declares {built.size} bytes but its fields take {total}",
                self._file_offset,
            )
        self._built[index] = built
        return built

    def name_at(self, index: int) -> str | None:
        """A struct's type name without laying out its fields (None when there is no such struct)."""
        if not 0 <= index < len(self._decls):
            return None
        return self.types[self._decls[index][0]]

    def size_at(self, index: int) -> int:
        """A struct's declared size without laying out its fields (0 when there is no such struct)."""
        if not 0 <= index < len(self._decls):
            return 0
        return self.type_sizes[self._decls[index][0]]

    def struct(self, name: str) -> Struct | None:
        index = self._index_by_name.get(name)
        return None if index is None else self.struct_at(index)

    def has_struct(self, name: str) -> bool:
        return name in self._index_by_name


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
                raise TruncatedBlendFileError(self.path, f"SDNA ends before {tag.decode()}", self.base + self.pos)
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
        parts = self.data[self.pos :].split(b"\0", n)
        if len(parts) <= n:
            raise TruncatedBlendFileError(self.path, f"SDNA ends inside the {what} table", self.base + self.pos)
        del parts[n]
        self.pos += sum(map(len, parts)) + n
        return [p.decode("latin-1") for p in parts]


@dataclass
class _Parsed:
    names: list[str]
    types: list[str]
    type_sizes: tuple[int, ...]
    decls: list[tuple[int, int, int]]
    shorts: array[int]
    built: dict[int, Struct] = field(default_factory=dict)
    derived: dict[object, object] = field(default_factory=dict)


# Every library of a production is usually saved by one Blender version, so the same catalogue
# comes again and again: it is parsed, and its layouts built, once per process.
_PARSED: dict[tuple[bytes, str, int], _Parsed] = {}
_PARSED_KEEP = 8


def parse_sdna(path: Path, data: bytes, file_offset: int, byte_order: str, pointer_size: int) -> SDNA:
    """Decode the DNA1 block's payload. ``file_offset`` is where it starts, for error messages."""
    key = (bytes(data), byte_order, pointer_size)  # the catalogue itself: tens of KB, hashed once
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _parse(path, data, file_offset, byte_order)
        if len(_PARSED) >= _PARSED_KEEP:
            del _PARSED[next(iter(_PARSED))]
        _PARSED[key] = parsed
    return SDNA(
        path,
        file_offset,
        parsed.names,
        parsed.types,
        parsed.type_sizes,
        parsed.decls,
        parsed.shorts,
        pointer_size,
        parsed.built,
        parsed.derived,
    )


def _parse(path: Path, data: bytes, file_offset: int, byte_order: str) -> _Parsed:
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

    # The struct table is all 16-bit numbers: decode it in one go, then walk it.
    shorts = array("h")
    usable = (len(data) - cur.pos) // 2 * 2
    shorts.frombytes(data[cur.pos : cur.pos + usable])
    if (byte_order == "<") != (sys.byteorder == "little"):
        shorts.byteswap()
    decls: list[tuple[int, int, int]] = []
    at = 0
    n_types = len(types)
    for index in range(n_structs):
        if at + 2 > len(shorts):
            raise TruncatedBlendFileError(path, "SDNA ends inside the struct table", file_offset + cur.pos + 2 * at)
        type_index, n_fields = shorts[at], shorts[at + 1]
        if not 0 <= type_index < n_types or n_fields < 0:
            raise CorruptBlendFileError(
                path,
                f"SDNA: struct #{index} refers to type #{type_index} of {n_types}",
                file_offset + cur.pos + 2 * at,
            )
        end = at + 2 + 2 * n_fields
        if end > len(shorts):
            raise TruncatedBlendFileError(path, "SDNA ends inside the struct table", file_offset + cur.pos + 2 * at)
        decls.append((type_index, at + 2, end))
        at = end
    return _Parsed(names, types, tuple(type_sizes), decls, shorts)


def _layout_fields(
    path: Path,
    file_offset: int,
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
            raise CorruptBlendFileError(
                path,
                f"SDNA: struct #{struct_index} has a field with an out-of-range type or name",
                file_offset,
            )
        declaration = names[name_index]
        match = _NAME.match(declaration)
        if match is None:
            raise CorruptBlendFileError(
                path,
                f"SDNA: struct #{struct_index} has an unreadable field name {declaration!r}",
                file_offset,
            )
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
