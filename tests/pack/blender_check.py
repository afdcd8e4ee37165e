# SPDX-License-Identifier: GPL-3.0-or-later
"""Open packed .blend files with real Blender and report what it sees (one bpy process for many files)."""

from __future__ import annotations

from typing import Any

from bpy_run import run_bpy

_SNIPPET = """
import os
out = {}
for main in args:
    bpy.ops.wm.open_mainfile(filepath=main)
    images = {}
    for img in bpy.data.images:
        if img.source not in {"FILE", "SEQUENCE", "TILED"} or img.packed_file is not None or not img.filepath:
            continue
        try:
            img.reload()
            has = bool(img.has_data or img.size[0] > 0)
        except Exception:
            has = False
        images[img.name] = {"has_data": has, "source": img.source,
                            "path": bpy.path.abspath(img.filepath, library=img.library)}
    out[main] = {
        "paths": sorted(
            os.path.normpath(p) for p in bpy.utils.blend_paths(absolute=True, packed=False, local=False) if p
        ),
        "missing_libraries": sorted(l.filepath for l in bpy.data.libraries if l.is_missing),
        "libraries": sorted(os.path.normpath(bpy.path.abspath(l.filepath)) for l in bpy.data.libraries),
        "images": images,
    }
result = out
"""


def blender_view(mains: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = run_bpy(_SNIPPET, *mains, timeout=900)
    return result
