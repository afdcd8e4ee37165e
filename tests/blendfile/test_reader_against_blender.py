# SPDX-License-Identifier: GPL-3.0-or-later
"""The reader decodes files written by real Blender (5.0.1 now, 4.2 LTS committed) as Blender reports them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from samples.fixtures import SampleSet, bpy42_samples

from bat_core.blendfile import BlendFile, Compression, open_blend
from bat_core.blendfile import sdna as sdna_module

VARIANTS = {
    "main.blend": Compression.NONE,
    "main_zstd.blend": Compression.ZSTD,
    "main_gzip.blend": Compression.GZIP,
}


@pytest.fixture(params=["bpy50", "bpy42"])
def samples(request: pytest.FixtureRequest) -> SampleSet:
    if request.param == "bpy42":
        return bpy42_samples()
    result: SampleSet = request.getfixturevalue("bpy50_samples")
    return result


def _facts(samples: SampleSet, name: str) -> dict[str, Any]:
    # The gzip variant is the uncompressed file gzipped, so Blender's facts are the same.
    key = "main.blend" if name == "main_gzip.blend" else name
    facts: dict[str, Any] = samples.facts[key]
    return facts


def _local_ids(bf: BlendFile, code: bytes) -> dict[str, Any]:
    out = {}
    for block in bf.blocks_with_code(code):
        view = bf.view(block)
        out[view.id_name()[2:].decode()] = view
    return out


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_header_and_compression_match_the_file(samples: SampleSet, name: str) -> None:
    with open_blend(samples.folder / name) as bf:
        assert bf.version == _facts(samples, name)["version"]
        assert bf.pointer_size == 8
        assert bf.endianness == "little"
        assert bf.compression is VARIANTS[name]
        assert bf.blocks[-1].code == b"ENDB"
        expected_format = 1 if bf.version >= 500 else 0
        assert bf.header.format_version == expected_format


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_object_names_match_blender(samples: SampleSet, name: str) -> None:
    with open_blend(samples.folder / name) as bf:
        assert sorted(_local_ids(bf, b"OB")) == _facts(samples, name)["objects"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_image_paths_match_blender(samples: SampleSet, name: str) -> None:
    with open_blend(samples.folder / name) as bf:
        images = {n: v.get_bytes("name").decode() for n, v in _local_ids(bf, b"IM").items()}
        images = {n: p for n, p in images.items() if p}
        assert images == _facts(samples, name)["images"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_library_paths_match_blender(samples: SampleSet, name: str) -> None:
    with open_blend(samples.folder / name) as bf:
        libraries = {n: v.get_bytes("name").decode() for n, v in _local_ids(bf, b"LI").items()}
        assert libraries == _facts(samples, name)["libraries"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_mesh_vertex_counts_match_blender(samples: SampleSet, name: str) -> None:
    with open_blend(samples.folder / name) as bf:
        counts = {n: v.get("totvert") for n, v in _local_ids(bf, b"ME").items()}
        assert counts == _facts(samples, name)["mesh_vertices"]


def test_linked_collection_is_a_placeholder_pointing_at_its_library(samples: SampleSet) -> None:
    with open_blend(samples.folder / "main.blend") as bf:
        placeholders = [bf.view(b) for b in bf.blocks_with_code(b"ID")]
        assert [p.id_name() for p in placeholders] == [b"GRLibCollection"]
        library = placeholders[0].deref("lib")
        assert library is not None
        assert library.struct.name == "Library"
        assert library.get_bytes("name") == b"//lib.blend"


def test_pointers_and_listbases_lead_from_materials_to_their_images(samples: SampleSet) -> None:
    with open_blend(samples.folder / "main_zstd.blend") as bf:
        found = {}
        for name, material in _local_ids(bf, b"MA").items():
            tree = material.deref("nodetree")
            assert tree is not None and tree.struct.name == "bNodeTree"
            nodes = list(tree.iter_listbase("nodes"))
            kinds = {n.get_bytes("idname") for n in nodes}
            assert b"ShaderNodeTexImage" in kinds
            for node in nodes:
                if node.get_bytes("idname") == b"ShaderNodeTexImage":
                    image = node.deref("id")
                    assert image is not None
                    found[name] = image.id_name()[2:].decode()
        assert found == {"PlaneMaterial": "relative_tex", "IcoMaterial": "absolute_tex"}
        assert sorted(found) == _facts(samples, "main_zstd.blend")["materials"]


def test_nested_struct_fields_and_arrays_decode(samples: SampleSet) -> None:
    with open_blend(samples.folder / "main.blend") as bf:
        obj = _local_ids(bf, b"OB")["Suzanne"]
        loc = obj.get("loc")
        assert isinstance(loc, list) and len(loc) == 3 and all(isinstance(x, float) for x in loc)
        assert obj.sub("id").get_bytes("name") == b"OBSuzanne"
        assert obj.get("id.name") == b"OBSuzanne"
        mesh = obj.deref("data")
        assert mesh is not None and mesh.id_name() == b"MESuzanne"
        assert obj.field("id").type_name == "ID"


def test_library_file_is_read_too(samples: SampleSet) -> None:
    with open_blend(samples.folder / "lib.blend") as bf:
        assert sorted(_local_ids(bf, b"OB")) == samples.facts["lib.blend"]["objects"]
        images = {n: v.get_bytes("name").decode() for n, v in _local_ids(bf, b"IM").items()}
        assert images == samples.facts["lib.blend"]["images"]


def test_opening_does_not_decode_struct_data(samples: SampleSet) -> None:
    # Layouts are shared by files with the same catalogue; forget those earlier tests built.
    sdna_module._PARSED.clear()
    with open_blend(samples.folder / "main.blend") as bf:
        assert bf._resolved == {}
        assert bf.sdna._built == {}
        assert bf.blocks._by_address is None


def test_sdna_sizes_are_consistent(samples: SampleSet) -> None:
    with open_blend(Path(samples.folder) / "main.blend") as bf:
        for s in bf.sdna.structs:
            assert sum(f.size for f in s.fields) == s.size
        assert bf.sdna.struct("ID") is not None
        assert bf.sdna.struct("NoSuchStruct") is None


def test_files_with_one_catalogue_share_layouts_but_name_their_own_file(samples: SampleSet) -> None:
    main, lib = samples.folder / "main.blend", samples.folder / "lib.blend"
    with open_blend(main) as first, open_blend(lib) as second:
        assert first.sdna.struct("Object") is second.sdna.struct("Object")
        # A catalogue shared for speed must not make errors name the other file.
        assert first.sdna._path == main and second.sdna._path == lib
