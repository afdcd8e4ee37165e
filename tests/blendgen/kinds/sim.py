# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulation caches on disk: point caches (blendcache_<name>/, external) and fluid domains."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import bpy

from blendgen import assets, blender
from blendgen.recorder import Recorder


def _hexname(name: str) -> str:
    # Blender names an unnamed point cache's files after its owner ID's name, hex-encoded.
    return name.encode("utf-8").hex().upper()


def _disk_cache(pc: Any, name: str = "") -> None:
    pc.use_disk_cache = True
    pc.frame_end = 3
    pc.name = name


def point_cache(rec: Recorder) -> None:
    main = blender.new_main(rec, "shot.blend")
    scene = bpy.context.scene
    emitter = blender.cube("Emitter")
    emitter.modifiers.new("Particles", "PARTICLE_SYSTEM")
    psys = emitter.particle_systems[0]
    psys.settings.count = 5
    psys.settings.frame_end = 2
    _disk_cache(psys.point_cache, "sparks")
    # A second particle system on the same object: its cache gets the next index (_01).
    emitter.modifiers.new("Particles2", "PARTICLE_SYSTEM")
    psys2 = emitter.particle_systems[1]
    psys2.settings = psys.settings
    _disk_cache(psys2.point_cache)
    cloth = blender.cube("Cloth")
    _disk_cache(cloth.modifiers.new("Cloth", "CLOTH").point_cache)
    soft = blender.cube("Soft")
    _disk_cache(soft.modifiers.new("Softbody", "SOFT_BODY").point_cache)
    canvas = blender.cube("Canvas")
    dp = canvas.modifiers.new("DynamicPaint", "DYNAMIC_PAINT")
    with blender.override(object=canvas, active_object=canvas):
        bpy.ops.dpaint.type_toggle(type="CANVAS")
    surface = dp.canvas_settings.canvas_surfaces[0]
    surface.surface_type = "WAVE"
    surface.frame_end = 3
    _disk_cache(surface.point_cache)
    bpy.context.view_layer.update()
    with blender.override(scene=scene):
        bpy.ops.ptcache.bake_all(bake=True)

    cache_dir = main.parent / f"blendcache_{main.stem}"
    made = sorted(cache_dir.glob("*.bphys"))
    want = {
        ("sparks", "00"),
        (_hexname("Emitter"), "01"),
        (_hexname("Cloth"), "00"),
        (_hexname("Soft"), "00"),
        (_hexname("Canvas"), "00"),
    }
    got = {(p.stem.split("_")[0], p.stem.split("_")[2]) for p in made}
    if got != want:
        raise AssertionError(f"point cache files {sorted(got)} != expected {sorted(want)}")

    # Rigid body is left out: in the bpy 5.0.1 module, stepping a rigid body world and even
    # setting its point cache's use_disk_cache crash Blender (segfault).
    blender.save()

    # Files Blender would not read: a deleted object's cache and a foreign index.
    rec.decoy(
        assets.text(cache_dir / f"{_hexname('Deleted')}_000001_00.bphys", "stale"),
        assets.text(cache_dir / "sparks_000001_00.bphys.bak", "backup"),
        assets.text(cache_dir / "sparks_000001_07.bphys", "index 7 belongs to no cache"),
    )
    rec.unlisted(made)

    def caches_are_baked() -> None:
        for name in ("Emitter", "Cloth", "Soft", "Canvas"):
            ob = bpy.data.objects[name]
            caches = [p.point_cache for p in ob.particle_systems]
            caches += [m.point_cache for m in ob.modifiers if m.type in {"CLOTH", "SOFT_BODY"}]
            caches += [
                s.point_cache
                for m in ob.modifiers
                if m.type == "DYNAMIC_PAINT"
                for s in m.canvas_settings.canvas_surfaces
            ]
            if not caches or not all(c.is_baked and c.use_disk_cache for c in caches):
                raise AssertionError(f"{name}: point caches not baked to disk after reopening")

    rec.on_reopen(caches_are_baked)
    rec.note(
        "Disk point caches in blendcache_shot/: particles named 'sparks' (sparks_NNNNNN_00.bphys, "
        "frame 0 holds particle info), a second unnamed particle system on the same object "
        "(456D6974746572_NNNNNN_01.bphys: index 1), cloth, soft body, dynamic paint wave surface (unnamed, so "
        "the owner object's name in upper-case hex). Rigid body is missing (crashes bpy). A "
        "deleted object's cache file, a .bak file and a 'sparks' file with index 07 are decoys. "
        "blend_paths lists each cache's empty path as '' (dropped here)."
    )


def point_cache_external(rec: Recorder) -> None:
    main = blender.new_main(rec, "shot.blend")
    emitter = blender.cube("Baker")
    emitter.modifiers.new("Particles", "PARTICLE_SYSTEM")
    psys = emitter.particle_systems[0]
    psys.settings.count = 5
    psys.settings.frame_end = 2
    _disk_cache(psys.point_cache, "dust")
    with blender.override(scene=bpy.context.scene):
        bpy.ops.ptcache.bake_all(bake=True)
    ext_dir = rec.path("sim/imported/x").parent
    external = []
    for src in sorted((main.parent / f"blendcache_{main.stem}").glob("dust_*.bphys")):
        dst = ext_dir / src.name.replace("dust_", "imported_")
        shutil.copyfile(src, dst)
        external.append(dst)
    shutil.rmtree(main.parent / f"blendcache_{main.stem}")
    bpy.data.objects.remove(emitter)

    user = blender.cube("Imported")
    user.modifiers.new("Particles", "PARTICLE_SYSTEM")
    pc = user.particle_systems[0].point_cache
    pc.use_external = True
    pc.filepath = "//sim/imported/"
    pc.name = "imported"
    blender.save()
    rec.decoy(assets.text(ext_dir / "other_000001_00.bphys", "someone else's cache"))

    def external_cache_found() -> None:
        info = bpy.data.objects["Imported"].particle_systems[0].point_cache.info
        if "found" not in info or "No valid" in info:
            raise AssertionError(f"external cache not read by Blender: {info!r}")

    rec.on_reopen(external_cache_found)
    rec.expand(os.path.join(ext_dir, ""), external)
    rec.note(
        "External point cache (PTCACHE_EXTERNAL): PointCache.path is the folder '//sim/imported/', "
        "files are <name>_<frame:06d>_<index:02d>.bphys with name 'imported'; other names in the "
        "folder are not read."
    )


def fluid(rec: Recorder) -> None:
    source = assets.vdb(rec.path("tmp/grid.vdb"))
    blender.new_main(rec, "shot.blend")
    dom = blender.cube("Domain", 2.0)
    mod = dom.modifiers.new("Fluid", "FLUID")
    # Mantaflow crashes inside the bpy 5.0.1 module: never let the depsgraph evaluate it.
    mod.show_viewport = mod.show_render = False
    mod.fluid_type = "DOMAIN"
    ds = mod.domain_settings
    ds.domain_type = "GAS"
    ds.resolution_max = 6
    ds.cache_directory = "//cache_fluid/"
    ds.cache_frame_start, ds.cache_frame_end = 1, 2
    blender.save()
    cache = rec.root / "cache_fluid"
    files: list[Path] = []
    for sub, stem in (("data", "fluid_data"), ("noise", "fluid_noise")):
        for f in (1, 2):
            dst = cache / sub / f"{stem}_{f:04d}.vdb"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dst)
            files.append(dst)
    files.append(assets.text(cache / "config" / "config_0001.uni", "fabricated config\n"))
    shutil.rmtree(source.parent)
    rec.expand(os.path.join(cache, ""), files)
    rec.note(
        "Fluid domain (Mantaflow) with cache_directory //cache_fluid/: Blender lists the directory; "
        "the layout (config/, data/, noise/ with <grid>_NNNN.vdb) is written here by hand because "
        "baking Mantaflow crashes the bpy 5.0.1 module; the .vdb files are real OpenVDB."
    )
