# SPDX-License-Identifier: GPL-3.0-or-later
"""Paths as Blender stores them (bytes, ``//`` = relative to the .blend) kept apart from local paths.

A stored path may come from another operating system: Windows drive letters (``C:\\x``),
UNC shares (``\\\\server\\share``) and backslash separators are all kept as stored and only
interpreted when resolving on this machine.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_DRIVE = re.compile(rb"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class BlendPath:
    """A path exactly as stored in a .blend file."""

    raw: bytes

    @property
    def is_blend_relative(self) -> bool:
        return self.raw.startswith(b"//")

    @property
    def is_windows_drive(self) -> bool:
        return bool(_DRIVE.match(self.raw))

    @property
    def is_unc(self) -> bool:
        return self.raw.startswith(b"\\\\")

    @property
    def is_foreign_absolute(self) -> bool:
        """Absolute on Windows, meaningless as a local path on POSIX."""
        return os.name != "nt" and (self.is_windows_drive or self.is_unc)

    @property
    def is_absolute(self) -> bool:
        return (not self.is_blend_relative) and (self.raw.startswith(b"/") or self.is_windows_drive or self.is_unc)

    def text(self) -> str:
        """For people and reports: UTF-8, undecodable bytes escaped (never lost)."""
        return self.raw.decode("utf-8", errors="backslashreplace")

    def local_text(self) -> str:
        """For the file system: undecodable bytes kept as surrogates, so os functions see the real name."""
        return os.fsdecode(self.raw)

    def resolve(self, blend_dir: Path) -> Path:
        """The absolute local path Blender would read, relative paths taken from `blend_dir`.

        Windows paths resolve to themselves with '/' separators (they will not exist on POSIX and
        are reported as missing with the path as stored), never to a place under `blend_dir`.
        """
        text = self.local_text()
        if self.is_blend_relative:
            rest = text[2:].replace("\\", "/")
            return Path(os.path.normpath(os.path.join(blend_dir, rest)))
        if self.is_foreign_absolute:
            return Path(text.replace("\\", "/"))
        if self.raw.startswith(b"/"):
            return Path(os.path.normpath(text))
        # A relative path without '//' is relative to Blender's working directory; Blender itself
        # treats it like that, and the only stable answer is the blend's folder.
        return Path(os.path.normpath(os.path.join(blend_dir, text.replace("\\", "/"))))


def relative_blend_path(target: str, blend_dir: str) -> bytes:
    """The ``//``-relative path from a .blend's folder to `target` (both relative POSIX paths
    inside one pack). Worked out on the text: no file system or working-directory lookups."""
    to = [p for p in target.split("/") if p and p != "."]
    start = [p for p in blend_dir.split("/") if p and p != "."]
    common = 0
    for a, b in zip(to, start, strict=False):
        if a != b:
            break
        common += 1
    parts = [".."] * (len(start) - common) + to[common:]
    return b"//" + os.fsencode("/".join(parts) if parts else ".")
