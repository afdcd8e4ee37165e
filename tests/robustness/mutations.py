# SPDX-License-Identifier: GPL-3.0-or-later
"""Structure-aware mutations of real .blend files, as plain values that can be kept as regressions.

A blind byte flip almost always lands in mesh data and changes nothing the reader looks at,
so the strategies here aim at the bytes the reader trusts: the file header, block-header
fields (size, count, SDNA index, old address), the SDNA counts, tables and names, pointers
between blocks, the compressed container (zstd frames and seek table, gzip), plus
truncation and splicing. A ``Mutation`` is a short list of byte patches, so a failing input
found by hypothesis can be written down in a test as a literal.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from pathlib import Path

import zstandard
from hypothesis import strategies as st

from bat_core.blendfile import BlendFile, open_blend

# Values that break assumptions: zero, signs, type limits, off-by-one around real values.
INTERESTING_32 = (0, 1, -1, 2, 4, 7, 255, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, -0x80000000)
INTERESTING_64 = (*INTERESTING_32, 1 << 32, (1 << 62), (1 << 63) - 1, -(1 << 63))
INTERESTING_16 = (0, 1, -1, 2, 0x7FFF, -0x8000, 100, 999)
DECL_BYTES = b"\0*()[]0123456789_xyz "


@dataclass(frozen=True)
class Mutation:
    """Byte patches applied in order: overwrite at an offset, insert, and finally cut the tail."""

    label: str
    overwrite: tuple[tuple[int, bytes], ...] = ()
    insert: tuple[tuple[int, bytes], ...] = ()
    delete: tuple[tuple[int, int], ...] = ()  # (offset, length)
    truncate_at: int | None = None

    def apply(self, data: bytes) -> bytes:
        out = bytearray(data)
        for offset, patch in self.overwrite:
            out[offset : offset + len(patch)] = patch[: max(0, len(out) - offset)]
        for offset, length in self.delete:
            del out[offset : offset + length]
        for offset, patch in self.insert:
            out[offset:offset] = patch
        if self.truncate_at is not None:
            del out[self.truncate_at :]
        return bytes(out)


@dataclass(frozen=True)
class BlockSpan:
    header_offset: int
    data_offset: int
    size: int
    sdna_index: int
    old_address: int


@dataclass(frozen=True)
class Layout:
    """Where the bytes the reader trusts lie in one valid, uncompressed .blend."""

    size: int
    header_size: int
    order: str  # struct byte order prefix
    large: bool  # Blender 5.0 block headers (64-bit length and count)
    pointer_size: int
    blocks: tuple[BlockSpan, ...]
    sdna_counts: tuple[int, ...]  # offsets of the 32-bit name, type and struct counts
    sdna_strings: tuple[int, int]  # byte range of the NAME and TYPE string tables
    sdna_shorts: tuple[int, int]  # byte range of the TLEN and STRC tables (16-bit entries)
    pointers: tuple[int, ...]  # offsets of non-NULL pointers in struct blocks
    listbase_nexts: tuple[tuple[int, int], ...]  # (offset of an element's next pointer, the element's address)
    data: bytes = field(repr=False)  # the file's (decompressed) content

    def __repr__(self) -> str:
        return f"<Layout of {self.size} bytes, {len(self.blocks)} blocks>"

    def block_field(self, block: BlockSpan, name: str) -> tuple[int, str]:
        """Absolute offset and struct code of one block-header field."""
        if self.large:
            fields = {"code": (0, "4s"), "sdna": (4, "i"), "old": (8, "Q"), "len": (16, "q"), "count": (24, "q")}
        elif self.pointer_size == 8:
            fields = {"code": (0, "4s"), "len": (4, "i"), "old": (8, "Q"), "sdna": (16, "i"), "count": (20, "i")}
        else:
            fields = {"code": (0, "4s"), "len": (4, "i"), "old": (8, "I"), "sdna": (12, "i"), "count": (16, "i")}
        rel, code = fields[name]
        return block.header_offset + rel, code

    def pack(self, code: str, value: int) -> bytes:
        """`value` in this file's byte order, wrapped to the field's width."""
        bits = struct.calcsize(code) * 8
        value &= (1 << bits) - 1
        return value.to_bytes(bits // 8, "little" if self.order == "<" else "big")


def layout_of(path: Path) -> Layout:
    """Read a valid file once with our reader and note where everything lies."""
    with open_blend(path) as bf:
        blocks = tuple(
            BlockSpan(b.header_offset, b.data_offset, b.size, b.sdna_index, b.old_address) for b in bf.blocks
        )
        dna = next(bf.blocks_with_code(b"DNA1"))
        raw = bf.block_bytes(dna)
        order = bf.header.byte_order
        at_names = dna.data_offset + 8
        at_types = dna.data_offset + raw.index(b"TYPE")
        at_tlen = dna.data_offset + raw.index(b"TLEN")
        at_strc = dna.data_offset + raw.index(b"STRC")
        pointers, nexts = _pointer_offsets(bf)
        return Layout(
            size=bf.decompressed_size,
            header_size=bf.header.size,
            order=order,
            large=bf.header.format_version >= 1,
            pointer_size=bf.pointer_size,
            blocks=blocks,
            sdna_counts=(at_names, at_types + 4, at_strc + 4),
            sdna_strings=(at_names + 4, at_tlen),
            sdna_shorts=(at_tlen + 4, dna.data_offset + dna.size),
            pointers=pointers,
            listbase_nexts=nexts,
            data=bf.content(),
        )


def _pointer_offsets(bf: BlendFile) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    pointers: list[int] = []
    nexts: list[tuple[int, int]] = []
    fmt = bf.header.byte_order + ("Q" if bf.pointer_size == 8 else "I")
    for block in bf.blocks:
        if block.sdna_index == 0 or block.size == 0:
            continue
        s = bf.struct_of(block)
        if s.size == 0 or s.size > block.size:
            continue
        raw = bf.source.read(block.data_offset, s.size)
        for f in s.fields:
            if f.is_pointer and not f.dims:
                (value,) = struct.unpack_from(fmt, raw, f.offset)
                if value:
                    pointers.append(block.data_offset + f.offset)
                    if f.name == "next":
                        nexts.append((block.data_offset + f.offset, block.old_address))
    return tuple(pointers), tuple(nexts)


# -- strategies ---------------------------------------------------------------------------------


def _int_near(real: int) -> st.SearchStrategy[int]:
    return st.one_of(
        st.sampled_from(INTERESTING_64),
        st.integers(-16, 16).map(lambda d: real + d),
        st.integers(0, 1 << 20),
    )


def header_mutation(layout: Layout) -> st.SearchStrategy[Mutation]:
    return st.builds(
        lambda at, value: Mutation(f"header byte {at} = {value!r}", overwrite=((at, value),)),
        # The magic "BLENDER" itself is covered by the reader's own tests; aim at what follows.
        st.integers(7, layout.header_size - 1),
        st.one_of(
            st.sampled_from([b"_", b"-", b"v", b"V", b"0", b"1", b"9", b" ", b"\0"]), st.binary(min_size=1, max_size=1)
        ),
    )


@st.composite
def block_field_mutation(draw: st.DrawFn, layout: Layout) -> Mutation:
    block = draw(st.sampled_from(layout.blocks))
    name = draw(st.sampled_from(["code", "sdna", "old", "len", "count"]))
    at, code = layout.block_field(block, name)
    if name == "code":
        value = draw(st.sampled_from([b"ENDB", b"DNA1", b"ID\0\0", b"LI\0\0", b"DATA", b"OB\0\0", b"\0\0\0\0"]))
        return Mutation(f"block at {block.header_offset}: code = {value!r}", overwrite=((at, value),))
    if name == "old":
        others = st.sampled_from([b.old_address for b in layout.blocks])
        number = draw(st.one_of(others, _int_near(block.old_address)))
    elif name == "len":
        number = draw(st.one_of(_int_near(block.size), st.just(layout.size), st.just(layout.size - at)))
    elif name == "sdna":
        number = draw(st.one_of(_int_near(block.sdna_index), st.sampled_from([b.sdna_index for b in layout.blocks])))
    else:
        number = draw(_int_near(1))
    return Mutation(f"block at {block.header_offset}: {name} = {number}", overwrite=((at, layout.pack(code, number)),))


@st.composite
def sdna_mutation(draw: st.DrawFn, layout: Layout) -> Mutation:
    kind = draw(st.sampled_from(["count", "string", "short"]))
    if kind == "count":
        at = draw(st.sampled_from(layout.sdna_counts))
        (real,) = struct.unpack(layout.order + "i", layout.data[at : at + 4])
        number = draw(st.one_of(st.sampled_from(INTERESTING_32), st.integers(-8, 8).map(lambda d: real + d)))
        return Mutation(f"SDNA count at {at} = {number}", overwrite=((at, layout.pack("i", number)),))
    if kind == "string":
        at = draw(st.integers(*layout.sdna_strings).filter(lambda a: a < layout.sdna_strings[1]))
        value = draw(st.one_of(st.sampled_from([bytes([b]) for b in DECL_BYTES]), st.binary(min_size=1, max_size=3)))
        return Mutation(f"SDNA name/type byte at {at} = {value!r}", overwrite=((at, value),))
    first, end = layout.sdna_shorts
    at = draw(st.integers(first // 2, (end - 2) // 2)) * 2
    number = draw(st.one_of(st.sampled_from(INTERESTING_16), st.integers(-0x8000, 0x7FFF)))
    return Mutation(f"SDNA table entry at {at} = {number}", overwrite=((at, layout.pack("h", number)),))


@st.composite
def pointer_mutation(draw: st.DrawFn, layout: Layout) -> Mutation:
    at = draw(st.sampled_from(layout.pointers))
    addresses = [b.old_address for b in layout.blocks if b.old_address]
    own = next((b for b in layout.blocks if b.data_offset <= at < b.data_offset + b.size), layout.blocks[0])
    number = draw(
        st.one_of(
            st.sampled_from(addresses),  # a real block, usually of the wrong type
            st.just(own.old_address),  # the block itself: a one-step cycle
            st.sampled_from(addresses).map(lambda a: a + 8),  # into the middle of a block
            st.sampled_from(INTERESTING_64),
        )
    )
    code = "Q" if layout.pointer_size == 8 else "I"
    return Mutation(f"pointer at {at} = {number:#x}", overwrite=((at, layout.pack(code, number)),))


def flip_mutation(layout: Layout) -> st.SearchStrategy[Mutation]:
    return st.lists(
        st.tuples(st.integers(layout.header_size, layout.size - 1), st.integers(1, 255)), min_size=1, max_size=16
    ).map(lambda flips: Mutation(f"{len(flips)} byte flips", overwrite=tuple(_xor(layout, a, m) for a, m in flips)))


def _xor(layout: Layout, at: int, mask: int) -> tuple[int, bytes]:
    return at, bytes([layout.data[at] ^ mask])


@st.composite
def truncate_mutation(draw: st.DrawFn, layout: Layout) -> Mutation:
    boundary = st.sampled_from([b.header_offset for b in layout.blocks] + [b.data_offset for b in layout.blocks])
    near = st.tuples(boundary, st.integers(-4, 4)).map(lambda t: max(0, t[0] + t[1]))
    at = draw(st.one_of(near, st.integers(layout.header_size, layout.size - 1)))
    return Mutation(f"cut at {at}", truncate_at=at)


@st.composite
def splice_mutation(draw: st.DrawFn, layout: Layout) -> Mutation:
    """Copy bytes within the file, duplicate a whole block (same old address twice), or drop one."""
    kind = draw(st.sampled_from(["copy", "duplicate", "drop"]))
    blocks = [b for b in layout.blocks if b.size < 1 << 16]
    block = draw(st.sampled_from(blocks))
    whole = layout.data[block.header_offset : block.data_offset + block.size]
    if kind == "copy":
        src = draw(st.integers(0, layout.size - 1))
        dst = draw(st.integers(layout.header_size, layout.size - 1))
        n = draw(st.integers(1, 512))
        return Mutation(f"copy {n} bytes {src}->{dst}", overwrite=((dst, layout.data[src : src + n]),))
    target = draw(st.sampled_from(layout.blocks)).header_offset
    if kind == "duplicate":
        return Mutation(f"block at {block.header_offset} repeated at {target}", insert=((target, whole),))
    return Mutation(f"block at {block.header_offset} dropped", delete=((block.header_offset, len(whole)),))


def any_mutation(layout: Layout) -> st.SearchStrategy[Mutation]:
    return st.one_of(
        header_mutation(layout),
        block_field_mutation(layout),
        sdna_mutation(layout),
        pointer_mutation(layout),
        flip_mutation(layout),
        truncate_mutation(layout),
        splice_mutation(layout),
    )


def stacked(layout: Layout) -> st.SearchStrategy[Mutation]:
    """One to three mutations applied together (their patches concatenated)."""
    return st.lists(any_mutation(layout), min_size=1, max_size=3).map(_combine)


def _combine(parts: list[Mutation]) -> Mutation:
    cut = [p.truncate_at for p in parts if p.truncate_at is not None]
    structural = [p for p in parts if p.insert or p.delete][:1]  # offsets shift after one insert/delete
    return Mutation(
        " + ".join(p.label for p in parts),
        overwrite=tuple(o for p in parts for o in p.overwrite),
        insert=tuple(i for p in structural for i in p.insert),
        delete=tuple(d for p in structural for d in p.delete),
        truncate_at=min(cut) if cut else None,
    )


# -- compressed containers ----------------------------------------------------------------------

SEEKABLE_FOOTER_MAGIC = 0x8F92EAB1
SKIPPABLE_SEEK_TABLE_MAGIC = 0x184D2A5E


def seekable_zstd(data: bytes, frame_size: int = 64 << 10) -> bytes:
    """Blender's zstd layout: independent frames, then a skippable frame holding the seek table."""
    cctx = zstandard.ZstdCompressor(level=1)
    frames: list[bytes] = []
    entries: list[bytes] = []
    for start in range(0, len(data), frame_size):
        piece = data[start : start + frame_size]
        frame = cctx.compress(piece)
        frames.append(frame)
        entries.append(struct.pack("<II", len(frame), len(piece)))
    table = b"".join(entries) + struct.pack("<IBI", len(entries), 0, SEEKABLE_FOOTER_MAGIC)
    return b"".join(frames) + struct.pack("<II", SKIPPABLE_SEEK_TABLE_MAGIC, len(table)) + table


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


@st.composite
def container_mutation(draw: st.DrawFn, compressed: bytes) -> Mutation:
    """Damage a compressed file itself: flip bytes in the stream, the seek table or gzip header; cut it."""
    size = len(compressed)
    kind = draw(st.sampled_from(["flip", "tail", "head", "cut"]))
    if kind == "cut":
        at = draw(st.one_of(st.integers(0, size - 1), st.integers(max(0, size - 64), size - 1)))
        return Mutation(f"compressed cut at {at}", truncate_at=at)
    if kind == "tail":  # seek table and footer live in the last bytes
        lo = max(0, size - 64)
    elif kind == "head":
        lo = 0
        size = min(size, 32)
    else:
        lo = 0
    flips = draw(st.lists(st.tuples(st.integers(lo, size - 1), st.integers(0, 255)), min_size=1, max_size=4))
    return Mutation(f"compressed {kind}: {flips}", overwrite=tuple((a, bytes([v])) for a, v in flips))
