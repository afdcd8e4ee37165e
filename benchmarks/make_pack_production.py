# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a ~2 GB production for the pack benchmark with real Blender (bpy 5.0.1).

    .venv/bin/python benchmarks/make_pack_production.py OUTDIR [--force]

OUTDIR/project/
  shots/sh010/sh010.blend        the shot: 150 objects whose materials use the 1500 shot textures,
                                 two Volume datablocks (smoke_a/b.vdb), one Sound (score.wav), and
                                 a linked collection "Props" from libs/props.blend
  libs/props.blend               150 objects whose materials use the 1500 prop textures, one with a
                                 Mesh Cache modifier reading caches/hero.pc2
  textures/{shot,props}/set_NN/  3000 small files (50-400 KB): a tiny real PNG padded with random bytes
  caches/smoke_a.vdb, smoke_b.vdb, hero.pc2    400 MB each, random bytes
  audio/score.wav                200 MB, random bytes
OUTDIR/production.json           the layout above (the cache key), written last

Like a real production, most stored paths are relative ('//...') but some are absolute
(every third shot texture, smoke_b.vdb, score.wav, every fifth prop texture), so packing must
rewrite both .blend files. Blender never decodes the files; the tracer only needs the paths.
A second run with the same parameters finds production.json and does nothing, so the
benchmark can call this unconditionally.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import struct
import sys
import time
import zlib
from pathlib import Path

import bpy

SMALL_PER_SET = 1500  # textures used by the shot, and again by the library
SMALL_MIN, SMALL_MAX = 50 * 1024, 400 * 1024
IMAGES_PER_MATERIAL = 10
BIG_FILES = {  # project-relative path -> size
    "caches/smoke_a.vdb": 400 * 1024**2,
    "caches/smoke_b.vdb": 400 * 1024**2,
    "caches/hero.pc2": 400 * 1024**2,
    "audio/score.wav": 200 * 1024**2,
}
ABSOLUTE_EVERY_SHOT, ABSOLUTE_EVERY_PROP = 3, 5
# Bump when the layout changes, so an old cache is rebuilt instead of silently reused.
LAYOUT_VERSION = 2
SPEC = {
    "layout_version": LAYOUT_VERSION,
    "small_per_set": SMALL_PER_SET,
    "small_bytes": [SMALL_MIN, SMALL_MAX],
    "big": BIG_FILES,
    "images_per_material": IMAGES_PER_MATERIAL,
}
CHUNK = 16 * 1024**2


def png_bytes(seed: int, size: int = 8) -> bytes:
    """A tiny valid RGB PNG; Blender decodes the textures it is given, and libpng stops at IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    r, g, b = (seed * 37) % 256, (seed * 101) % 256, (seed * 211) % 256
    rows = b"".join(
        b"\x00" + b"".join(bytes(((r + x) % 256, (g + y) % 256, b)) for x in range(size)) for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def texture_rel(group: str, n: int) -> str:
    return f"textures/{group}/set_{n // 100:02d}/{group}_{n:04d}.png"


def write_small_files(project: Path, group: str, rng: random.Random) -> list[Path]:
    paths = []
    for n in range(SMALL_PER_SET):
        path = project / texture_rel(group, n)
        path.parent.mkdir(parents=True, exist_ok=True)
        size = rng.randint(SMALL_MIN, SMALL_MAX)
        # A real PNG padded with random bytes to a texture's size (and to distinct content).
        head = png_bytes(n)
        path.write_bytes(head + os.urandom(size - len(head)))
        paths.append(path)
    return paths


def write_big_files(project: Path) -> None:
    for rel, size in BIG_FILES.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(CHUNK, left)
                f.write(os.urandom(n))
                left -= n


def stored_path(path: Path, blend: Path, absolute: bool) -> str:
    if absolute:
        return str(path)
    return "//" + Path(os.path.relpath(path, blend.parent)).as_posix()


def load_images(paths: list[Path], blend: Path, absolute_every: int, prefix: str) -> list[bpy.types.Image]:
    images = []
    for n, path in enumerate(paths):
        image = bpy.data.images.load(str(path), check_existing=False)
        image.name = f"{prefix}_{n:04d}"
        image.filepath = stored_path(path, blend, absolute=n % absolute_every == 0)
        images.append(image)
    return images


def make_material(name: str, images: list[bpy.types.Image]) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    # Blender 5.0 always shades with nodes (and warns on use_nodes); older versions need the switch.
    if bpy.app.version < (5, 0, 0):
        mat.use_nodes = True
    tree = mat.node_tree
    assert tree is not None
    bsdf = next(n for n in tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
    mix = None
    for slot, image in enumerate(images):
        node = tree.nodes.new("ShaderNodeTexImage")
        node.image = image
        node.location = (-600, -280 * slot)
        # A layered look-dev material: every texture feeds the colour through a mix chain, so
        # none of them is an unused node an artist would clean up.
        if mix is None:
            mix = node.outputs["Color"]
            continue
        blend = tree.nodes.new("ShaderNodeMix")
        blend.data_type = "RGBA"
        tree.links.new(mix, blend.inputs[6])
        tree.links.new(node.outputs["Color"], blend.inputs[7])
        mix = blend.outputs[2]
    if mix is not None:
        tree.links.new(mix, bsdf.inputs["Base Color"])
    return mat


def make_objects(
    prefix: str, images: list[bpy.types.Image], collection: bpy.types.Collection
) -> list[bpy.types.Object]:
    quad = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0)]
    objects = []
    for i in range(0, len(images), IMAGES_PER_MATERIAL):
        n = i // IMAGES_PER_MATERIAL
        mat = make_material(f"{prefix}_mat_{n:03d}", images[i : i + IMAGES_PER_MATERIAL])
        mesh = bpy.data.meshes.new(f"{prefix}_mesh_{n:03d}")
        mesh.from_pydata(quad, [], [(0, 1, 2, 3)])
        mesh.materials.append(mat)
        obj = bpy.data.objects.new(f"{prefix}_obj_{n:03d}", mesh)
        obj.location = (n % 15 * 1.5, n // 15 * 1.5, 0.0)
        collection.objects.link(obj)
        objects.append(obj)
    return objects


def save(path: Path) -> None:
    # No .blend1 backups: the project holds exactly what the pack should hold.
    bpy.context.preferences.filepaths.save_version = 0
    # relative_remap=False: the absolute paths set above are part of the production.
    bpy.ops.wm.save_as_mainfile(filepath=str(path), relative_remap=False, compress=False)


def make_library(project: Path, textures: list[Path]) -> Path:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blend = project / "libs" / "props.blend"
    blend.parent.mkdir(parents=True, exist_ok=True)
    # A first save, so Blender's first-save remap (which makes every path relative) is over
    # before the absolute paths are set.
    save(blend)
    props = bpy.data.collections.new("Props")
    bpy.context.scene.collection.children.link(props)
    images = load_images(textures, blend, ABSOLUTE_EVERY_PROP, "prop")
    objects = make_objects("prop", images, props)
    cache = objects[0].modifiers.new("hero_cache", "MESH_CACHE")
    cache.cache_format = "PC2"
    cache.filepath = stored_path(project / "caches/hero.pc2", blend, absolute=False)
    save(blend)
    return blend


def make_shot(project: Path, textures: list[Path], library: Path) -> Path:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    shot = project / "shots" / "sh010" / "sh010.blend"
    shot.parent.mkdir(parents=True, exist_ok=True)
    save(shot)
    scene = bpy.context.scene
    images = load_images(textures, shot, ABSOLUTE_EVERY_SHOT, "shot")
    set_dressing = bpy.data.collections.new("SetDressing")
    scene.collection.children.link(set_dressing)
    make_objects("shot", images, set_dressing)
    for name, absolute in (("smoke_a", False), ("smoke_b", True)):
        volume = bpy.data.volumes.new(name)
        volume.filepath = stored_path(project / f"caches/{name}.vdb", shot, absolute)
        scene.collection.objects.link(bpy.data.objects.new(name, volume))
    sound = bpy.data.sounds.load(str(project / "audio/score.wav"), check_existing=False)
    sound.filepath = stored_path(project / "audio/score.wav", shot, absolute=True)
    sound.use_fake_user = True
    with bpy.data.libraries.load(str(library), link=True, relative=True) as (_src, dst):
        dst.collections = ["Props"]
    props = dst.collections[0]
    instance = bpy.data.objects.new("Props", None)
    instance.instance_type = "COLLECTION"
    instance.instance_collection = props
    scene.collection.objects.link(instance)
    save(shot)
    return shot


def build(out: Path) -> dict[str, object]:
    project = out / "project"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    rng = random.Random(2024)
    started = time.perf_counter()
    shot_textures = write_small_files(project, "shot", rng)
    prop_textures = write_small_files(project, "props", rng)
    write_big_files(project)
    library = make_library(project, prop_textures)
    shot = make_shot(project, shot_textures, library)
    files = [p for p in project.rglob("*") if p.is_file()]
    return {
        "spec": SPEC,
        "project": str(project),
        "shot": str(shot),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--force", action="store_true", help="rebuild even if production.json matches")
    args = parser.parse_args(sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else None)
    out: Path = args.out.resolve()
    stamp = out / "production.json"
    if not args.force and stamp.exists():
        try:
            if json.loads(stamp.read_text())["spec"] == json.loads(json.dumps(SPEC)):
                print(f"production up to date in {out}")
                return 0
        except (ValueError, KeyError):
            pass
    out.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    print(f"building the pack production in {out} ...", flush=True)
    info = build(out)
    stamp.write_text(json.dumps(info, indent=2) + "\n")
    print(f"{info['files']} files, {int(info['bytes']) / 1e9:.2f} GB in {info['build_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
