# SPDX-License-Identifier: GPL-3.0-or-later
"""Write small .blend files with real Blender (the bpy module) plus what Blender says about them.

Run with a Python that has bpy:  python make_samples.py OUTDIR
Writes lib.blend, main.blend (uncompressed), main_zstd.blend (Blender's compression),
main_gzip.blend (the uncompressed file gzipped, as Blender <= 2.9x wrote them) and facts.json,
the oracle the reader tests compare against. Works with bpy 4.2 LTS and 5.0.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

import bpy


def _image(name: str, path: str, size: int = 4) -> bpy.types.Image:
    img = bpy.data.images.new(name, size, size)
    img.filepath_raw = path
    return img


def _textured_material(name: str, image: bpy.types.Image) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    tex = mat.node_tree.nodes.new("ShaderNodeTexImage")
    tex.image = image
    return mat


def _save_png(img: bpy.types.Image, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    img.filepath_raw = str(out)
    img.file_format = "PNG"
    img.save()


def make_library(outdir: Path) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    img = _image("lib_tex", "")
    _save_png(img, outdir / "textures" / "lib_tex.png")
    img.filepath = "//textures/lib_tex.png"
    coll = bpy.data.collections.new("LibCollection")
    bpy.context.scene.collection.children.link(coll)
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    cube.name = "LibCube"
    cube.data.name = "LibCubeMesh"
    cube.data.materials.append(_textured_material("LibMaterial", img))
    for c in cube.users_collection:
        c.objects.unlink(cube)
    coll.objects.link(cube)
    bpy.ops.wm.save_as_mainfile(filepath=str(outdir / "lib.blend"), compress=False, relative_remap=False)


def make_main(outdir: Path) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.filepaths.save_version = 0
    # Saved once up front so that linking below can store a path relative to this file.
    bpy.ops.wm.save_as_mainfile(filepath=str(outdir / "main.blend"), compress=False)
    scene = bpy.context.scene
    bpy.ops.mesh.primitive_monkey_add()
    bpy.context.active_object.name = "Suzanne"
    bpy.ops.mesh.primitive_plane_add()
    bpy.context.active_object.name = "Plane"
    bpy.ops.mesh.primitive_ico_sphere_add(subdivisions=2)
    bpy.context.active_object.name = "Ico"

    rel = _image("relative_tex", "")
    _save_png(rel, outdir / "textures" / "main_tex.png")
    rel.filepath = "//textures/main_tex.png"
    absolute = _image("absolute_tex", str(outdir / "textures" / "abs_tex.png"))
    _save_png(absolute, outdir / "textures" / "abs_tex.png")
    bpy.data.objects["Plane"].data.materials.append(_textured_material("PlaneMaterial", rel))
    bpy.data.objects["Ico"].data.materials.append(_textured_material("IcoMaterial", absolute))

    with bpy.data.libraries.load(str(outdir / "lib.blend"), link=True, relative=True) as (_src, dst):
        dst.collections = ["LibCollection"]
    instance = bpy.data.objects.new("LibInstance", None)
    instance.instance_type = "COLLECTION"
    instance.instance_collection = dst.collections[0]
    scene.collection.objects.link(instance)

    bpy.ops.wm.save_as_mainfile(filepath=str(outdir / "main_zstd.blend"), compress=True, relative_remap=False)
    bpy.ops.wm.save_as_mainfile(filepath=str(outdir / "main.blend"), compress=False, relative_remap=False)
    with open(outdir / "main.blend", "rb") as src_f, gzip.open(outdir / "main_gzip.blend", "wb") as dst_f:
        shutil.copyfileobj(src_f, dst_f)


def facts_of(path: Path) -> dict[str, object]:
    """What Blender itself reports for a file, after opening it."""
    bpy.ops.wm.open_mainfile(filepath=str(path))
    local = [ob for ob in bpy.data.objects if ob.library is None]
    return {
        "version": bpy.data.version[0] * 100 + bpy.data.version[1],
        "objects": sorted(ob.name for ob in local),
        "linked_objects": sorted(ob.name for ob in bpy.data.objects if ob.library is not None),
        "images": {img.name: img.filepath for img in bpy.data.images if img.library is None and img.filepath},
        "libraries": {lib.name: lib.filepath for lib in bpy.data.libraries},
        "mesh_vertices": {me.name: len(me.vertices) for me in bpy.data.meshes if me.library is None},
        "materials": sorted(m.name for m in bpy.data.materials if m.library is None),
    }


def main() -> None:
    outdir = Path(sys.argv[-1]).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    make_library(outdir)
    make_main(outdir)
    facts = {name: facts_of(outdir / name) for name in ("lib.blend", "main.blend", "main_zstd.blend")}
    facts["blender_version"] = bpy.app.version_string  # type: ignore[assignment]
    (outdir / "facts.json").write_text(json.dumps(facts, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
