# SPDX-License-Identifier: GPL-3.0-or-later
"""What a trace produces: plain frozen values, handed on to planning and packing."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from pathlib import Path


class Expansion(StrEnum):
    """How one stored path turns into files on disk."""

    FILE = "file"  # exactly the file named
    SEQUENCE = "sequence"  # frames sharing the name around its last number (Blender's frame rule)
    UDIM = "udim"  # one file per tile in the image's tile list
    DIRECTORY = "directory"  # every file below a folder
    FILE_LIST = "file_list"  # a folder plus the file names stored with it (sequencer strips)
    POINT_CACHE = "point_cache"  # <prefix>_<frame>_<index>.bphys files in a cache folder
    PATTERN = "pattern"  # files in a folder whose names match a fixed pattern (ocean caches)


@dataclass(frozen=True)
class Owner:
    """The datablock that holds a reference."""

    id_code: str  # two-letter ID code, e.g. "IM", "OB"
    name: str
    blend: Path  # the .blend file the datablock lives in

    def describe(self) -> str:
        return f"{self.id_code}:{self.name} in {self.blend.name}"


@dataclass(frozen=True)
class FieldLocation:
    """Where a stored path lies in the decompressed .blend, so a packed copy can rewrite it."""

    offset: int
    size: int
    is_pointer_string: bool = False  # a char* string in its own block (Text.filepath, bake folders)


@dataclass(frozen=True)
class Reference:
    """One path stored in one .blend, and the files it stands for."""

    blend: Path  # absolute path of the .blend that stores the path
    owner: Owner
    struct: str  # DNA struct holding the path
    field: str  # DNA field (as stored in the file's SDNA)
    kind: str  # "image", "library", "sound", ...
    stored: bytes  # the path exactly as stored ("" for computed locations)
    resolved: Path  # absolute local path the stored path points at (a file, pattern or folder)
    expansion: Expansion
    files: tuple[Path, ...]  # existing files it expands to
    missing: bool  # nothing (or not everything expected) is on disk
    packed: bool  # data packed inside the .blend: not an external dependency
    location: FieldLocation | None  # None when the path is computed, not stored (point caches)
    anchor_only: bool = False  # a stored folder whose files other references report (bake root)
    details: dict[str, str] = dataclass_field(default_factory=dict, compare=False, hash=False)
    # The sizes of ``files`` as the trace found them, when it looked (single files); empty
    # otherwise. Planning and early copies use them instead of asking the disk again.
    sizes: tuple[int, ...] = dataclass_field(default=(), compare=False, hash=False)

    @property
    def size(self) -> int:
        total = 0
        for f in self.files:
            with contextlib.suppress(OSError):
                total += f.stat().st_size
        return total


@dataclass(frozen=True)
class MissingDatablock:
    """A datablock a file needs from a library that is absent or lacks it."""

    library: Path
    name: str
    needed_by: Path


@dataclass(frozen=True)
class TraceResult:
    main: Path
    blends: tuple[Path, ...]  # the main file first, then every library reached (on disk)
    references: tuple[Reference, ...]
    missing_datablocks: tuple[MissingDatablock, ...] = ()
    problems: tuple[str, ...] = ()  # libraries that could not be read, and why

    @property
    def dependencies(self) -> list[Reference]:
        return [r for r in self.references if not r.packed]

    def files(self) -> list[Path]:
        """Every existing external file, sorted, each once (libraries included)."""
        seen = {f for r in self.references if not r.packed for f in r.files}
        return sorted(seen)

    def missing(self) -> list[Path]:
        seen = {r.resolved for r in self.references if r.missing and not r.packed}
        return sorted(seen)

    def files_by_blend(self) -> dict[Path, list[Path]]:
        """For each .blend, the files it depends on directly (the reference tool's JSON shape)."""
        out: dict[Path, set[Path]] = {b: set() for b in self.blends}
        for r in self.references:
            if r.packed:
                continue
            out.setdefault(r.blend, set()).update(r.files if r.files else (r.resolved,))
        return {b: sorted(fs) for b, fs in out.items()}
