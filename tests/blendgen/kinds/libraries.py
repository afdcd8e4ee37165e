# SPDX-License-Identifier: GPL-3.0-or-later
"""Linked libraries: relative, absolute, chains, packed, and data a library has but nobody uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from blendgen import assets, blender
from blendgen.recorder import Recorder


def _textured_collection(coll_name: str, image_path: str, collection: Any = None) -> Any:
    """A collection with one cube whose material uses an image at ``image_path`` (as stored)."""
    coll = collection or bpy.data.collections.new(coll_name)
    if collection is None:
        bpy.context.scene.collection.children.link(coll)
    ob = blender.uv_cube(f"{coll_name}_cube")
    bpy.context.scene.collection.objects.unlink(ob)
    coll.objects.link(ob)
    img = bpy.data.images.new(f"{coll_name}_img", 4, 4)
    img.source = "FILE"
    img.filepath = image_path
    ob.data.materials.append(blender.image_material(f"{coll_name}_mat", img))
    return coll


def _link_collection(lib: Path, name: str, relative: bool, parent: Any = None) -> Any:
    with bpy.data.libraries.load(str(lib), link=True, relative=relative) as (_src, dst):
        dst.collections = [name]
    coll = dst.collections[0]
    inst = bpy.data.objects.new(f"{name}_instance", None)
    inst.instance_type = "COLLECTION"
    inst.instance_collection = coll
    (parent or bpy.context.scene.collection).objects.link(inst)
    return coll


def libraries(rec: Recorder) -> None:
    rel_lib, abs_lib = rec.path("libs/props.blend"), rec.path("elsewhere/chars.blend")
    assets.png(rec.path("libs/tex/crate.png"))
    assets.png(rec.path("elsewhere/tex/skin.png"))
    for lib, coll in ((rel_lib, "Props"), (abs_lib, "Chars")):
        blender.reset()
        blender.save_as(lib)
        tex = "crate" if coll == "Props" else "skin"
        _textured_collection(coll, f"//tex/{tex}.png")
        # chars.blend is zstd-compressed: a tracer must read compressed libraries too.
        bpy.ops.wm.save_mainfile(compress=coll == "Chars")
    blender.new_main(rec, "shots/shot.blend")
    _link_collection(rel_lib, "Props", relative=True)
    _link_collection(abs_lib, "Chars", relative=False)
    bpy.ops.wm.save_mainfile(compress=True)
    rec.note(
        "props.blend linked by a relative path (//../libs/props.blend), chars.blend by an absolute "
        "one; each library's image path is relative to that library, not to the shot. shot.blend "
        "and chars.blend are saved compressed (zstd)."
    )


def library_chain(rec: Recorder) -> None:
    lib_a, lib_b = rec.path("libs/a/lib_a.blend"), rec.path("libs/b/lib_b.blend")
    bark = assets.png(rec.path("libs/b/tex/bark.png"))
    moss = assets.png(rec.path("shared_abs/moss.png"))
    leaf = assets.png(rec.path("libs/a/tex/leaf.png"))
    unused = assets.png(rec.path("libs/a/tex/unused.png"))
    unused_b = assets.png(rec.path("libs/b/tex/unused_b.png"))

    blender.reset()
    blender.save_as(lib_b)
    tree = _textured_collection("Tree", "//tex/bark.png")
    _textured_collection("Tree", str(moss), collection=tree)  # absolute path inside lib B
    _textured_collection("UnusedB", "//tex/unused_b.png")
    blender.save()

    blender.reset()
    blender.save_as(lib_a)
    forest = _textured_collection("Forest", "//tex/leaf.png")
    _link_collection(lib_b, "Tree", relative=False, parent=forest)  # A -> B stored absolute
    _textured_collection("Unused", "//tex/unused.png")
    blender.save()

    blender.new_main(rec, "shots/shot.blend")
    _link_collection(lib_a, "Forest", relative=True)
    blender.save()
    rec.all_library_data([unused, unused_b])
    rec.note(
        f"shot -> lib_a (relative) -> lib_b (absolute). Used: {leaf.name} (lib A), {bark.name} "
        f"(lib B, relative to lib B), {moss.name} (absolute, inside lib B). Collections 'Unused' "
        "(lib A) and 'UnusedB' (lib B) are not used by the shot: their images appear only in "
        "expected_all_library_data."
    )


def library_packed(rec: Recorder) -> None:
    lib = rec.path("libs/packed_lib.blend")
    assets.png(rec.path("libs/tex/inside.png"))
    blender.reset()
    blender.save_as(lib)
    _textured_collection("PackedSet", "//tex/inside.png")
    blender.save()
    blender.new_main(rec, "shot.blend")
    _link_collection(lib, "PackedSet", relative=True)
    # Packs every library of the file; there is no per-library pack in the Python API.
    bpy.ops.file.pack_libraries()
    blender.save()
    rec.packed(lib)

    def really_packed() -> None:
        got = bpy.data.libraries[lib.name]
        if got.packed_file is None:
            raise AssertionError(f"{lib.name} is not packed after reopening")

    rec.on_reopen(really_packed)
    rec.note(
        "packed_lib.blend is packed into the shot (Library.packedfile; the file is still on disk); "
        "the image its datablocks use (libs/tex/inside.png, relative to the library) stays "
        "external and is a dependency."
    )
