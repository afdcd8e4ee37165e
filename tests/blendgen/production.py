# SPDX-License-Identifier: GPL-3.0-or-later
"""What a generated production claims, as plain values: written by the generator, read by tests.

This module must not import bpy: tests load it in the pytest process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

EXPECTED_JSON = "expected.json"


@dataclass(frozen=True)
class Production:
    """One kind's production: the main .blend and what a tracer must (not) report for it."""

    kind: str
    root: Path
    main: Path
    # Blender's own answer: bpy.utils.blend_paths(absolute=True, packed=False, local=False)
    # after re-opening the saved main file; empty strings dropped, duplicates merged, sorted.
    oracle: tuple[str, ...]
    # Every file on disk the tracer must report (sequences, tiles, directories expanded).
    expected_files: tuple[Path, ...]
    decoys: tuple[Path, ...]
    missing: tuple[Path, ...]
    packed: tuple[Path, ...]
    # oracle entry -> the files on disk it stands for (only entries that are not one plain file).
    expansion: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    # Files Blender reads without listing them in blend_paths (point caches, bakes, ...).
    unlisted: tuple[Path, ...] = ()
    # Superset of expected_files when the tracer is asked for all library data, used or not.
    expected_all_library_data: tuple[Path, ...] = ()
    notes: str = ""

    @property
    def blend_files(self) -> tuple[Path, ...]:
        return tuple(p for p in self.expected_files if p.suffix == ".blend")


def _paths(values: list[str]) -> tuple[Path, ...]:
    return tuple(Path(v) for v in values)


def read_production(kind_dir: Path) -> Production:
    data = json.loads((kind_dir / EXPECTED_JSON).read_text(encoding="utf-8"))
    return Production(
        kind=kind_dir.name,
        root=kind_dir,
        main=Path(data["main"]),
        oracle=tuple(data["oracle"]),
        expected_files=_paths(data["expected_files"]),
        decoys=_paths(data["decoys"]),
        missing=_paths(data["missing"]),
        packed=_paths(data["packed"]),
        expansion={k: _paths(v) for k, v in data.get("expansion", {}).items()},
        unlisted=_paths(data.get("unlisted", [])),
        expected_all_library_data=_paths(data.get("expected_all_library_data", data["expected_files"])),
        notes=data.get("notes", ""),
    )


def read_productions(outdir: Path) -> dict[str, Production]:
    """All productions under ``outdir``, by kind name."""
    return {
        d.name: read_production(d) for d in sorted(outdir.iterdir()) if d.is_dir() and (d / EXPECTED_JSON).is_file()
    }
