# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a production for the tracer benchmark with real Blender (bpy 5.0.1).

    .venv/bin/python benchmarks/make_trace_production.py OUTDIR [--force]

OUTDIR/
  textures/lib_NN/tex_MMM.png   500 small real PNGs, 50 per library (stdlib zlib/struct)
  libs/lib_NN.blend             10 libraries x 200 objects; every object has its own mesh and its
                                own material whose node tree uses 3 of the library's textures
  shot.blend                    links collection "Assets_NN" from each library and instances it
                                with a collection-instance empty
  production.json               the layout above and the expected dependency list (the cache key)

All paths are stored relative ('//'), so the folder can be moved. A second run with the same
parameters finds production.json and does nothing, so benchmarks can call this unconditionally.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
import zlib
from pathlib import Path

import bpy

LIBRARIES = 10
OBJECTS_PER_LIBRARY = 200
TEXTURES_PER_LIBRARY = 50
TEXTURES_PER_MATERIAL = 3
# Bump when the layout changes, so an old cache is rebuilt instead of silently reused.
LAYOUT_VERSION = 2


def png_bytes(seed: int, size: int = 8) -> bytes:
    """A tiny RGB PNG whose pixels depend on seed, so every texture file has distinct content."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    r, g, b = (seed * 37) % 256, (seed * 101) % 256, (seed * 211) % 256
    rows = b"".join(
        b"\x00" + b"".join(bytes(((r + x) % 256, (g + y) % 256, b)) for x in range(size)) for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def texture_path(out: Path, lib: int, tex: int) -> Path:
    return out / "textures" / f"lib_{lib:02d}" / f"tex_{tex:03d}.png"


def write_textures(out: Path) -> list[Path]:
    paths = []
    for lib in range(LIBRARIES):
        for tex in range(TEXTURES_PER_LIBRARY):
            path = texture_path(out, lib, tex)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png_bytes(lib * TEXTURES_PER_LIBRARY + tex))
            paths.append(path)
    return paths


def clear_main() -> None:
    """Empty bpy.data (except the one scene a file needs) without re-reading factory settings."""
    for collection in (
        bpy.data.objects,
        bpy.data.meshes,
        bpy.data.materials,
        bpy.data.images,
        bpy.data.collections,
        bpy.data.node_groups,
        bpy.data.worlds,
        bpy.data.cameras,
        bpy.data.lights,
        bpy.data.libraries,
    ):
        ids = list(collection)
        if ids:
            bpy.data.batch_remove(ids)
    bpy.data.orphans_purge(do_recursive=True)


def make_material(name: str, images: list[bpy.types.Image]) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    # Blender 5.0 always shades with nodes (and warns on use_nodes); older versions need the switch.
    if bpy.app.version < (5, 0, 0):
        mat.use_nodes = True
    tree = mat.node_tree
    assert tree is not None
    bsdf = next(n for n in tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
    sockets = ("Base Color", "Roughness", "Normal")
    for slot, (image, socket) in enumerate(zip(images, sockets, strict=False)):
        node = tree.nodes.new("ShaderNodeTexImage")
        node.image = image
        node.location = (-400, -300 * slot)
        if socket == "Normal":
            normal = tree.nodes.new("ShaderNodeNormalMap")
            tree.links.new(node.outputs["Color"], normal.inputs["Color"])
            tree.links.new(normal.outputs["Normal"], bsdf.inputs["Normal"])
        else:
            tree.links.new(node.outputs["Color"], bsdf.inputs[socket])
    return mat


def make_library(out: Path, lib: int) -> Path:
    clear_main()
    scene = bpy.context.scene
    blend = out / "libs" / f"lib_{lib:02d}.blend"
    blend.parent.mkdir(parents=True, exist_ok=True)
    images = []
    for tex in range(TEXTURES_PER_LIBRARY):
        path = texture_path(out, lib, tex)
        image = bpy.data.images.load(str(path), check_existing=False)
        image.name = f"L{lib:02d}_tex_{tex:03d}"
        # Store '//../textures/...' like a production library; save's relative_remap only
        # rewrites paths that were relative already.
        image.filepath = "//" + Path(os.path.relpath(path, blend.parent)).as_posix()
        images.append(image)
    assets = bpy.data.collections.new(f"Assets_{lib:02d}")
    scene.collection.children.link(assets)
    quad = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0)]
    for i in range(OBJECTS_PER_LIBRARY):
        # Every material picks 3 different textures; over 200 materials all 50 are used.
        picks = [images[(i + k * 17) % TEXTURES_PER_LIBRARY] for k in range(TEXTURES_PER_MATERIAL)]
        mat = make_material(f"L{lib:02d}_mat_{i:03d}", picks)
        mesh = bpy.data.meshes.new(f"L{lib:02d}_mesh_{i:03d}")
        mesh.from_pydata(quad, [], [(0, 1, 2, 3)])
        mesh.materials.append(mat)
        obj = bpy.data.objects.new(f"L{lib:02d}_obj_{i:03d}", mesh)
        obj.location = (i % 20 * 1.5, i // 20 * 1.5, 0.0)
        assets.objects.link(obj)
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), relative_remap=True, compress=False)
    return blend


def make_shot(out: Path, libraries: list[Path]) -> Path:
    clear_main()
    scene = bpy.context.scene
    shot = out / "shot.blend"
    # Save first so bpy knows the shot's folder and libraries.load(relative=True) stores '//libs/...'.
    bpy.ops.wm.save_as_mainfile(filepath=str(shot), compress=False)
    for lib, blend in enumerate(libraries):
        name = f"Assets_{lib:02d}"
        with bpy.data.libraries.load(str(blend), link=True, relative=True) as (src, dst):
            if name not in src.collections:
                raise SystemExit(f"{blend}: collection {name} was not written")
            dst.collections = [name]
        collection = dst.collections[0]
        empty = bpy.data.objects.new(f"Instance_{lib:02d}", None)
        empty.instance_type = "COLLECTION"
        empty.instance_collection = collection
        empty.location = (0.0, lib * 40.0, 0.0)
        scene.collection.objects.link(empty)
    bpy.ops.wm.save_as_mainfile(filepath=str(shot), relative_remap=True, compress=False)
    return shot


def is_cached(out: Path) -> bool:
    manifest = out / "production.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if data.get("layout_version") != LAYOUT_VERSION:
        return False
    return all((out / p).is_file() for p in [data["shot"], *data["libraries"], *data["textures"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--force", action="store_true", help="rebuild even when a cached production exists")
    # bpy passes its own argv through; only parse what follows the script name.
    args = parser.parse_args(sys.argv[1:])
    out: Path = args.outdir.resolve()
    if not args.force and is_cached(out):
        print(f"production cached in {out}")
        return
    (out / "production.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    # The shot is saved twice; no shot.blend1 backup should lie in the production.
    bpy.context.preferences.filepaths.save_version = 0
    textures = write_textures(out)
    libraries = [make_library(out, lib) for lib in range(LIBRARIES)]
    shot = make_shot(out, libraries)
    manifest = {
        "layout_version": LAYOUT_VERSION,
        "shot": shot.relative_to(out).as_posix(),
        "libraries": [p.relative_to(out).as_posix() for p in libraries],
        "textures": [p.relative_to(out).as_posix() for p in textures],
    }
    (out / "production.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(
        f"production in {out}: {len(libraries)} libraries x {OBJECTS_PER_LIBRARY} objects, "
        f"{len(textures)} textures, made in {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()
