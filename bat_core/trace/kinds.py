# SPDX-License-Identifier: GPL-3.0-or-later
"""Which DNA struct fields hold file paths: the tracer's knowledge of Blender, as one table.

Each row names a struct as stored in files (DNA keeps *original* names: ``Image.name`` is what
Python calls ``filepath``, ``Sequence``/``Strip`` are 5.0's ``Strip``/``StripData``), the
field(s) holding the path (current name first, older names after), the kind of dependency,
and how the path expands to files. Rows whose meaning depends on flags carry a small
extractor. Adding a kind is one row (plus a test with a file Blender wrote).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..blendfile import StructView
from ..errors import FieldError
from .model import Expansion, FieldLocation

# Values from Blender's DNA headers, mirrored here because files store numbers.
IMA_SRC_FILE, IMA_SRC_SEQUENCE, IMA_SRC_MOVIE, IMA_SRC_TILED = 1, 2, 3, 6
MCLIP_SRC_SEQUENCE = 1
TXT_ISMEM = 1 << 2
SCRIPT_MODE_EXTERNAL = 1  # NodeShaderScript.mode
IES_MODE_EXTERNAL = 1  # NodeShaderTexIES.mode
CAMERA_CUSTOM_EXTERNAL = 1  # Camera.custom_mode (OSL camera shader from a file, Blender 5.0+)
PROP_FILEPATH = 1  # RNA subtype of string sockets and properties holding a file path
PTCACHE_DISK_CACHE = 1 << 6
PTCACHE_EXTERNAL = 1 << 9
IDP_STRING = 0
NODES_MODIFIER_BAKE_CUSTOM_PATH = 1 << 1
MOD_OCEAN_CACHE_PATTERN = r"^(disp|normal|foam|spray|spray_inverse)_\d{4}\.exr$"
BUILTIN_FONT = b"<builtin>"


@dataclass(frozen=True)
class Found:
    """One path occurrence inside one struct."""

    field: str
    stored: bytes
    expansion: Expansion
    location: FieldLocation | None
    packed: bool = False
    tiles: tuple[int, ...] = ()
    names: tuple[bytes, ...] = ()  # FILE_LIST: file names stored next to a folder
    cache_prefix: str = ""  # POINT_CACHE
    cache_index: int = -1
    pattern: str = ""  # PATTERN: regular expression file names must match
    computed: bool = False  # the folder is Blender's default, derived from the .blend's name
    anchor_only: bool = False  # a stored folder whose files are reported by other entries (bake root)


@dataclass(frozen=True)
class Context:
    """What an extractor may know besides the struct: whose data it is and which file."""

    owner_name: str  # ID name without its two-letter code
    blend_stem: str  # the .blend's file name without extension


Extractor = Callable[[StructView, "PathRule", Context], list[Found]]


def _first_field(view: StructView, rule: PathRule) -> str | None:
    for name in rule.fields:
        if view.has(name):
            return name
    return None


def char_array(view: StructView, name: str) -> tuple[bytes, FieldLocation]:
    offset, f = view.location(name)
    return view.get_bytes(name), FieldLocation(offset, f.size)


def pointer_string(view: StructView, name: str) -> tuple[bytes, FieldLocation] | None:
    """A ``char *`` field: the string lives in its own block."""
    address = view.get_pointer(name)
    block = view.file.block_at(address)
    if block is None:
        return None
    raw = view.file.block_bytes(block)
    end = raw.find(b"\0")
    return (raw if end < 0 else raw[:end]), FieldLocation(block.data_offset, block.size, is_pointer_string=True)


def _is_packed(view: StructView, pointer_field: str) -> bool:
    return view.has(pointer_field) and view.get_pointer(pointer_field) != 0


def plain(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    """A char-array path, packed when the rule's packed pointer is set."""
    name = _first_field(view, rule)
    if name is None:
        return []
    stored, location = char_array(view, name)
    if not stored:
        return []
    packed = bool(rule.packed_field) and _is_packed(view, rule.packed_field)
    return [Found(name, stored, rule.expansion, location, packed=packed)]


def image(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    source = view.get("source")
    if source not in (IMA_SRC_FILE, IMA_SRC_SEQUENCE, IMA_SRC_MOVIE, IMA_SRC_TILED):
        return []  # generated, viewer and render-result images have no file
    name = _first_field(view, rule)
    if name is None:
        return []
    stored, location = char_array(view, name)
    if not stored:
        return []
    packed = _is_packed(view, "packedfile") or _has_items(view, "packedfiles")
    if source == IMA_SRC_SEQUENCE:
        return [Found(name, stored, Expansion.SEQUENCE, location, packed=packed)]
    if source == IMA_SRC_TILED:
        tiles = tuple(t.get("tile_number") for t in view.iter_listbase("tiles")) or (1001,)
        return [Found(name, stored, Expansion.UDIM, location, packed=packed, tiles=tiles)]
    return [Found(name, stored, Expansion.FILE, location, packed=packed)]


def _has_items(view: StructView, listbase: str) -> bool:
    return view.has(listbase) and view.sub(listbase).get_pointer("first") != 0


def movie_clip(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    found = plain(view, rule, ctx)
    if view.get("source") == MCLIP_SRC_SEQUENCE:
        return [Found(f.field, f.stored, Expansion.SEQUENCE, f.location) for f in found]
    return found


def font(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    return [f for f in plain(view, rule, ctx) if f.stored != BUILTIN_FONT]


def text(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    if view.get("flags") & TXT_ISMEM:
        return []
    name = _first_field(view, rule)
    if name is None:
        return []
    got = pointer_string(view, name)
    if got is None or not got[0]:
        return []
    return [Found(name, got[0], Expansion.FILE, got[1])]


def sequence_flag(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    """Cache files and volumes: one file, or a frame sequence when ``is_sequence`` is set."""
    found = plain(view, rule, ctx)
    if view.has("is_sequence") and view.get("is_sequence"):
        return [Found(f.field, f.stored, Expansion.SEQUENCE, f.location, packed=f.packed) for f in found]
    return found


def when_mode(mode_field: str, external: int) -> Extractor:
    def extract(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
        if view.get(mode_field) != external:
            return []
        return plain(view, rule, ctx)

    return extract


def file_path_socket(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    if view.get("subtype") != PROP_FILEPATH:
        return []
    return plain(view, rule, ctx)


def file_path_property(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    """String ID properties marked as file paths (geometry-nodes modifier inputs)."""
    if view.get("type") != IDP_STRING:
        return []
    ui = view.deref("ui_data", "IDPropertyUIData")
    if ui is None or not ui.has("rna_subtype") or ui.get("rna_subtype") != PROP_FILEPATH:
        return []
    got = pointer_string(view, "data.pointer")
    if got is None or not got[0]:
        return []
    return [Found("data.pointer", got[0], Expansion.FILE, got[1])]


def strip_files(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    """Sequencer strip data: a folder plus the file name of each element."""
    stored, location = char_array(view, "dir")
    address = view.get_pointer("stripdata")
    block = view.file.block_at(address)
    if block is None:
        return []
    names = tuple(n for n in (e.get_bytes("name") for e in view.file.views(block, "StripElem")) if n)
    if not names:
        return []
    return [Found("dir", stored, Expansion.FILE_LIST, location, names=names)]


def point_cache(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    flag = view.get("flag")
    if not flag & (PTCACHE_DISK_CACHE | PTCACHE_EXTERNAL):
        return []
    name = view.get_bytes("name").decode("utf-8", "replace")
    index = view.get("index")
    if flag & PTCACHE_EXTERNAL:
        stored, location = char_array(view, "path")
        if not stored:
            return []
        return [Found("path", stored, Expansion.POINT_CACHE, location, cache_prefix=name, cache_index=index)]
    # Blender names unnamed caches after the owner's ID name in upper-case hex.
    prefix = name or ctx.owner_name.encode("utf-8").hex().upper()
    folder = f"//blendcache_{ctx.blend_stem}/".encode()
    return [Found("path", folder, Expansion.POINT_CACHE, None, cache_prefix=prefix, cache_index=index, computed=True)]


def ocean_cache(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    found = plain(view, rule, ctx)
    return [Found(f.field, f.stored, Expansion.PATTERN, f.location, pattern=MOD_OCEAN_CACHE_PATTERN) for f in found]


def nodes_bakes(view: StructView, rule: PathRule, ctx: Context) -> list[Found]:
    """Geometry-nodes bakes: <bake directory>/<bake id>/, or the bake's own folder when it has one."""
    found: list[Found] = []
    base_field = next((n for n in ("bake_directory", "simulation_bake_directory") if view.has(n)), None)
    base: tuple[bytes, FieldLocation] | None = None
    if base_field is not None:
        base = pointer_string(view, base_field)
    address = view.get_pointer("bakes") if view.has("bakes") else 0
    block = view.file.block_at(address)
    bakes = list(view.file.views(block, "NodesModifierBake")) if block is not None else []
    modifier_name = view.get_bytes("modifier.name").decode("utf-8", "replace")
    for bake in bakes:
        if bake.has("packed") and bake.get_pointer("packed"):
            continue
        bake_id = bake.get("id")
        if bake.get("flag") & NODES_MODIFIER_BAKE_CUSTOM_PATH:
            own = pointer_string(bake, "directory")
            if own is not None and own[0]:
                found.append(Found("NodesModifierBake.directory", own[0], Expansion.DIRECTORY, own[1]))
                continue
        if base is not None and base[0]:
            folder = base[0].rstrip(b"/\\") + b"/" + str(bake_id).encode()
            found.append(Found(f"{base_field}+id", folder, Expansion.DIRECTORY, None, computed=False))
        else:
            folder = f"//blendcache_{ctx.blend_stem}/{ctx.owner_name}_{modifier_name}/{bake_id}".encode()
            found.append(Found("(default bake folder)", folder, Expansion.DIRECTORY, None, computed=True))
    if base is not None and base[0]:
        # The folder itself is stored once; rewriting it moves every bake that lives below it.
        found.append(Found(base_field or "", base[0], Expansion.DIRECTORY, base[1], anchor_only=True))
    return found


@dataclass(frozen=True)
class PathRule:
    struct: str
    fields: tuple[str, ...]
    kind: str
    expansion: Expansion = Expansion.FILE
    extract: Extractor = plain
    packed_field: str = ""
    doc: str = field(default="", compare=False)


RULES: tuple[PathRule, ...] = (
    PathRule("Library", ("filepath", "name"), "library", packed_field="packedfile", doc="linked .blend"),
    PathRule("Image", ("filepath", "name"), "image", extract=image, doc="file, sequence, movie, UDIM tiles"),
    PathRule("bSound", ("filepath", "name"), "sound", packed_field="packedfile"),
    PathRule("MovieClip", ("filepath", "name"), "movie clip", extract=movie_clip),
    PathRule("VFont", ("filepath", "name"), "font", extract=font, packed_field="packedfile"),
    PathRule("Text", ("filepath", "name"), "text", extract=text, doc="external text files only"),
    PathRule("CacheFile", ("filepath",), "cache file", extract=sequence_flag, doc="Alembic / USD"),
    PathRule("CacheFileLayer", ("filepath",), "cache file layer"),
    PathRule("Volume", ("filepath",), "volume", extract=sequence_flag, packed_field="packedfile"),
    PathRule("MeshCacheModifierData", ("filepath",), "mesh cache", doc=".mdd / .pc2"),
    PathRule("OceanModifierData", ("cachepath",), "ocean cache", extract=ocean_cache),
    PathRule("FluidDomainSettings", ("cache_directory",), "fluid cache", Expansion.DIRECTORY),
    PathRule("CustomDataExternal", ("filepath", "filename"), "multires displacement"),
    PathRule("NodeShaderScript", ("filepath",), "osl script", extract=when_mode("mode", SCRIPT_MODE_EXTERNAL)),
    PathRule("Camera", ("custom_filepath",), "osl camera", extract=when_mode("custom_mode", CAMERA_CUSTOM_EXTERNAL)),
    PathRule("NodeShaderTexIES", ("filepath",), "ies", extract=when_mode("mode", IES_MODE_EXTERNAL)),
    PathRule("bNodeSocketValueString", ("value",), "node file input", extract=file_path_socket),
    PathRule("IDProperty", ("data.pointer",), "file path property", extract=file_path_property),
    PathRule("Strip", ("dir",), "sequencer strip", Expansion.FILE_LIST, extract=strip_files),
    PathRule("PointCache", ("path",), "point cache", Expansion.POINT_CACHE, extract=point_cache),
    PathRule(
        "NodesModifierData",
        ("bake_directory", "simulation_bake_directory"),
        "geometry nodes bake",
        Expansion.DIRECTORY,
        extract=nodes_bakes,
    ),
)

RULES_BY_STRUCT: dict[str, tuple[PathRule, ...]] = {}
for _rule in RULES:
    RULES_BY_STRUCT[_rule.struct] = (*RULES_BY_STRUCT.get(_rule.struct, ()), _rule)


def extract_all(view: StructView, ctx: Context) -> list[tuple[PathRule, Found]]:
    out: list[tuple[PathRule, Found]] = []
    for rule in RULES_BY_STRUCT.get(view.struct.name, ()):
        try:
            out.extend((rule, f) for f in rule.extract(view, rule, ctx))
        except FieldError:
            # A file from a Blender version whose struct lacks a field this rule reads: the
            # path cannot be stored there either.
            continue
    return out


def ocean_pattern() -> re.Pattern[str]:
    return re.compile(MOD_OCEAN_CACHE_PATTERN)
