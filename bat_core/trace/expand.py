# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn one stored path into the files Blender reads, following Blender's own naming rules."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

UDIM_TOKEN = "<UDIM>"
UVTILE_TOKEN = "<UVTILE>"
# Blender's frame rule: the frame number is the last run of digits in the file name, before
# the extension; the rest of the name (head and tail) must match exactly.
_LAST_DIGITS = re.compile(r"^(?P<head>.*?)(?P<digits>\d+)(?P<tail>\D*)$")
_MAX_FILES_PER_DIRECTORY = 1_000_000


def _listdir(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def file_size(path: Path) -> int | None:
    """The size of a regular file; None for anything else, a name the OS refuses (a component
    over 255 bytes, ...) included, instead of raising."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def is_file(path: Path) -> bool:
    """Path.is_file, with file_size's tolerance."""
    return file_size(path) is not None


def is_dir(path: Path) -> bool:
    """Path.is_dir, with the same tolerance as is_file."""
    try:
        return path.is_dir()
    except OSError:
        return False


def existing(path: Path) -> tuple[Path, ...]:
    return (path,) if is_file(path) else ()


def sequence_files(first: Path) -> tuple[Path, ...]:
    """All frames of the sequence `first` belongs to: same head and tail, any frame number."""
    match = _LAST_DIGITS.match(first.name)
    if match is None:
        return existing(first)
    head, tail = re.escape(match["head"]), re.escape(match["tail"])
    pattern = re.compile(rf"^{head}\d+{tail}$")
    found = [first.parent / n for n in _listdir(first.parent) if pattern.match(n)]
    return tuple(sorted(p for p in found if p.is_file()))


def tile_name(template: str, tile: int) -> str:
    u = (tile - 1001) % 10 + 1
    v = (tile - 1001) // 10 + 1
    return template.replace(UDIM_TOKEN, str(tile)).replace(UVTILE_TOKEN, f"u{u}_v{v}")


def udim_files(template: Path, tiles: Iterable[int]) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """(existing, missing) tile files for the tile numbers stored with the image.

    Paths saved before Blender had tokens hold the first tile's number instead of <UDIM>.
    """
    name = template.name
    if UDIM_TOKEN not in name and UVTILE_TOKEN not in name:
        match = re.search(r"(?<!\d)(1\d{3})(?!\d)(?!.*(?<!\d)1\d{3}(?!\d))", name)
        if match is None:
            return existing(template), () if is_file(template) else (template,)
        name = name[: match.start()] + UDIM_TOKEN + name[match.end() :]
    present: list[Path] = []
    absent: list[Path] = []
    for tile in sorted(set(tiles)):
        path = template.parent / tile_name(name, tile)
        (present if is_file(path) else absent).append(path)
    return tuple(present), tuple(absent)


def directory_files(folder: Path) -> tuple[Path, ...]:
    """Every regular file below `folder` (symlinks to files included, symlinked folders not followed)."""
    found: list[Path] = []
    for root, _dirs, names in os.walk(folder):
        for n in names:
            p = Path(root) / n
            if p.is_file():
                found.append(p)
                if len(found) >= _MAX_FILES_PER_DIRECTORY:
                    return tuple(sorted(found))
    return tuple(sorted(found))


def pattern_files(folder: Path, pattern: re.Pattern[str]) -> tuple[Path, ...]:
    return tuple(sorted(folder / n for n in _listdir(folder) if pattern.match(n) and (folder / n).is_file()))


def point_cache_files(folder: Path, prefix: str, index: int) -> tuple[Path, ...]:
    """Blender's disk point caches: <prefix>_<frame, 6 digits>_<index, 2 digits>.bphys."""
    suffix = f"_{index:02d}" if index >= 0 else ""
    pattern = re.compile(rf"^{re.escape(prefix)}_\d{{6}}{suffix}\.bphys$")
    return pattern_files(folder, pattern)
