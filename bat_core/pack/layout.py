# SPDX-License-Identifier: GPL-3.0-or-later
"""Where each file goes inside a pack.

Files inside the project root keep their layout. Files outside it go under
``_outside_project/``, relative to the deepest folder that holds all of them, so two files
never collide and no more of the user's folder names (home directory, user name) is kept than
the one folder name that ties them together. Paths stored by Windows machines (``C:\\...``,
``\\\\server\\share\\...``) map to ``_outside_project/C/...`` and ``_outside_project/UNC/...``.
The mapping keeps relative layout: ``place(dir / x) == place(dir) + "/x"``, which keeps
sequences, UDIM tiles and cache folders together.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import PackError

OUTSIDE = "_outside_project"


def _is_windows_style(path: Path) -> bool:
    text = str(path)
    return (len(text) >= 2 and text[1] == ":" and text[0].isalpha()) or text.startswith("//")


def _inside(path: Path, root: Path) -> bool:
    # Both are normalised absolute paths: a prefix test is exact and far cheaper than scanning
    # Path.parents, which planning does several times per reference.
    p, r = str(path), str(root)
    return p == r or p.startswith(r if r.endswith(os.sep) else r + os.sep)


def _below(path: str, root: str) -> str:
    """``path`` relative to ``root`` as POSIX text ("" for root itself); ``path`` is inside ``root``."""
    if path == root:
        return ""
    rel = path[len(root) :].lstrip(os.sep)
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def project_place(path: Path, project: Path) -> str | None:
    """Where a file inside ``project`` goes in the pack (every plan puts it there), or None for a
    file elsewhere, whose place depends on the other files outside the project."""
    if _is_windows_style(path) or not _inside(path, project):
        return None
    return _below(str(path), str(project))


class PackLayout:
    def __init__(self, project: Path, paths: Iterable[Path]) -> None:
        self.project = Path(os.path.normpath(project.absolute()))
        outside = [p for p in paths if not _is_windows_style(p) and not _inside(p, self.project)]
        self.outside_base: Path | None = None
        if outside:
            parents = [str(p.parent) for p in outside]
            self.outside_base = Path(os.path.commonpath(parents))
        self._placed: dict[Path, str] = {}

    def place(self, path: Path) -> str:
        """The POSIX path inside the pack for a local absolute path (file, folder or pattern)."""
        hit = self._placed.get(path)
        if hit is None:
            hit = self._placed[path] = self._place(path)
        return hit

    def _place(self, path: Path) -> str:
        if _is_windows_style(path):
            return self._windows_place(str(path))
        inside = project_place(path, self.project)
        if inside is not None:
            return inside
        if self.outside_base is None or not _inside(path, self.outside_base):
            raise PackError(f"{path}: outside the project and not planned for the pack")
        rel = _below(str(path), str(self.outside_base))
        base_name = self.outside_base.name or "root"
        return f"{OUTSIDE}/{base_name}/{rel}" if rel else f"{OUTSIDE}/{base_name}"

    @staticmethod
    def _windows_place(text: str) -> str:
        win = PureWindowsPath(text.replace("/", "\\"))
        if win.drive.startswith("\\\\"):
            share = [p for p in win.drive.split("\\") if p]
            head = ["UNC", *share]
        else:
            head = [win.drive.rstrip(":")]
        parts = [p for p in win.parts[1:] if p not in ("\\", "")]
        return str(PurePosixPath(OUTSIDE, *head, *parts))
