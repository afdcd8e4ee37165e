# SPDX-License-Identifier: GPL-3.0-or-later
"""Find the datablocks a file really uses, by following pointers the way Blender's reader does.

Starting from root ID blocks, each used datablock is swept as the contiguous run of blocks
Blender writes after its ID block; the pointers in that run that can hold a datablock's address
lead to other ID blocks, which then count as used too. Pointers to ``ID`` placeholder blocks are
links into libraries; they are collected so the tracer can continue inside those libraries with
exactly the datablocks needed.

Some pointers must not be followed: the ``next``/``prev`` links between IDs (they chain *all*
datablocks of a type), runtime back-pointers, and the library pointer itself.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import compress

from ..blendfile import BlendFile, Struct
from ..blendfile.blocks import is_id_code
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
# Untyped (void) pointers that always hold data, never a datablock: not worth reading.
DATA_ONLY_POINTERS: frozenset[tuple[str, str]] = frozenset(
    {
        ("bNodeSocket", "default_value"),
        ("bNodeSocket", "storage"),
        ("bNode", "storage"),
        ("bNodeStack", "data"),
        ("AttributeArray", "data"),
        ("Attribute", "data"),
        ("CustomDataLayer", "data"),
    }
)
RAW_DATA_STRUCT = 0  # blocks of plain arrays (and, in old files, anything written raw)
RUN_READ_LIMIT = 1 << 20  # a datablock's blocks are read at once up to this many bytes

# Structs whose pointers say nothing about what is used: a collection's parents point back up.
SKIPPED_STRUCTS: frozenset[str] = frozenset({"CollectionParent"})


@dataclass(frozen=True)
class PointerSlot:
    offset: int  # within the struct
    depth: int  # 1: points at a struct; 2: points at an array of pointers


def _is_id_struct(file: BlendFile, type_name: str) -> bool:
    """Whether a struct is a datablock: its first field is the embedded ``ID id``."""
    s = file.sdna.struct(type_name)
    return s is not None and bool(s.fields) and s.fields[0].type_name == "ID" and not s.fields[0].pointer_depth


def _id_pointer_slots(
    file: BlendFile, s: Struct, cache: dict[int, tuple[PointerSlot, ...]], id_types: dict[str, bool]
) -> tuple[PointerSlot, ...]:
    """Offsets of every pointer in a struct (nested structs and arrays included) that can hold
    the address of a datablock: typed as an ID struct, as ``ID``, or untyped (``void``).

    The walk sweeps all of a datablock's data blocks anyway, so pointers typed as data
    (``bNodeSocket *next``) never need reading: only the ones that may lead to another ID.
    """
    hit = cache.get(s.index)
    if hit is not None:
        return hit
    cache[s.index] = ()  # guards against malformed self-embedding structs
    slots: list[PointerSlot] = []
    for f in s.fields:
        if f.is_function_pointer or f.name.startswith("_pad") or f.name == "runtime":
            continue
        if (s.name, f.name) in SKIPPED_POINTERS or (s.name, f.name) in DATA_ONLY_POINTERS:
            continue
        if f.pointer_depth:
            may_be_id = id_types.get(f.type_name)
            if may_be_id is None:
                may_be_id = f.type_name in ("ID", "void") or _is_id_struct(file, f.type_name)
                id_types[f.type_name] = may_be_id
            if may_be_id:
                per = file.pointer_size
                slots.extend(PointerSlot(f.offset + i * per, min(f.pointer_depth, 2)) for i in range(f.count))
            continue
        if f.type_name == "ListBase":
            continue  # lists in DNA link data structs, never datablocks
        nested = file.sdna.struct(f.type_name)
        if nested is None or nested.size == 0:
            continue
        inner = _id_pointer_slots(file, nested, cache, id_types)
        for i in range(f.count):
            base = f.offset + i * nested.size
            slots.extend(PointerSlot(base + p.offset, p.depth) for p in inner)
    result = tuple(slots)
    cache[s.index] = result
    return result


Plan = tuple[bool, struct.Struct | None, tuple[int, ...], int]  # wanted, pointer format, ** offsets, size


@dataclass
class _Plans:
    slots: dict[int, tuple[PointerSlot, ...]] = field(default_factory=dict)
    layouts: dict[int, tuple[struct.Struct | None, tuple[int, ...]]] = field(default_factory=dict)
    wanted: dict[int, bool] = field(default_factory=dict)
    plans: dict[int, Plan | None] = field(default_factory=dict)
    id_types: dict[str, bool] = field(default_factory=dict)


class Walker:
    """Walks one file. Reuse it for several roots: blocks are visited once per file.

    Works on block indices and the block table's arrays, never building an object per block:
    a production library holds hundreds of thousands of blocks and nearly all are plain data.
    """

    def __init__(self, file: BlendFile, wanted_structs: frozenset[str]) -> None:
        self.file = file
        self.visited: set[int] = set()
        self.placeholders: list[int] = []  # indices of ID blocks linked from libraries, reached
        self._wanted_names = wanted_structs
        # What the plans derive from (layouts, pointer size, byte order) is the catalogue's, so
        # files with an identical catalogue share them.
        shared = file.sdna.derived.get(("walker plans", wanted_structs))
        if not isinstance(shared, _Plans):
            shared = _Plans()
            file.sdna.derived[("walker plans", wanted_structs)] = shared
        self._slots = shared.slots
        self._layouts = shared.layouts
        self._wanted = shared.wanted
        self._plans = shared.plans
        self._id_types = shared.id_types
        self._has_plan_of: Callable[[int], int] | None = None
        self._id_map: tuple[dict[int, int], list[int]] | None = None
        order = file.header.byte_order
        self._pointer = struct.Struct(order + ("Q" if file.pointer_size == 8 else "I"))
        self._pointer_char = "Q" if file.pointer_size == 8 else "I"
        self._order = order
        (self._placeholder_code,) = struct.unpack(order + "I", b"ID\0\0")
        (self._library_code,) = struct.unpack(order + "I", b"LI\0\0")
        table = file.blocks
        self._id_codes = {c for c in set(table.codes) if is_id_code(table.code_of_int(c))}

    def _is_wanted(self, sdna_index: int) -> bool:
        hit = self._wanted.get(sdna_index)
        if hit is None:
            hit = self.file.sdna.name_at(sdna_index) in self._wanted_names
            self._wanted[sdna_index] = hit
        return hit

    def _plannable(self, sdna_index: int) -> bool:
        """Whether blocks of this struct can have a plan at all, from its name alone."""
        name = self.file.sdna.name_at(sdna_index)
        return sdna_index != RAW_DATA_STRUCT and name is not None and name not in SKIPPED_STRUCTS

    def _yields_in_scan(self, sdna_index: int) -> bool:
        """Whether scan_all reports blocks of this struct: exactly those a plan marks wanted,
        decided without laying the struct out. Laying out every struct a main file holds
        (screens, areas, regions ...) cost 10 ms before its first reference was found."""
        return self._plannable(sdna_index) and self._is_wanted(sdna_index) and self.file.sdna.size_at(sdna_index) > 0

    def _pointers_in(self, address: int, first: int, end: int, run: memoryview | None, base: int) -> list[int]:
        """The non-NULL pointers stored in the raw block at ``address`` (an array of pointers such
        as ``Material **mat``), looked up among blocks first..end-1 (where the owner wrote it) first;
        ``run`` holds those blocks' bytes from file offset ``base`` when it is not None."""
        table = self.file.blocks
        try:
            index = table.olds.index(address, first, end)
        except ValueError:
            run = None
            found = table.address_map().get(address)
            if found is None:
                return []
            index = found
        psize = self.file.pointer_size
        usable = table.sizes[index] // psize * psize
        start = table.offsets[index] + table.header_size
        raw = run[start - base : start - base + usable] if run is not None else self.file.source.read(start, usable)
        return [a for a in struct.unpack(f"{self._order}{len(raw) // psize}{self._pointer_char}", raw) if a]

    def _layout(self, sdna_index: int) -> tuple[struct.Struct | None, tuple[int, ...]]:
        """One compiled format reading every direct pointer of a struct at once, plus where the
        pointer-array pointers (``**x``) are. Unpacking per field was the tracer's hottest loop."""
        hit = self._layouts.get(sdna_index)
        if hit is not None:
            return hit
        s = self.file.sdna.struct_at(sdna_index)
        slots = _id_pointer_slots(self.file, s, self._slots, self._id_types)
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

    def _plan(self, sdna_index: int) -> Plan | None:
        """(wanted, pointer format, pointer-array offsets, struct size) for a struct, or None to skip it."""
        try:
            return self._plans[sdna_index]
        except KeyError:
            pass
        plan: Plan | None = None
        if self._plannable(sdna_index):
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
        yields: dict[int, bool] = {}
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
            hit = yields.get(sdna_index)
            if hit is None:
                hit = yields[sdna_index] = self._yields_in_scan(sdna_index)
            if hit and owner >= 0:
                yield index, owner

    def walk(self, roots: list[int]) -> Iterator[tuple[int, int]]:
        """Yield (block index, owning ID block index) for every block of a wanted struct in the
        datablocks reachable from ``roots`` (ID block indices).

        Blender writes each ID's data blocks right after the ID block and before the next one,
        so a datablock is swept as one contiguous run of blocks: every pointer stored in the run
        is read at once, and only those landing on another ID block are followed. Pointers
        between data blocks never need chasing one by one, which made the old block-by-block
        walk the tracer's hot loop.
        """
        file = self.file
        table = file.blocks
        codes, sdnas, sizes, offsets = table.codes, table.sdna_indices, table.sizes, table.offsets
        header_size = table.header_size
        source = file.source
        whole = memoryview(source.read(0, source.size)) if isinstance(source, MemorySource) else None
        read = source.read
        id_at, id_starts = self._id_blocks()
        unpack = self._pointer.unpack_from
        visited = self.visited
        plans = self._plans
        placeholder_code, library_code = self._placeholder_code, self._library_code
        queue = list(reversed(roots))
        has_plan = self._has_plan()
        while queue:
            root = queue.pop()
            if root in visited:
                continue
            visited.add(root)
            code = codes[root]
            if code == placeholder_code:
                self.placeholders.append(root)
                continue
            if code == library_code:
                continue
            end = id_starts[bisect_right(id_starts, root)] if root < id_starts[-1] else len(table)
            addresses: set[int] = set()
            run_start = offsets[root]
            run_size = offsets[end - 1] + header_size + max(sizes[end - 1], 0) - run_start
            if whole is not None:
                run, base = whole, 0
            elif run_size <= RUN_READ_LIMIT:
                # One read for the whole run: its blocks are adjacent in the file.
                run, base = memoryview(read(run_start, run_size)), run_start
            else:
                run, base = None, 0  # big raw arrays (a dense mesh): read only the structs
            # has_plan made a plan for every struct in the file: only blocks that have one pass.
            for index in compress(range(root, end), map(has_plan, sdnas[root:end])):
                plan = plans[sdnas[index]]
                assert plan is not None
                wanted, compiled, arrays, struct_size = plan
                if wanted:
                    yield index, root
                size = sizes[index]
                usable = size - size % struct_size
                if not usable:
                    continue
                start = offsets[index] + header_size - base
                data = run[start : start + usable] if run is not None else memoryview(read(start, usable))
                if len(data) != usable:
                    continue
                if compiled is not None:
                    for values in compiled.iter_unpack(data):
                        addresses.update(values)
                for at in range(0, usable, struct_size) if arrays else ():
                    for offset in arrays:
                        (address,) = unpack(data, at + offset)
                        if address:
                            addresses.update(self._pointers_in(address, root, end, run, base))
            addresses.discard(0)
            for address in addresses & id_at.keys():
                target = id_at[address]
                if target not in visited:
                    queue.append(target)

    def _has_plan(self) -> Callable[[int], int]:
        """Struct number -> 1 when blocks of that struct have a plan (wanted, or holding pointers
        that may lead to a datablock), else 0. Sweeps skip the rest, mostly raw arrays, at C speed."""
        if self._has_plan_of is None:
            present = set(self.file.blocks.sdna_indices)
            count = len(self.file.sdna)
            if all(0 <= s < count for s in present):
                # Indexing bytes by the struct number is the cheapest per-block lookup there is.
                table = bytes(int(s in present and self._plan(s) is not None) for s in range(count))
                self._has_plan_of = table.__getitem__
            else:  # struct numbers out of range (a damaged file): those blocks have no plan
                self._has_plan_of = {s: int(self._plan(s) is not None) for s in present}.__getitem__
        return self._has_plan_of

    def _id_blocks(self) -> tuple[dict[int, int], list[int]]:
        """Old address -> index of every ID block (placeholders and libraries included), and the
        sorted indices where datablocks start (the end of the previous one's run)."""
        if self._id_map is None:
            table = self.file.blocks
            olds = table.olds
            ids = table.id_indices()
            # DNA1 and ENDB, written after the last datablock, end its run.
            ends = table.indices_with_code(b"DNA1") + table.indices_with_code(b"ENDB")
            self._id_map = ({olds[i]: i for i in ids if olds[i]}, sorted({*ids, *ends}) or [len(table)])
        return self._id_map
