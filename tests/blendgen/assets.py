# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiny but valid external files for the productions.

Images, movies, Alembic, USD and VDB are written by Blender itself; plain formats (WAV, OBJ,
IES, MDD, PC2, ...) are written here from the standard library. Helpers that need scene state
(movie, vdb, alembic, usd) make a mess of bpy.data: call them before ``blender.new_main``.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import wave
from pathlib import Path
from typing import Any

import bpy

from blendgen import blender


def strips_of(owner: Any) -> Any:
    """The strips collection: ``strips`` since Blender 5.0, ``sequences`` before (4.2 LTS)."""
    # An empty collection is falsy, so test for the attribute rather than its value.
    return owner.strips if hasattr(owner, "strips") else owner.sequences


def png(path: Path, size: int = 4, rgba: tuple[float, float, float, float] = (0.8, 0.3, 0.1, 1.0)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = bpy.data.images.new(f"tmp_{path.name}", size, size, alpha=True)
    img.pixels[:] = list(rgba) * (size * size)
    img.filepath_raw = str(path)
    img.file_format = "PNG"
    img.save()
    bpy.data.images.remove(img)
    return path


def png_frames(folder: Path, pattern: str, frames: list[int]) -> list[Path]:
    """``pattern`` has one ``{}`` for the frame number, e.g. ``'walk.{:04d}.png'``."""
    return [png(folder / pattern.format(f), rgba=(f / 10, 0.5, 0.5, 1.0)) for f in frames]


def wav(path: Path, frames: int = 800, rate: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", (i * 97) % 2000 - 1000) for i in range(frames)))
    return path


def movie(path: Path, frames: int = 3) -> Path:
    """An H.264 .mp4 rendered by Blender's sequencer from a colour strip (no camera needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = bpy.data.scenes.new(f"movie_{path.stem}")
    scene.frame_start, scene.frame_end = 1, frames
    ed = scene.sequence_editor_create()
    strip = strips_of(ed).new_effect("colour", "COLOR", 1, frame_start=1, length=frames)
    strip.color = (0.2, 0.6, 0.9)
    r = scene.render
    r.resolution_x = r.resolution_y = 16
    r.resolution_percentage = 100
    r.image_settings.media_type = "VIDEO"
    r.image_settings.file_format = "FFMPEG"
    r.ffmpeg.format = "MPEG4"
    r.ffmpeg.codec = "H264"
    with tempfile.TemporaryDirectory() as tmp:
        r.filepath = str(Path(tmp) / "out_")
        bpy.ops.render.render(animation=True, scene=scene.name)
        (made,) = list(Path(tmp).iterdir())
        shutil.move(str(made), path)
    bpy.data.scenes.remove(scene)
    return path


def text(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


CUBE_OBJ = """# cube
v -1 -1 -1\nv 1 -1 -1\nv 1 1 -1\nv -1 1 -1\nv -1 -1 1\nv 1 -1 1\nv 1 1 1\nv -1 1 1
f 1 2 3 4\nf 5 8 7 6\nf 1 5 6 2\nf 2 6 7 3\nf 3 7 8 4\nf 5 1 4 8
"""

TRIANGLE_STL = """solid tri
facet normal 0 0 1
outer loop
vertex 0 0 0
vertex 1 0 0
vertex 0 1 0
endloop
endfacet
endsolid tri
"""

TRIANGLE_PLY = """ply
format ascii 1.0
element vertex 3
property float x
property float y
property float z
element face 1
property list uchar int vertex_indices
end_header
0 0 0
1 0 0
0 1 0
3 0 1 2
"""

POINTS_CSV = "x,y,z\n0.0,0.0,0.0\n1.0,0.5,0.25\n"

# LM-63-2002 photometric file: one vertical angle set, one horizontal angle.
IES = """IESNA:LM-63-2002
[TEST] blendgen
TILT=NONE
1 1000 1 5 1 1 2 0 0 0
1 1 100
0 45 90 135 180
0
1000 900 600 300 0
"""

OSL = """shader blendgen_checker(color A = color(1, 0, 0), output color Out = 0)
{
    Out = A;
}
"""

OSL_CAMERA = """shader blendgen_lens(output point position = 0, output vector direction = vector(0, 0, 1),
                      output color throughput = 1)
{
    position = point(0, 0, 0);
}
"""


def mdd(path: Path, vertices: list[tuple[float, float, float]], frames: int = 2) -> Path:
    """LightWave MDD point cache: big-endian frame count, point count, times, positions."""
    data = struct.pack(">2i", frames, len(vertices))
    data += struct.pack(f">{frames}f", *[f / 24.0 for f in range(frames)])
    for f in range(frames):
        for x, y, z in vertices:
            data += struct.pack(">3f", x, y, z + 0.1 * f)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def pc2(path: Path, vertices: list[tuple[float, float, float]], frames: int = 2) -> Path:
    """3ds Max PC2 point cache: 'POINTCACHE2' header, then little-endian float positions."""
    data = b"POINTCACHE2\0" + struct.pack("<iiffi", 1, len(vertices), 1.0, 1.0, frames)
    for f in range(frames):
        for x, y, z in vertices:
            data += struct.pack("<3f", x, y, z + 0.1 * f)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def font(path: Path) -> Path:
    """A real TrueType font: the system's DejaVu if present, else one Blender ships."""
    candidates = [
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
        Path(bpy.utils.resource_path("LOCAL")) / "datafiles" / "fonts" / "DejaVuSansMono.woff2",
    ]
    src = next(p for p in candidates if p.is_file())
    path = path.with_suffix(src.suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, path)
    return path


def vdb(path: Path) -> Path:
    """An OpenVDB file written by a geometry-nodes bake of a mesh turned into a fog volume."""
    ob = blender.cube("vdb_source", size=1.0)
    mod = ob.modifiers.new("vdb", "NODES")
    tree = bpy.data.node_groups.new("vdb_bake", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    gin, gout = tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")
    to_volume = tree.nodes.new("GeometryNodeMeshToVolume")
    to_volume.inputs["Voxel Amount"].default_value = 4
    bake = tree.nodes.new("GeometryNodeBake")
    bake.bake_items.new("GEOMETRY", "Geometry")
    tree.links.new(gin.outputs[0], to_volume.inputs["Mesh"])
    tree.links.new(to_volume.outputs[0], bake.inputs[0])
    tree.links.new(bake.outputs[0], gout.inputs[0])
    mod.node_group = tree
    mod.bake_target = "DISK"
    with tempfile.TemporaryDirectory() as tmp:
        mod.bake_directory = tmp
        mod.bakes[0].bake_mode = "STILL"
        bpy.context.view_layer.update()
        with blender.override(object=ob, active_object=ob, selected_objects=[ob]):
            bpy.ops.object.geometry_node_bake_single(
                session_uid=ob.session_uid, modifier_name=mod.name, bake_id=mod.bakes[0].bake_id
            )
        (made,) = list(Path(tmp).rglob("*.vdb"))
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), path)
    bpy.data.objects.remove(ob)
    return path


def alembic(path: Path, frame_start: int = 1, frame_end: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not bpy.data.objects.get("abc_cube"):
        blender.cube("abc_cube")
    bpy.ops.wm.alembic_export(filepath=str(path), start=frame_start, end=frame_end, selected=False)
    return path


def usd(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not bpy.data.objects.get("usd_cube"):
        blender.cube("usd_cube")
    bpy.ops.wm.usd_export(filepath=str(path), selected_objects_only=False)
    return path
