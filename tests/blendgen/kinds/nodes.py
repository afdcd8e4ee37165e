# SPDX-License-Identifier: GPL-3.0-or-later
"""Geometry nodes: bakes on disk and file-import nodes with paths in socket values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from blendgen import assets, blender
from blendgen.recorder import Recorder


def _geometry_tree(name: str) -> tuple[Any, Any, Any]:
    tree = bpy.data.node_groups.new(name, "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    return tree, tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")


def _two_bakes_tree(name: str) -> Any:
    tree, gin, gout = _geometry_tree(name)
    join = tree.nodes.new("GeometryNodeJoinGeometry")
    for _ in range(2):
        bake = tree.nodes.new("GeometryNodeBake")
        bake.bake_items.new("GEOMETRY", "Geometry")
        tree.links.new(gin.outputs[0], bake.inputs[0])
        tree.links.new(bake.outputs[0], join.inputs[0])
    tree.links.new(join.outputs[0], gout.inputs[0])
    return tree


def _bake_all(ob: Any, mod: Any) -> None:
    bpy.context.view_layer.update()
    with blender.override(object=ob, active_object=ob, selected_objects=[ob]):
        for bake in mod.bakes:
            bpy.ops.object.geometry_node_bake_single(
                session_uid=ob.session_uid, modifier_name=mod.name, bake_id=bake.bake_id
            )


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def gn_bake(rec: Recorder) -> None:
    main = blender.new_main(rec, "shot.blend")
    bpy.context.scene.frame_end = 2
    tree = _two_bakes_tree("TwoBakes")

    explicit = blender.cube("Explicit")
    mod = explicit.modifiers.new("GeoNodes", "NODES")
    mod.node_group = tree
    mod.bake_target = "DISK"
    mod.bake_directory = "//bakes/"
    mod.bakes[1].use_custom_path = True
    mod.bakes[1].directory = "//custom_bake/"
    mod.bakes[0].bake_mode = "STILL"
    _bake_all(explicit, mod)

    default = blender.cube("Default")
    mod2 = default.modifiers.new("GeoNodes", "NODES")
    mod2.node_group = tree
    mod2.bake_target = "DISK"
    _bake_all(default, mod2)  # empty bake_directory: Blender fills in a default under blendcache_
    blender.save()

    ids = [str(b.bake_id) for b in mod.bakes]
    used = _files_under(rec.root / "bakes" / ids[0]) + _files_under(rec.root / "custom_bake")
    default_dir = main.parent / f"blendcache_{main.stem}" / "Default_GeoNodes"
    used += _files_under(default_dir)
    if not any(p.suffix == ".blob" for p in used) or not any(p.suffix == ".json" for p in used):
        raise AssertionError("geometry nodes bakes wrote no meta/blobs")
    rec.decoy(
        assets.text(rec.root / "bakes" / "12345" / "meta" / "00001_00000.json", "{}"),
        assets.text(rec.root / "bakes" / ids[1] / "meta" / "stale.json", "{}"),
    )
    rec.unlisted(used)
    rec.note(
        f"Geometry-nodes bakes on disk (NodesModifierData.bake_target DISK). Object Explicit: "
        f"bake_directory //bakes/ -> bake {ids[0]} in //bakes/{ids[0]}/(meta|blobs)/, bake {ids[1]} "
        "has its own directory //custom_bake/ (NodesModifierBake.directory, flag custom path). "
        "Object Default: empty bake_directory, Blender set //blendcache_shot/Default_GeoNodes/. "
        "blend_paths lists none of them. Decoys: a folder for a bake id that does not exist, and a "
        "stale file in the folder of the bake that uses a custom path."
    )

    def default_dir_stored() -> None:
        stored = bpy.data.objects["Default"].modifiers["GeoNodes"].bake_directory
        if "blendcache_shot" not in stored:
            raise AssertionError(f"unexpected default bake directory {stored!r}")

    rec.on_reopen(default_dir_stored)


IMPORTERS = (
    ("GeometryNodeImportOBJ", "geo/cube.obj", assets.CUBE_OBJ),
    ("GeometryNodeImportSTL", "geo/tri.stl", assets.TRIANGLE_STL),
    ("GeometryNodeImportPLY", "geo/tri.ply", assets.TRIANGLE_PLY),
    ("GeometryNodeImportCSV", "geo/points.csv", assets.POINTS_CSV),
    ("GeometryNodeImportText", "geo/notes.txt", "hello\n"),
)


def gn_import(rec: Recorder) -> None:
    for _, rel, content in IMPORTERS:
        assets.text(rec.path(rel), content)
    from_modifier = assets.text(rec.path("geo/from_modifier.obj"), assets.CUBE_OBJ)
    vdb = assets.vdb(rec.path("geo/grid.vdb"))
    blender.new_main(rec, "shot.blend")
    tree, _gin, gout = _geometry_tree("Importers")
    socket = tree.interface.new_socket("Path", in_out="INPUT", socket_type="NodeSocketString")
    socket.subtype = "FILE_PATH"
    join = tree.nodes.new("GeometryNodeJoinGeometry")
    for node_type, rel, _ in (*IMPORTERS, ("GeometryNodeImportVDB", f"geo/{vdb.name}", "")):
        node = tree.nodes.new(node_type)
        node.inputs["Path"].default_value = f"//{rel}"
        if node.outputs[0].type == "GEOMETRY":
            tree.links.new(node.outputs[0], join.inputs[0])
    from_input = tree.nodes.new("GeometryNodeImportOBJ")
    tree.links.new(_gin.outputs["Path"], from_input.inputs["Path"])
    tree.links.new(from_input.outputs[0], join.inputs[0])
    # Import OBJ yields instances; realize them so the evaluated mesh shows what was read.
    realize = tree.nodes.new("GeometryNodeRealizeInstances")
    tree.links.new(join.outputs[0], realize.inputs[0])
    tree.links.new(realize.outputs[0], gout.inputs[0])
    ob = blender.cube("Imported")
    mod = ob.modifiers.new("GeoNodes", "NODES")
    mod.node_group = tree
    mod[socket.identifier] = "//geo/from_modifier.obj"
    blender.save()
    # The modifier input is an IDProperty on NodesModifierData.settings; blend_paths skips it,
    # yet evaluating the modifier reads the file.
    rec.unlisted([from_modifier])
    identifier = socket.identifier

    def modifier_path_is_read() -> None:
        # Proves the claim above: clearing the modifier's path drops the OBJ's 8 vertices.
        ob = bpy.data.objects["Imported"]
        counts = []
        for value in ("//geo/from_modifier.obj", ""):
            ob.modifiers["GeoNodes"][identifier] = value
            ob.update_tag()
            ev = ob.evaluated_get(bpy.context.evaluated_depsgraph_get())
            counts.append(len(ev.data.vertices))
        if counts[0] - counts[1] != 8:
            raise AssertionError(f"modifier OBJ path not read by Blender: vertex counts {counts}")

    rec.on_reopen(modifier_path_is_read)
    rec.note(
        "Import OBJ/STL/PLY/CSV/Text/VDB nodes whose Path input (NodeSocketStringFilePath) holds a "
        "file (all listed by blend_paths); one more OBJ path comes from the modifier's input (an "
        "IDProperty string keyed by the interface socket identifier, subtype FILE_PATH), which "
        "blend_paths does not list."
    )
