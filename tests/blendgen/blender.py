# SPDX-License-Identifier: GPL-3.0-or-later
"""Small bpy helpers shared by the kind builders (runs only in the generator's child process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bmesh
import bpy

from blendgen.recorder import Recorder


def reset() -> None:
    """Start from an empty factory file; no .blend1 backups, so none can be mistaken for data."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.filepaths.save_version = 0
    scene = bpy.context.scene
    scene.frame_start = 1
    scene.frame_end = 3


def new_main(rec: Recorder, rel: str) -> Path:
    """Reset and save an empty main file first, so that '//' paths resolve against it."""
    reset()
    path = rec.path(rel)
    save_as(path)
    rec.main = path
    return path


def save_as(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(path), relative_remap=False)


def save() -> None:
    bpy.ops.wm.save_mainfile()


def cube(name: str, size: float = 1.0, link: bool = True) -> Any:
    me = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=size)
    bm.to_mesh(me)
    bm.free()
    ob = bpy.data.objects.new(name, me)
    if link:
        bpy.context.scene.collection.objects.link(ob)
    return ob


def uv_cube(name: str) -> Any:
    ob = cube(name)
    ob.data.uv_layers.new(name="UVMap")
    return ob


def image_material(name: str, image: Any) -> Any:
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    tex = nodes.new("ShaderNodeTexImage")
    tex.image = image
    bsdf = nodes.get("Principled BSDF")
    if bsdf is not None:
        mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def override(**kw: Any) -> Any:
    return bpy.context.temp_override(**kw)
