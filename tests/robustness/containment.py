# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that a pack stayed inside its target: snapshots of the world around it, link-free trees, ZIP names."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

SYSTEM_FILES = (Path("/etc/passwd"), Path("/etc/hostname"))


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under root (links not followed, `skip` left out) with mode, size and mtime, plus system files."""
    found: dict[str, tuple[int, int, int]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in [*dirs, *files]:
            path = Path(folder, name)
            if path == skip:
                continue
            st = path.lstat()
            if stat.S_ISDIR(st.st_mode):  # a new entry shows up by its own name; folder times add nothing
                found[os.fsdecode(path.relative_to(root))] = (st.st_mode, 0, 0)
            else:
                found[os.fsdecode(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    for system in SYSTEM_FILES:
        if system.exists():
            st = system.stat()
            found[str(system)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def entries(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            yield Path(folder, name)


def assert_contained(root: Path) -> None:
    """No links, no special files, nothing that resolves outside `root`."""
    real_root = root.resolve()
    for path in entries(root):
        mode = path.lstat().st_mode
        assert not stat.S_ISLNK(mode), f"the pack holds a symbolic link: {path}"
        assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), f"the pack holds a special file: {path}"
        assert real_root in path.resolve().parents, f"{path} resolves outside the pack"


def safe_zip_name(name: str) -> bool:
    """A relative POSIX name with no '', '.', '..' component, no backslash, NUL or drive."""
    parts = name.removesuffix("/").split("/")  # folder entries end in "/"
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and "\0" not in name
        and re.match(r"^[A-Za-z]:", name) is None
        and all(p not in ("", ".", "..") for p in parts)
    )
