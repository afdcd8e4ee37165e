# SPDX-License-Identifier: GPL-3.0-or-later
"""A small world of .blend files with hostile stored paths, written by real Blender, for the pack tests.

Layout (``world`` is a fresh temporary folder)::

    world/project/<case>.blend   one file per case, the hostile path stored in it
    world/project/tex/...        the files some of those paths name
    world/outside/               files outside the project (a texture, a library with its own texture)

Paths Blender cannot store through Python (invalid UTF-8, bytes after a NUL) are written into
copies with bat_core's byte-level rewriter. Folders named for long paths are created for real.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bpy_run import run_bpy

from bat_core.blendfile import FieldEdit, open_blend, write_rewritten_copy

LONG_DIRS = ["d" * 240] * 4  # ~970 bytes of path: within Blender's 1024-byte field and Linux's 4096
WEIRD_NAME = 'we ird\t<>:"|?*\x01\x7f.png'
INVALID_UTF8 = b"//tex/\xff\xfe-\xc3(.png"
NUL_INSIDE = b"//tex/nul.png\0../../../../../../../../etc/passwd"


@dataclass(frozen=True)
class Case:
    name: str
    stored: bytes  # the path as the .blend stores it
    kind: str  # "image" or "library"
    expect: str  # "packed": its file goes into the pack; "missing": reported missing; "problem": library unreadable


IMAGE_CASES: tuple[Case, ...] = (
    Case("escape_to_etc_passwd", b"//" + b"../" * 40 + b"etc/passwd", "image", "packed"),
    Case("escape_to_sibling_folder", b"//../outside/secret.png", "image", "packed"),
    Case("dotdot_in_the_middle", b"//tex/../../outside/secret.png", "image", "packed"),
    Case("absolute_system_path", b"/etc/passwd", "image", "packed"),
    Case("windows_drive", b"C:\\x\\y.png", "image", "missing"),
    Case("windows_unc", b"\\\\server\\share\\z.png", "image", "missing"),
    Case("weird_bytes", b"//tex/" + WEIRD_NAME.encode(), "image", "packed"),
    Case("long_path", ("//" + "/".join(LONG_DIRS) + "/long.png").encode(), "image", "packed"),
    Case("over_long_name", b"//tex/" + b"n" * 300 + b".png", "image", "missing"),
    Case("fifo_as_image", b"//tex/pipe.png", "image", "missing"),
    Case("device_as_image", b"/dev/zero", "image", "missing"),
)
PATCHED_CASES: tuple[Case, ...] = (
    Case("invalid_utf8", INVALID_UTF8, "image", "packed"),
    Case("bytes_after_nul", NUL_INSIDE, "image", "packed"),
)
LIBRARY_CASES: tuple[Case, ...] = (
    Case("library_outside_project", b"//../outside/lib.blend", "library", "packed"),
    Case("library_is_dev_zero", b"/dev/zero", "library", "problem"),
    Case("library_is_a_fifo", b"//tex/pipe.blend", "library", "problem"),
    Case("library_is_a_folder", b"//tex/", "library", "problem"),
    Case("library_escapes_to_etc", b"//" + b"../" * 40 + b"etc/passwd", "library", "problem"),
    Case("library_over_long_name", b"//" + b"n" * 300 + b".blend", "library", "problem"),
)
ALL_CASES = IMAGE_CASES + PATCHED_CASES + LIBRARY_CASES

_MAKE = """
import os
import bpy

project, outside, cases = args


def save(path):
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False, relative_remap=False)


def add_image(name, path):
    img = bpy.data.images.new(name, 4, 4)
    img.filepath_raw = path
    img.source = "FILE"
    mat = bpy.data.materials.new("M_" + name)
    mat.use_nodes = True
    mat.node_tree.nodes.new("ShaderNodeTexImage").image = img
    mesh = bpy.data.meshes.new("mesh_" + name)
    mesh.materials.append(mat)
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("obj_" + name, mesh))


# The library outside the project, with a texture relative to itself.
bpy.ops.wm.read_factory_settings(use_empty=True)
save(os.path.join(outside, "lib.blend"))
add_image("libtex", "//tex/libtex.png")
coll = bpy.data.collections.new("LibColl")
for obj in list(bpy.context.scene.collection.objects):
    coll.objects.link(obj)
coll.use_fake_user = True
save(os.path.join(outside, "lib.blend"))

for name, path in cases:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    target = os.path.join(project, name + ".blend")
    save(target)
    add_image(name, path)
    save(target)

# One file linking the collection from the outside library (its path is patched per case).
bpy.ops.wm.read_factory_settings(use_empty=True)
target = os.path.join(project, "library_base.blend")
save(target)
with bpy.data.libraries.load(os.path.join(outside, "lib.blend"), link=True, relative=True) as (src, dst):
    dst.collections = ["LibColl"]
empty = bpy.data.objects.new("LibInstance", None)
empty.instance_type = "COLLECTION"
empty.instance_collection = bpy.data.collections["LibColl"]
bpy.context.scene.collection.objects.link(empty)
save(target)
result = [lib.filepath for lib in bpy.data.libraries]
"""


def build_world(world: Path) -> Path:
    """Write every case's .blend and the files they name; returns the project folder."""
    project, outside = world / "project", world / "outside"
    tex = project / "tex"
    for folder in (tex, outside / "tex"):
        folder.mkdir(parents=True)
    (outside / "secret.png").write_bytes(b"outside the project")
    (outside / "tex" / "libtex.png").write_bytes(b"library texture")
    (tex / WEIRD_NAME).write_bytes(b"weird")
    (tex / "nul.png").write_bytes(b"before the NUL")
    long_dir = project.joinpath(*LONG_DIRS)
    long_dir.mkdir(parents=True)
    (long_dir / "long.png").write_bytes(b"long")
    os.mkfifo(tex / "pipe.png")
    os.mkfifo(tex / "pipe.blend")
    (tex / os.fsdecode(INVALID_UTF8[len(b"//tex/") :])).write_bytes(b"not utf-8")

    placeholder = "//tex/placeholder-long-enough-for-any-patch.png"
    made = [(c.name, os.fsdecode(c.stored)) for c in IMAGE_CASES] + [(c.name, placeholder) for c in PATCHED_CASES]
    libraries = run_bpy(_MAKE, str(project), str(outside), made)
    assert libraries == ["//../outside/lib.blend"], libraries
    for case in PATCHED_CASES:
        _patch(project / f"{case.name}.blend", b"IM", "name", case.stored)
    for case in LIBRARY_CASES:
        base = project / "library_base.blend"
        _patch(base, b"LI", "name", case.stored, project / f"{case.name}.blend")
    return project


def _patch(path: Path, code: bytes, field: str, value: bytes, out: Path | None = None) -> None:
    """Store raw bytes (any bytes but the field's terminating NUL) in the first `code` block's field."""
    staged = path.with_suffix(".patched")
    with open_blend(path) as bf:
        view = bf.view(next(bf.blocks_with_code(code)))
        at, f = view.location(field)
        assert len(value) < f.size
        write_rewritten_copy(bf, staged, [FieldEdit(at, f.size, value.ljust(f.size, b"\0"))])
    staged.replace(out or path)
