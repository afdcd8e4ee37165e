# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs inside the real Blender: builds a small production the way an artist's files look.

    blender --background --factory-startup --python make_shot.py -- PROJECT BULK_COUNT BULK_PIXELS

PROJECT/
  lib/props.blend        a library: object "Prop" with a material using //../textures/wood.png
  textures/*.png         small textures; bulk_NN.bmp: BULK_COUNT noise images (BULK_PIXELS²,
                         uncompressed so each one is big and unique, for a visible upload)
  shots/shot.blend       links the Prop collection, a cube with brick.png and the bulk images
  shots/shot_missing.blend  the same plus an image whose file is gone
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy
import numpy as np

args = sys.argv[sys.argv.index("--") + 1 :]
PROJECT = Path(args[0])
BULK_COUNT = int(args[1])
BULK_PIXELS = int(args[2])


def save_image(name: str, disk: Path, size: int, fmt: str, seed: int) -> bpy.types.Image:
    image = bpy.data.images.new(name, size, size)
    rng = np.random.default_rng(seed)
    image.pixels.foreach_set(rng.random(size * size * 4, dtype=np.float32))
    image.filepath_raw = str(disk)
    image.file_format = fmt
    image.save()
    return image


def material_with(name: str, images: list[bpy.types.Image]) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    if hasattr(material, "use_nodes"):  # always on, and deprecated, since Blender 5.0
        material.use_nodes = True
    nodes = material.node_tree.nodes
    for i, image in enumerate(images):
        node = nodes.new("ShaderNodeTexImage")
        node.image = image
        node.location = (-400, -300 * i)
    return material


def reset() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)


def make_library() -> Path:
    reset()
    wood = save_image("wood", PROJECT / "textures" / "wood.png", 16, "PNG", 1)
    wood.filepath = "//../textures/wood.png"
    mesh = bpy.data.meshes.new("PropMesh")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    mesh.materials.append(material_with("Wood", [wood]))
    prop = bpy.data.objects.new("Prop", mesh)
    collection = bpy.data.collections.new("Props")
    collection.objects.link(prop)
    bpy.context.scene.collection.children.link(collection)
    path = PROJECT / "lib" / "props.blend"
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(path), relative_remap=False)
    return path


def make_shot(library: Path, missing: bool) -> Path:
    reset()
    shots = PROJECT / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    with bpy.data.libraries.load(str(library), link=True, relative=True) as (_src, dst):
        dst.collections = ["Props"]
    instance = bpy.data.objects.new("PropInstance", None)
    instance.instance_type = "COLLECTION"
    instance.instance_collection = dst.collections[0]
    bpy.context.scene.collection.objects.link(instance)

    brick = save_image("brick", PROJECT / "textures" / "brick.png", 16, "PNG", 2)
    brick.filepath = "//../textures/brick.png"
    images = [brick]
    for i in range(BULK_COUNT):
        disk = PROJECT / "textures" / f"bulk_{i:02d}.bmp"
        if disk.exists():  # made for the first shot; the second one uses the same files
            bulk = bpy.data.images.load(str(disk))
        else:
            bulk = save_image(f"bulk_{i:02d}", disk, BULK_PIXELS, "BMP", 100 + i)
        bulk.filepath = f"//../textures/bulk_{i:02d}.bmp"
        images.append(bulk)
    if missing:
        gone = bpy.data.images.new("gone", 4, 4)
        gone.source = "FILE"
        gone.filepath = "//../textures/gone.png"
        images.append(gone)
    mesh = bpy.data.meshes.new("CubeMesh")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)], [], [(0, 1, 2, 3)])
    mesh.materials.append(material_with("Brick", images))
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Cube", mesh))
    path = shots / ("shot_missing.blend" if missing else "shot.blend")
    # Paths were set relative by hand; keep them as they are.
    bpy.ops.wm.save_as_mainfile(filepath=str(path), relative_remap=False)
    return path


library = make_library()
for missing in (False, True):
    print("MADE", make_shot(library, missing), flush=True)
