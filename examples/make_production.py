# SPDX-License-Identifier: GPL-3.0-or-later
"""Build a small sample production with real Blender (run with a Python that has bpy).

    python examples/make_production.py OUTDIR

OUTDIR/shots/shot_010.blend links a collection from OUTDIR/libs/props.blend, which links a
material from OUTDIR/libs/materials.blend; textures are relative to each library, one image is
an image sequence, one a UDIM set, and one texture lives outside the project folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy


def _png(path: Path, color: tuple[float, float, float, float], size: int = 16) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = bpy.data.images.new(path.stem, size, size)
    img.pixels[:] = list(color) * (size * size)
    img.filepath_raw = str(path)
    img.file_format = "PNG"
    img.save()
    bpy.data.images.remove(img)


def _material(name: str, image: bpy.types.Image) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    node = mat.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = image
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    if bsdf is not None:
        mat.node_tree.links.new(node.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _reset(path: Path) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.filepaths.save_version = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def materials_library(root: Path, outside: Path) -> None:
    path = root / "libs" / "materials.blend"
    _reset(path)
    _png(root / "libs" / "textures" / "wood.png", (0.5, 0.3, 0.1, 1))
    _png(outside / "shared_metal.png", (0.7, 0.7, 0.7, 1))
    wood = bpy.data.images.load(str(root / "libs" / "textures" / "wood.png"))
    wood.filepath = "//textures/wood.png"
    metal = bpy.data.images.load(str(outside / "shared_metal.png"))
    for name, image in (("Wood", wood), ("Metal", metal)):
        _material(name, image).use_fake_user = True
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def props_library(root: Path) -> None:
    path = root / "libs" / "props.blend"
    _reset(path)
    with bpy.data.libraries.load(str(root / "libs" / "materials.blend"), link=True, relative=True) as (_src, dst):
        dst.materials = ["Wood", "Metal"]
    coll = bpy.data.collections.new("Props")
    bpy.context.scene.collection.children.link(coll)
    for i, mat in enumerate(dst.materials):
        bpy.ops.mesh.primitive_cube_add(location=(i * 3, 0, 0))
        obj = bpy.context.active_object
        obj.name = f"Crate{i}"
        obj.data.materials.append(mat)
        for c in obj.users_collection:
            c.objects.unlink(obj)
        coll.objects.link(obj)
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def shot(root: Path) -> None:
    path = root / "shots" / "shot_010.blend"
    _reset(path)
    for frame in range(1, 5):
        _png(root / "shots" / "plates" / f"plate.{frame:04d}.png", (frame / 4, 0.2, 0.2, 1))
    for tile in (1001, 1002):
        _png(root / "textures" / f"terrain.{tile}.png", (0.1, tile - 1000.5, 0.1, 1))
    plate = bpy.data.images.load(str(root / "shots" / "plates" / "plate.0001.png"))
    plate.source = "SEQUENCE"
    plate.filepath = "//plates/plate.0001.png"
    terrain = bpy.data.images.load(str(root / "textures" / "terrain.1001.png"))
    terrain.source = "TILED"
    terrain.filepath = "//../textures/terrain.<UDIM>.png"
    terrain.tiles.new(tile_number=1002)
    bpy.ops.mesh.primitive_plane_add(size=20)
    ground = bpy.context.active_object
    ground.data.materials.append(_material("Ground", terrain))
    ground.data.materials.append(_material("Plate", plate))
    with bpy.data.libraries.load(str(root / "libs" / "props.blend"), link=True, relative=True) as (_src, dst):
        dst.collections = ["Props"]
    instance = bpy.data.objects.new("Props", None)
    instance.instance_type = "COLLECTION"
    instance.instance_collection = dst.collections[0]
    bpy.context.scene.collection.objects.link(instance)
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def main() -> None:
    out = Path(sys.argv[-1]).resolve()
    root = out / "project"
    outside = out / "shared_assets"
    materials_library(root, outside)
    props_library(root)
    shot(root)
    print(root / "shots" / "shot_010.blend")


if __name__ == "__main__":
    main()
