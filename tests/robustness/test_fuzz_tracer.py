# SPDX-License-Identifier: GPL-3.0-or-later
"""Tracing damaged productions ends in a result or a BatError, and cycles (pointers, libraries) terminate.

The productions are the real-Blender test productions (tests/blendgen); each is copied to a
temporary folder once and one of its .blend files (the main file or a library it reaches by a
relative path) is damaged per example, then restored.
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from blendgen.production import Production
from bpy_run import blender_paths, run_bpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness.harness import fuzz_examples, fuzz_is_long, read_everything, run_case, trace_everything
from robustness.mutations import Layout, Mutation, block_field_mutation, layout_of, pointer_mutation, stacked
from samples.fixtures import SampleSet

from bat_core.blendfile import FieldEdit, open_blend, write_rewritten_copy
from bat_core.trace import TraceOptions, trace

pytestmark = pytest.mark.bpy

FUZZ = settings(
    max_examples=fuzz_examples(100),
    deadline=None,
    derandomize=not fuzz_is_long(),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Productions whose files hold libraries, packed libraries, lists of tiles, strips, bakes and caches.
FUZZED_KINDS = (
    "library_chain",
    "libraries",
    "library_packed",
    "image_udim",
    "sequencer",
    "gn_bake",
    "point_cache",
    "text_external",
)


@dataclass(frozen=True)
class Target:
    kind: str
    main: Path
    blend: Path  # the file damaged in this example: the main file or one of its libraries
    layout: Layout


@pytest.fixture(scope="module")
def targets(productions: dict[str, Production], tmp_path_factory: pytest.TempPathFactory) -> list[Target]:
    out: list[Target] = []
    for kind in FUZZED_KINDS:
        production = productions[kind]
        copy = tmp_path_factory.mktemp(f"fuzz-{kind}") / kind
        shutil.copytree(production.root, copy, symlinks=True)
        main = copy / production.main.relative_to(production.root)
        # Libraries stored with absolute paths still point into the shared cache: never damage those.
        reached = [b for b in trace(main).blends if copy in b.parents]
        out.extend(Target(kind, main, blend, layout_of(blend)) for blend in reached)
    return out


def _mutations(layout: Layout) -> st.SearchStrategy[Mutation]:
    # Pointers and block headers steer the walk through datablocks and libraries: favour them.
    return st.one_of(pointer_mutation(layout), block_field_mutation(layout), stacked(layout))


@given(data=st.data())
@FUZZ
def test_tracing_damaged_productions_ends_in_a_result_or_bat_error(targets: list[Target], data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(targets), label="target")
    mutation = data.draw(_mutations(target.layout), label="mutation")
    try:
        target.blend.write_bytes(mutation.apply(target.layout.data))
        run_case(
            f"tracer/{target.kind}", f"{target.blend.name}: {mutation.label}", lambda: trace_everything(target.main)
        )
    finally:
        target.blend.write_bytes(target.layout.data)


# -- cycles -----------------------------------------------------------------------------------------

_LIBRARY_CYCLE = """
import os
import bpy

folder = args[0]
a, b, shot = (os.path.join(folder, n) for n in ("a.blend", "b.blend", "shot.blend"))


def textured(name, path):
    img = bpy.data.images.new(name, 4, 4)
    img.filepath_raw = path
    img.source = "FILE"
    return img


def save(path):
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False, relative_remap=True)


# a.blend: a node group using texture a.
bpy.ops.wm.read_factory_settings(use_empty=True)
save(a)
group = bpy.data.node_groups.new("NG_a", "ShaderNodeTree")
node = group.nodes.new("ShaderNodeTexImage")
node.image = textured("tex_a", "//tex/a.png")
group.use_fake_user = True
save(a)

# b.blend: a material using texture b and the node group linked from a.blend.
bpy.ops.wm.read_factory_settings(use_empty=True)
save(b)
with bpy.data.libraries.load(a, link=True, relative=True) as (src, dst):
    dst.node_groups = ["NG_a"]
mat = bpy.data.materials.new("M_b")
mat.use_nodes = True
tex = mat.node_tree.nodes.new("ShaderNodeTexImage")
tex.image = textured("tex_b", "//tex/b.png")
inner = mat.node_tree.nodes.new("ShaderNodeGroup")
inner.node_tree = bpy.data.node_groups["NG_a"]
mat.use_fake_user = True
save(b)

# Back in a.blend: a collection whose mesh uses the material linked from b.blend -> a cycle a <-> b.
bpy.ops.wm.open_mainfile(filepath=a)
with bpy.data.libraries.load(b, link=True, relative=True) as (src, dst):
    dst.materials = ["M_b"]
mesh = bpy.data.meshes.new("A_mesh")
mesh.materials.append(bpy.data.materials["M_b"])
obj = bpy.data.objects.new("A_obj", mesh)
coll = bpy.data.collections.new("A_coll")
coll.objects.link(obj)
coll.use_fake_user = True
save(a)

# shot.blend links the collection from a.blend.
bpy.ops.wm.read_factory_settings(use_empty=True)
save(shot)
with bpy.data.libraries.load(a, link=True, relative=True) as (src, dst):
    dst.collections = ["A_coll"]
empty = bpy.data.objects.new("A_instance", None)
empty.instance_type = "COLLECTION"
empty.instance_collection = bpy.data.collections["A_coll"]
bpy.context.scene.collection.objects.link(empty)
save(shot)
result = [lib.filepath for lib in bpy.data.libraries]
"""


@pytest.fixture(scope="module")
def library_cycle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("library-cycle")
    (folder / "tex").mkdir()
    for name in ("a.png", "b.png"):
        (folder / "tex" / name).write_bytes(b"\x89PNG\r\n\x1a\n" + name.encode())
    run_bpy(_LIBRARY_CYCLE, str(folder))
    return folder


def test_a_library_cycle_made_by_blender_terminates_with_every_file(library_cycle: Path) -> None:
    shot = library_cycle / "shot.blend"
    with open_blend(library_cycle / "a.blend") as a, open_blend(library_cycle / "b.blend") as b:
        # The cycle is real: each library names the other.
        assert [a.view(x).get_bytes("name") for x in a.blocks_with_code(b"LI")] == [b"//b.blend"]
        assert [b.view(x).get_bytes("name") for x in b.blocks_with_code(b"LI")] == [b"//a.blend"]
    expected = {library_cycle / n for n in ("a.blend", "b.blend", "tex/a.png", "tex/b.png")}
    for options in (TraceOptions(), TraceOptions(all_library_data=True)):
        result = run_case("cycles", "library cycle", lambda options=options: trace(shot, options))
        assert result == "ok"
        traced = trace(shot, options)
        assert set(traced.files()) == expected
        assert traced.blends == (shot, library_cycle / "a.blend", library_cycle / "b.blend")
    # Blender itself (loading the shot, which pulls both libraries) sees the same files.
    assert {Path(p) for p in blender_paths(str(shot))["paths"]} == expected


def test_a_library_that_links_from_itself_terminates(library_cycle: Path, tmp_path: Path) -> None:
    # b.blend's library entry rewritten to name b.blend itself: a one-file cycle.
    b = library_cycle / "b.blend"
    patched = tmp_path / "b.blend"
    with open_blend(b) as bf:
        lib = bf.view(next(bf.blocks_with_code(b"LI")))
        write_rewritten_copy(bf, patched, [lib.string_edit("name", b"//b.blend")])
    (tmp_path / "tex").mkdir()
    shutil.copy(library_cycle / "tex" / "b.png", tmp_path / "tex" / "b.png")
    for options in (TraceOptions(), TraceOptions(all_library_data=True)):
        assert run_case("cycles", "self-linking library", lambda options=options: trace(patched, options)) == "ok"
        traced = trace(patched, options)
        assert traced.blends == (patched,)
        assert tmp_path / "tex" / "b.png" in traced.files()


def _node_list(path: Path) -> tuple[list[int], int]:
    """Addresses of the nodes in the first material node tree, and the file offset of the last node's next."""
    with open_blend(path) as bf:
        for block in bf.blocks:
            if block.sdna_index and bf.struct_of(block).name == "bNodeTree":
                tree = bf.view(block)
                nodes = list(tree.iter_listbase("nodes"))
                if len(nodes) >= 2:
                    at, _ = nodes[-1].location("next")
                    return [n.address for n in nodes], at
    raise AssertionError(f"{path}: no node tree with two nodes")


@pytest.mark.parametrize("back_to", ["first", "itself"])
def test_a_list_whose_last_element_points_back_is_walked_once(
    bpy50_samples: SampleSet, tmp_path: Path, back_to: str
) -> None:
    source = bpy50_samples.folder / "main.blend"
    addresses, next_at = _node_list(source)
    target = addresses[0] if back_to == "first" else addresses[-1]
    looped = tmp_path / "main.blend"
    with open_blend(source) as bf:
        write_rewritten_copy(bf, looped, [FieldEdit(next_at, 8, struct.pack("<Q", target))])
    shutil.copytree(bpy50_samples.folder / "textures", tmp_path / "textures")
    shutil.copy(bpy50_samples.folder / "lib.blend", tmp_path / "lib.blend")

    assert _node_list(looped)[0] == addresses  # each node once, then the loop is noticed
    assert run_case("cycles", f"node list looping to {back_to}", lambda: read_everything(looped, tmp_path)) == "ok"
    assert run_case("cycles", f"node list looping to {back_to}", lambda: trace(looped)) == "ok"
    original = {(r.owner.name, r.stored) for r in trace(source).references}
    assert {(r.owner.name, r.stored) for r in trace(looped).references} == original
