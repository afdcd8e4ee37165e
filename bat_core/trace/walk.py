# SPDX-License-Identifier: GPL-3.0-or-later
"""Find the datablocks a file really uses, by following pointers the way Blender's reader does.

Starting from root ID blocks, every pointer in every reachable struct is followed: to data
blocks (modifiers, nodes, strips, caches...) and to other ID blocks, which then count as used
too. Pointers to ``ID`` placeholder blocks are links into libraries; they are collected so the
tracer can continue inside those libraries with exactly the datablocks needed.

Some pointers must not be followed: the ``next``/``prev`` links between IDs (they chain *all*
datablocks of a type), runtime back-pointers, and the library pointer itself.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from ..blendfile import BlendFile, Struct
from ..blendfile.source import MemorySource

# (struct, field) pairs never followed. ID.next/prev chain every datablock of a type; the rest
# are back-pointers or runtime data that Blender's reader ignores.
SKIPPED_POINTERS: frozenset[tuple[str, str]] = frozenset(
    {
        ("ID", "next"),
        ("ID", "prev"),
        ("ID", "newid"),
        ("ID", "lib"),
        ("ID", "orig_id"),
        ("ID", "py_instance"),
        ("ID", "library_weak_reference"),
        ("ImageUser", "scene"),
        ("bNodeTree", "owner_id"),
        ("Collection", "owner_id"),
        ("Object", "proxy_from"),
        ("Library", "archive_parent_library"),
        ("FluidDomainSettings", "fmd"),
        ("FluidFlowSettings", "fmd"),
        ("FluidEffectorSettings", "fmd"),
        ("DynamicPaintSurface", "canvas"),
        ("DynamicPaintCanvasSettings", "pmd"),
        ("DynamicPaintBrushSettings", "pmd"),
        ("Sequence", "scene_sound"),
        ("Strip", "scene_sound"),
    }
)
SKIPPED_LISTBASES: frozenset[tuple[str, str]] = frozenset({("Collection", "parents")})
RAW_DATA_STRUCT = 0  # blocks of plain arrays (and, in old files, anything written raw)
READ_AHEAD = 16 << 10  # bytes read at once when walking a file that is not held in memory


@dataclass(frozen=True)
class PointerSlot:
    offset: int  # within the struct
    depth: int  # 1: points at a struct; 2: points at an array of pointers


def _pointer_slots(file: BlendFile, s: Struct, cache: dict[int, tuple[PointerSlot, ...]]) -> tuple[PointerSlot, ...]:
    """Offsets of every pointer in a struct, nested (embedded) structs and arrays included."""
    hit = cache.get(s.index)
    if hit is not None:
        return hit
    cache[s.index] = ()  # guards against malformed self-embedding structs
    slots: list[PointerSlot] = []
    for f in s.fields:
        if f.is_function_pointer or (s.name, f.name) in SKIPPED_POINTERS or f.name.startswith("_pad"):
            continue
        if f.name == "runtime":
            continue
        if f.pointer_depth:
            per = file.pointer_size
            for i in range(f.count):
                slots.append(PointerSlot(f.offset + i * per, min(f.pointer_depth, 2)))
            continue
        nested = file.sdna.struct(f.type_name)
        if nested is None or nested.size == 0:
            continue
        if (s.name, f.name) in SKIPPED_LISTBASES:
            continue
        inner = _pointer_slots(file, nested, cache)
        for i in range(f.count):
            base = f.offset + i * nested.size
            slots.extend(PointerSlot(base + p.offset, p.depth) for p in inner)
    result = tuple(slots)
    cache[s.index] = result
    return result


class Walker:
    """Walks one file. Reuse it for several roots: blocks are visited once per file.

    Works on block indices and the block table's arrays, never building an object per block:
    a production library holds hundreds of thousands of blocks and nearly all are plain data.
    """

    def __init__(self, file: BlendFile, wanted_structs: frozenset[str]) -> None:
        self.file = file
        self.visited: set[int] = set()
        self.placeholders: list[int] = []  # indices of ID blocks linked from libraries, reached
        self._slots: dict[int, tuple[PointerSlot, ...]] = {}
        self._layouts: dict[int, tuple[struct.Struct | None, tuple[int, ...]]] = {}
        self._wanted_names = wanted_structs
        self._wanted: dict[int, bool] = {}
        self._plans: dict[int, tuple[bool, struct.Struct | None, tuple[int, ...], int] | None] = {}
        order = file.header.byte_order
        self._pointer = struct.Struct(order + ("Q" if file.pointer_size == 8 else "I"))
        self._pointer_char = "Q" if file.pointer_size == 8 else "I"
        self._order = order
        (self._placeholder_code,) = struct.unpack(order + "I", b"ID\0\0")
        (self._library_code,) = struct.unpack(order + "I", b"LI\0\0")
        table = file.blocks
        self._id_codes = {
            c for c in set(table.codes) if (raw := struct.pack(order + "I", c))[2:] == b"\0\0" and raw[:2] != b"\0\0"
        }

    def _is_wanted(self, sdna_index: int) -> bool:
        hit = self._wanted.get(sdna_index)
        if hit is None:
            hit = self.file.sdna.struct_at(sdna_index).name in self._wanted_names
            self._wanted[sdna_index] = hit
        return hit

    def _pointers_in(self, index: int) -> list[int]:
        """The non-NULL pointers stored in a raw block that is an array of pointers (e.g. Material **mat)."""
        table = self.file.blocks
        size = table.sizes[index]
        psize = self.file.pointer_size
        raw = self.file.source.read(table.offsets[index] + table.header_size, size // psize * psize)
        return [a for a in struct.unpack(f"{self._order}{len(raw) // psize}{self._pointer_char}", raw) if a]

    def _layout(self, sdna_index: int) -> tuple[struct.Struct | None, tuple[int, ...]]:
        """One compiled format reading every direct pointer of a struct at once, plus where the
        pointer-array pointers (``**x``) are. Unpacking per field was the tracer's hottest loop."""
        hit = self._layouts.get(sdna_index)
        if hit is not None:
            return hit
        s = self.file.sdna.struct_at(sdna_index)
        slots = _pointer_slots(self.file, s, self._slots)
        direct = sorted({slot.offset for slot in slots if slot.depth == 1})
        arrays = tuple(sorted({slot.offset for slot in slots if slot.depth == 2}))
        compiled: struct.Struct | None = None
        psize = self.file.pointer_size
        if direct and s.size:
            parts = [self._order]
            at = 0
            for offset in direct:
                if offset < at or offset + psize > s.size:
                    continue  # overlapping or out-of-struct slots cannot occur in valid DNA; skip them
                if offset > at:
                    parts.append(f"{offset - at}x")
                parts.append(self._pointer_char)
                at = offset + psize
            if at < s.size:
                parts.append(f"{s.size - at}x")
            compiled = struct.Struct("".join(parts))
        result = (compiled, arrays)
        self._layouts[sdna_index] = result
        return result

    def _plan(self, sdna_index: int) -> tuple[bool, struct.Struct | None, tuple[int, ...], int] | None:
        """(wanted, pointer format, pointer-array offsets, struct size) for a struct, or None to skip it."""
        try:
            return self._plans[sdna_index]
        except KeyError:
            pass
        plan: tuple[bool, struct.Struct | None, tuple[int, ...], int] | None = None
        if sdna_index != RAW_DATA_STRUCT and 0 <= sdna_index < len(self.file.sdna):
            compiled, arrays = self._layout(sdna_index)
            size = self.file.sdna.struct_at(sdna_index).size
            wanted = self._is_wanted(sdna_index)
            if size and (wanted or compiled is not None or arrays):
                plan = (wanted, compiled, arrays, size)
        self._plans[sdna_index] = plan
        return plan

    def scan_all(self) -> Iterator[tuple[int, int]]:
        """Every block of a wanted struct in the whole file, with its owning ID, without walking.

        When every datablock of a file counts (the main file, or --all-library-data), no pointer
        needs following: Blender writes each ID's data blocks right after the ID block, so the
        owner of a data block is the nearest ID block before it. All links into libraries count.
        """
        table = self.file.blocks
        codes, sdnas = table.codes, table.sdna_indices
        id_codes = self._id_codes
        plans = self._plans
        owner = -1
        for index in range(len(table)):
            code = codes[index]
            if code in id_codes:
                if code == self._placeholder_code:
                    self.placeholders.append(index)
                    continue
                if code == self._library_code:
                    continue
                owner = index
            self.visited.add(index)
            sdna_index = sdnas[index]
            plan = plans[sdna_index] if sdna_index in plans else self._plan(sdna_index)
            if plan is not None and plan[0] and owner >= 0:
                yield index, owner

    def walk(self, roots: list[int]) -> Iterator[tuple[int, int]]:
        """Yield (block index, owning ID block index) for every reachable block of a wanted struct."""
        file = self.file
        table = file.blocks
        codes, sdnas, sizes, offsets = table.codes, table.sdna_indices, table.sizes, table.offsets
        header_size = table.header_size
        source = file.source
        whole = memoryview(source.read(0, source.size)) if isinstance(source, MemorySource) else None
        read = source.read
        find = table.address_map().get
        unpack = self._pointer.unpack_from
        visited = self.visited
        id_codes = self._id_codes
        plans = self._plans
        placeholder_code, library_code = self._placeholder_code, self._library_code
        stack: list[tuple[int, int]] = [(r, r) for r in reversed(roots)]
        ahead_start, ahead_end, ahead = 0, 0, memoryview(b"")
        while stack:
            index, owner = stack.pop()
            if index in visited:
                continue
            visited.add(index)
            code = codes[index]
            if code == placeholder_code:
                self.placeholders.append(index)
                continue
            if code == library_code:
                continue
            sdna_index = sdnas[index]
            plan = plans[sdna_index] if sdna_index in plans else self._plan(sdna_index)
            if plan is None:
                continue
            wanted, compiled, arrays, struct_size = plan
            if wanted:
                yield index, owner
            if compiled is None and not arrays:
                continue
            size = sizes[index]
            usable = size - size % struct_size
            if not usable:
                continue
            start = offsets[index] + header_size
            if whole is not None:
                data = whole[start : start + usable]
            else:
                # Neighbouring blocks (a node's sockets) are mostly walked one after another:
                # one read ahead serves many of them instead of a system call each.
                if not (ahead_start <= start and start + usable <= ahead_end):
                    ahead_start = start
                    ahead = memoryview(read(start, max(usable, READ_AHEAD)))
                    ahead_end = start + len(ahead)
                data = ahead[start - ahead_start : start - ahead_start + usable]
            if len(data) != usable:
                continue
            targets: list[int] = []
            if compiled is not None:
                for values in compiled.iter_unpack(data):
                    targets.extend(filter(None, values))
            for base in range(0, usable, struct_size) if arrays else ():
                for offset in arrays:
                    (address,) = unpack(data, base + offset)
                    array_index = find(address) if address else None
                    if array_index is not None:
                        targets.extend(self._pointers_in(array_index))
            for address in reversed(targets):
                target = find(address)
                if target is None or target in visited:
                    continue
                if codes[target] in id_codes:
                    stack.append((target, target))
                    continue
                target_sdna = sdnas[target]
                target_plan = plans[target_sdna] if target_sdna in plans else self._plan(target_sdna)
                if target_plan is None:
                    visited.add(target)  # plain data (a float socket value, a vertex array): nothing to find
                else:
                    stack.append((target, owner))
