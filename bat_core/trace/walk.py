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

from ..blendfile import BlendFile, BlockHeader, Struct

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


@dataclass
class Visit:
    """One block reached during a walk, and the ID block whose data it is."""

    block: BlockHeader
    owner: BlockHeader  # the ID block (itself for ID blocks)


class Walker:
    """Walks one file. Reuse it for several roots: blocks are visited once per file."""

    def __init__(self, file: BlendFile) -> None:
        self.file = file
        self.visited: set[int] = set()  # block header offsets
        self.placeholders: list[BlockHeader] = []  # ID blocks linked from libraries, reached
        self._slots: dict[int, tuple[PointerSlot, ...]] = {}
        self._pointer = struct.Struct(file.header.byte_order + ("Q" if file.pointer_size == 8 else "I"))

    def walk(self, roots: list[BlockHeader]) -> Iterator[Visit]:
        """Yield every block reachable from `roots` not yet visited, with its owning ID."""
        stack: list[tuple[BlockHeader, BlockHeader]] = [(r, r) for r in reversed(roots)]
        file = self.file
        unpack = self._pointer.unpack_from
        while stack:
            block, owner = stack.pop()
            if block.header_offset in self.visited:
                continue
            self.visited.add(block.header_offset)
            if block.code == b"ID\0\0":
                self.placeholders.append(block)
                continue
            if block.code == b"LI\0\0":
                continue
            yield Visit(block, owner)
            if block.sdna_index == RAW_DATA_STRUCT:
                continue
            s = file.struct_of(block)
            slots = _pointer_slots(file, s, self._slots)
            if not slots or s.size == 0:
                continue
            count = min(block.count, block.size // s.size)
            data = file.block_bytes(block)
            targets: list[int] = []
            for i in range(count):
                base = i * s.size
                for slot in slots:
                    (address,) = unpack(data, base + slot.offset)
                    if not address:
                        continue
                    if slot.depth == 1:
                        targets.append(address)
                    else:
                        # e.g. Material **mat: a raw block holding an array of pointers
                        targets.extend(a for a in file.pointer_array(address) if a)
            for address in reversed(targets):
                target = file.block_at(address)
                if target is None or target.header_offset in self.visited:
                    continue
                stack.append((target, target if target.is_id else owner))
