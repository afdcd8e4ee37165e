# SPDX-License-Identifier: GPL-3.0-or-later
"""Caches read from disk: Alembic/USD cache files, mesh caches, multires displacement,
OpenVDB volumes and ocean bakes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import bpy

from blendgen import assets, blender
from blendgen.recorder import Recorder

CUBE_VERTS = [(x, y, z) for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (-1.0, 1.0)]


def _import_cachefile(path: Path, is_sequence: bool = False) -> Any:
    before = set(bpy.data.cache_files)
    bpy.ops.wm.alembic_import(
        filepath=str(path), is_sequence=is_sequence, always_add_cache_reader=True, as_background_job=False
    )
    (cf,) = set(bpy.data.cache_files) - before
    return cf


def alembic(rec: Recorder) -> None:
    single = rec.path("cache/anim.abc")
    layer = rec.path("cache/layer_fix.abc")
    seq_dir = rec.path("cache/seq/x").parent
    blender.reset()
    assets.alembic(single, 1, 3)
    assets.alembic(layer, 1, 1)
    frames = [assets.alembic(seq_dir / f"anim_{f:04d}.abc", f, f) for f in (1, 2, 3)]
    blender.new_main(rec, "shot.blend")
    cf = _import_cachefile(single)
    cf.filepath = "//cache/anim.abc"
    cf.layers.new(filepath="//cache/layer_fix.abc")
    seq = _import_cachefile(frames[0], is_sequence=True)
    seq.filepath = "//cache/seq/anim_0001.abc"
    blender.save()
    rec.decoy(assets.text(seq_dir / "anim_preview.abc", "not alembic\n"))
    rec.decoy(assets.text(seq_dir / "anim_0001.abc.bak", "not alembic\n"))
    rec.expand(frames[0], frames)
    # blend_paths does not list CacheFileLayer.filepath, but Blender reads the layer.
    rec.unlisted([layer])
    rec.note(
        "CacheFile of one .abc with an override layer (CacheFileLayer; not listed by "
        "blend_paths), and a CacheFile with is_sequence set (anim_0001..0003.abc), "
        "each used by MeshSequenceCache modifiers."
    )


def usd(rec: Recorder) -> None:
    usdc = rec.path("cache/stage.usdc")
    holder = rec.path("cache/holder.abc")
    seq_dir = rec.path("cache/seq/x").parent
    blender.reset()
    assets.usd(usdc)
    frames = [assets.usd(seq_dir / f"stage_{f:04d}.usdc") for f in (1, 2)]
    assets.alembic(holder, 1, 1)
    blender.new_main(rec, "shot.blend")
    # The Alembic importer is the way to get CacheFile datablocks from Python; point them at USD.
    cf = _import_cachefile(holder)
    cf.filepath = "//cache/stage.usdc"
    seq = _import_cachefile(holder)
    seq.filepath = "//cache/seq/stage_0001.usdc"
    seq.is_sequence = True
    blender.save()
    holder.unlink()
    rec.decoy(assets.text(seq_dir / "stage_preview.usdc", "x"))
    rec.expand(frames[0], frames)
    rec.note("CacheFiles pointing at a USD file and at a USD sequence stage_0001..0002.usdc.")


def mesh_cache(rec: Recorder) -> None:
    assets.mdd(rec.path("pointcache/wave.mdd"), CUBE_VERTS)
    assets.pc2(rec.path("pointcache/wave.pc2"), CUBE_VERTS)
    blender.new_main(rec, "shot.blend")
    for fmt in ("MDD", "PC2"):
        ob = blender.cube(f"Cached{fmt}")
        mod = ob.modifiers.new("MeshCache", "MESH_CACHE")
        mod.cache_format = fmt
        mod.filepath = f"//pointcache/wave.{fmt.lower()}"
    blender.save()
    rec.note("Mesh Cache modifiers reading .mdd and .pc2 files.")


def multires(rec: Recorder) -> None:
    blender.new_main(rec, "shot.blend")
    ob = blender.cube("Sculpt")
    mod = ob.modifiers.new("Multires", "MULTIRES")
    bpy.context.view_layer.objects.active = ob
    disp = rec.path("sculpt/displacement.btx")
    with blender.override(object=ob, active_object=ob):
        bpy.ops.object.multires_subdivide(modifier=mod.name, mode="SIMPLE")
        bpy.ops.object.multires_external_save(filepath=str(disp), relative_path=True, modifier=mod.name)
    blender.save()
    if not disp.is_file():
        raise AssertionError("multires_external_save wrote no file")
    rec.note("Multires displacement saved externally (CustomData external file, .btx).")


def volume(rec: Recorder) -> None:
    single = assets.vdb(rec.path("vdb/smoke.vdb"))
    seq_dir = rec.path("vdb/seq/x").parent
    frames = [assets.vdb(seq_dir / f"fog_{f:04d}.vdb") for f in (1, 2, 3)]
    blender.new_main(rec, "shot.blend")
    vol = bpy.data.volumes.new("Smoke")
    vol.filepath = "//vdb/smoke.vdb"
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Smoke", vol))
    seq = bpy.data.volumes.new("Fog")
    seq.filepath = "//vdb/seq/fog_0001.vdb"
    seq.is_sequence = True
    seq.frame_duration = 3
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Fog", seq))
    blender.save()
    rec.decoy(assets.text(seq_dir / "fog_preview.vdb", "x"), assets.text(seq_dir / "fog_0001.vdb.bak", "x"))
    rec.expand(frames[0], frames)
    rec.note(f"Volume datablocks: {single.name} and a sequence fog_0001..0003.vdb (is_sequence).")


def ocean(rec: Recorder) -> None:
    blender.new_main(rec, "shot.blend")
    ob = blender.cube("Sea")
    mod = ob.modifiers.new("Ocean", "OCEAN")
    mod.resolution = 1
    mod.spatial_size = 2
    mod.use_foam = True
    mod.frame_start, mod.frame_end = 1, 2
    mod.filepath = "//ocean_cache/"
    with blender.override(object=ob, active_object=ob, scene=bpy.context.scene):
        bpy.ops.object.ocean_bake(modifier=mod.name)
    blender.save()
    cache = rec.root / "ocean_cache"
    # The bake runs as a background job: wait until the last frame is written and the folder
    # stops changing, or a loaded machine records only some of the frames.
    deadline = time.monotonic() + 120
    previous: list[Path] = []
    while time.monotonic() < deadline:
        files = sorted(p for p in cache.rglob("*") if p.is_file())
        if files == previous and (cache / f"disp_{mod.frame_end:04d}.exr").is_file():
            break
        previous = files
        time.sleep(0.5)
    files = sorted(p for p in cache.rglob("*") if p.is_file())
    if not files:
        raise AssertionError("ocean bake wrote nothing")
    rec.expand(os.path.join(cache, ""), files)
    rec.note("Ocean modifier bake directory: disp_/foam_/normal_ NNNN .exr files per frame.")
