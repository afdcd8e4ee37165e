# SPDX-License-Identifier: GPL-3.0-or-later
"""Write large .blend files with real Blender (bpy) for the reader benchmark.

python make_large_files.py OUTDIR  ->  many_ids.blend / many_ids_zstd.blend (tens of thousands of
datablocks) and dense_mesh.blend / dense_mesh_zstd.blend (one mesh of several million vertices).
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy


def many_ids(outdir: Path, objects: int = 20000, materials: int = 2000) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    mats = [bpy.data.materials.new(f"Material.{i:05d}") for i in range(materials)]
    verts = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]
    for i in range(objects):
        mesh = bpy.data.meshes.new(f"Mesh.{i:05d}")
        mesh.from_pydata(verts, [], [(0, 1, 2, 3)])
        mesh.materials.append(mats[i % materials])
        obj = bpy.data.objects.new(f"Object.{i:05d}", mesh)
        obj.location = (i % 100, i // 100, 0)
        scene.collection.objects.link(obj)
    for name, compress in (("many_ids.blend", False), ("many_ids_zstd.blend", True)):
        bpy.ops.wm.save_as_mainfile(filepath=str(outdir / name), compress=compress)


def dense_mesh(outdir: Path, subdivisions: int = 1400) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=subdivisions, y_subdivisions=subdivisions)
    for name, compress in (("dense_mesh.blend", False), ("dense_mesh_zstd.blend", True)):
        bpy.ops.wm.save_as_mainfile(filepath=str(outdir / name), compress=compress)


if __name__ == "__main__":
    out = Path(sys.argv[-1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    many_ids(out)
    dense_mesh(out)
