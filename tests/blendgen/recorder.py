# SPDX-License-Identifier: GPL-3.0-or-later
"""Collects, while a kind is being built in Blender, what the tracer must and must not report.

Used only inside the generator's bpy child process. The recorder never guesses: every oracle
entry must be a real file, a declared expansion (sequence, tiles, directory) or declared missing,
otherwise the generator fails, so a wrong belief about Blender shows up here and not in the tracer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from blendgen.production import EXPECTED_JSON


class GenerationError(RuntimeError):
    """The built production does not match what its builder declared."""


def norm(p: str | Path) -> str:
    return os.path.normpath(os.fspath(p))


class Recorder:
    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.root = root
        self.main: Path | None = None
        self._decoys: list[Path] = []
        self._missing: list[Path] = []
        self._packed: list[Path] = []
        self._expansion: dict[str, list[Path]] = {}
        self._unlisted: list[Path] = []
        self._all_library_data: list[Path] = []
        self._notes: list[str] = []
        self._on_reopen: list[Callable[[], None]] = []

    # -- paths -------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    # -- declarations ------------------------------------------------------------------------
    def decoy(self, *paths: Path) -> None:
        self._decoys.extend(paths)

    def missing(self, *paths: Path) -> None:
        self._missing.extend(paths)

    def packed(self, *paths: Path) -> None:
        self._packed.extend(paths)

    def expand(self, oracle_entry: str | Path, files: Iterable[Path]) -> None:
        """Declare that the oracle entry (a sequence, UDIM pattern or directory) means these files."""
        self._expansion.setdefault(norm(oracle_entry), []).extend(files)

    def unlisted(self, files: Iterable[Path]) -> None:
        """Files Blender reads for this production without listing them in blend_paths."""
        self._unlisted.extend(files)

    def all_library_data(self, files: Iterable[Path]) -> None:
        """Files only needed when every datablock of the libraries counts, used or not."""
        self._all_library_data.extend(files)

    def note(self, text: str) -> None:
        self._notes.append(text)

    def on_reopen(self, check: Callable[[], None]) -> None:
        """Run after the main file is re-opened (e.g. to read tile lists Blender stored)."""
        self._on_reopen.append(check)

    def run_reopen_checks(self) -> None:
        for check in self._on_reopen:
            check()

    # -- result ------------------------------------------------------------------------------
    def finish(self, oracle_raw: Iterable[str]) -> dict[str, object]:
        if self.main is None:
            raise GenerationError(f"{self.kind}: builder never saved a main .blend")
        oracle = sorted({p for p in oracle_raw if p})
        missing = {norm(p) for p in self._missing}
        packed = {norm(p) for p in self._packed}
        expected: set[str] = set()
        used_expansions: set[str] = set()
        for entry in oracle:
            key = norm(entry)
            if key in missing:
                if os.path.exists(key):
                    raise GenerationError(f"{self.kind}: {key} declared missing but exists")
                continue
            if key in packed:
                raise GenerationError(f"{self.kind}: packed {key} listed by blend_paths(packed=False)")
            if key in self._expansion:
                used_expansions.add(key)
                expected.update(norm(f) for f in self._expansion[key])
            elif os.path.isfile(key):
                expected.add(key)
            else:
                raise GenerationError(
                    f"{self.kind}: oracle entry {entry!r} is not a file, not declared as "
                    "sequence/tiles/directory and not declared missing"
                )
        unused = set(self._expansion) - used_expansions
        if unused:
            raise GenerationError(f"{self.kind}: expansions not in Blender's answer: {sorted(unused)}")
        expected.update(norm(f) for f in self._unlisted)
        for f in expected:
            if not os.path.isfile(f):
                raise GenerationError(f"{self.kind}: expected file {f} does not exist")
        for d in self._decoys:
            if not d.is_file():
                raise GenerationError(f"{self.kind}: decoy {d} was not written")
            if norm(d) in expected:
                raise GenerationError(f"{self.kind}: decoy {d} is also expected")
        all_lib = expected | {norm(f) for f in self._all_library_data}
        result: dict[str, object] = {
            "kind": self.kind,
            "main": norm(self.main),
            "oracle": oracle,
            "expected_files": sorted(expected),
            "decoys": sorted(norm(p) for p in self._decoys),
            "missing": sorted(missing),
            "packed": sorted(packed),
            "expansion": {k: sorted(norm(f) for f in v) for k, v in sorted(self._expansion.items())},
            "unlisted": sorted(norm(f) for f in self._unlisted),
            "expected_all_library_data": sorted(all_lib),
            "notes": " ".join(self._notes),
        }
        return result

    def write(self, result: dict[str, object]) -> Path:
        out = self.root / EXPECTED_JSON
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        return out
