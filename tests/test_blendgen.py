# SPDX-License-Identifier: GPL-3.0-or-later
"""The generated productions are what they claim: the tracer's acceptance tests rely on them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from blendgen.kinds.names import KIND_NAMES
from blendgen.production import Production

BLEND_MAGIC = b"BLENDER"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _head(p: Path, n: int = 8) -> bytes:
    with open(p, "rb") as f:
        return f.read(n)


def _each(productions: dict[str, Production]) -> list[Production]:
    return [productions[k] for k in KIND_NAMES]


@pytest.mark.bpy
def test_every_kind_was_built(productions: dict[str, Production]) -> None:
    assert sorted(productions) == sorted(KIND_NAMES)


@pytest.mark.bpy
def test_main_files_are_blend_files_inside_their_kind_folder(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        assert prod.main.is_file(), prod.kind
        assert prod.main.is_relative_to(prod.root), prod.kind
        assert _head(prod.main, 7) == BLEND_MAGIC or _head(prod.main, 4) == ZSTD_MAGIC, prod.kind


@pytest.mark.bpy
def test_every_expected_file_exists_and_is_not_empty(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        for f in prod.expected_files:
            assert f.is_file() and f.stat().st_size > 0, f"{prod.kind}: {f}"


@pytest.mark.bpy
def test_every_production_expects_something(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        assert prod.expected_files, prod.kind


@pytest.mark.bpy
def test_each_oracle_path_exists_or_is_declared_missing(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        missing = {os.path.normpath(p) for p in prod.missing}
        for entry in prod.oracle:
            key = os.path.normpath(entry)
            if key in missing:
                assert not Path(key).exists(), f"{prod.kind}: {key} should be absent"
            elif key in prod.expansion:
                assert prod.expansion[key], f"{prod.kind}: {key} expands to nothing"
            else:
                assert Path(key).is_file(), f"{prod.kind}: oracle entry {entry} is not a file"


@pytest.mark.bpy
def test_expected_files_are_the_oracle_expanded_plus_unlisted_files(
    productions: dict[str, Production],
) -> None:
    for prod in _each(productions):
        missing = {os.path.normpath(p) for p in prod.missing}
        want: set[Path] = set(prod.unlisted)
        for entry in prod.oracle:
            key = os.path.normpath(entry)
            if key in missing:
                continue
            want.update(prod.expansion.get(key, (Path(key),)))
        assert set(prod.expected_files) == want, prod.kind


@pytest.mark.bpy
def test_decoys_exist_and_are_never_expected(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        expected = set(prod.expected_files) | set(prod.expected_all_library_data)
        for d in prod.decoys:
            assert d.is_file(), f"{prod.kind}: decoy {d}"
            assert d not in expected, f"{prod.kind}: decoy {d}"


@pytest.mark.bpy
def test_packed_files_are_not_expected(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        for p in prod.packed:
            assert p not in prod.expected_files, f"{prod.kind}: {p}"
            assert os.path.normpath(p) not in {os.path.normpath(o) for o in prod.oracle}


@pytest.mark.bpy
def test_missing_files_are_absent(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        for p in prod.missing:
            assert not p.exists(), f"{prod.kind}: {p}"


@pytest.mark.bpy
def test_all_files_of_a_production_live_in_its_folder(productions: dict[str, Production]) -> None:
    for prod in _each(productions):
        for p in (*prod.expected_files, *prod.decoys, *prod.missing, *prod.packed):
            assert p.is_relative_to(prod.root), f"{prod.kind}: {p}"


@pytest.mark.bpy
def test_pngs_are_real_pngs(productions: dict[str, Production]) -> None:
    pngs = [f for prod in _each(productions) for f in prod.expected_files if f.suffix == ".png"]
    assert len(pngs) > 20
    for f in pngs:
        assert _head(f) == PNG_MAGIC, f


@pytest.mark.bpy
def test_udim_expects_listed_tiles_but_not_a_tile_outside_the_tile_list(
    productions: dict[str, Production],
) -> None:
    prod = productions["image_udim"]
    names = {f.name for f in prod.expected_files}
    assert {"skin.1001.png", "skin.1002.png", "skin.1011.png"} <= names
    assert {"bark_u1_v1.png", "bark_u2_v1.png", "bark_u1_v2.png"} <= names
    assert "skin.1005.png" not in names
    assert prod.root / "tiles" / "skin.1005.png" in prod.decoys
    assert any("<UDIM>" in o for o in prod.oracle) and any("<UVTILE>" in o for o in prod.oracle)


@pytest.mark.bpy
def test_image_sequence_expects_every_frame_and_no_lookalike(productions: dict[str, Production]) -> None:
    prod = productions["image_sequence"]
    names = sorted(f.name for f in prod.expected_files)
    assert names == [f"walk.{n:04d}.png" for n in (1, 2, 3, 4)]
    assert len(prod.oracle) == 1 and prod.oracle[0].endswith("walk.0001.png")


@pytest.mark.bpy
def test_library_chain_reaches_the_second_library_but_not_unused_data(
    productions: dict[str, Production],
) -> None:
    prod = productions["library_chain"]
    names = {f.name for f in prod.expected_files}
    assert {"lib_a.blend", "lib_b.blend", "leaf.png", "bark.png", "moss.png"} <= names
    assert "unused.png" not in names and "unused_b.png" not in names
    extra = {f.name for f in prod.expected_all_library_data} - names
    assert extra == {"unused.png", "unused_b.png"}


@pytest.mark.bpy
def test_packed_library_is_packed_but_its_image_is_a_dependency(productions: dict[str, Production]) -> None:
    prod = productions["library_packed"]
    assert [p.name for p in prod.packed] == ["packed_lib.blend"]
    assert [f.name for f in prod.expected_files] == ["inside.png"]
    assert prod.packed[0].is_file()  # still on disk, yet not a dependency


@pytest.mark.bpy
def test_missing_production_names_the_absent_image_and_library(productions: dict[str, Production]) -> None:
    prod = productions["missing"]
    assert sorted(p.name for p in prod.missing) == ["gone.blend", "gone.png"]
    assert [f.name for f in prod.expected_files] == ["present.png"]


@pytest.mark.bpy
def test_caches_blender_does_not_list_are_still_expected(productions: dict[str, Production]) -> None:
    pc = productions["point_cache"]
    assert pc.oracle == ()
    assert len([f for f in pc.expected_files if f.suffix == ".bphys"]) >= 12
    bake = productions["gn_bake"]
    assert {f.suffix for f in bake.expected_files} >= {".json", ".blob"}
    assert any("custom_bake" in f.parts for f in bake.expected_files)


@pytest.mark.bpy
def test_directory_entries_expand_to_the_files_inside(productions: dict[str, Production]) -> None:
    for kind in ("ocean", "fluid", "point_cache_external"):
        prod = productions[kind]
        (entry,) = prod.oracle
        folder = Path(entry)
        assert folder.is_dir(), kind
        assert prod.expected_files and all(f.is_relative_to(folder) for f in prod.expected_files), kind


@pytest.mark.parametrize("bad", ["no_such_kind"])
def test_generator_rejects_an_unknown_kind_by_name(tmp_path: Path, bad: str) -> None:
    import subprocess
    import sys

    from blendgen.fixture import TESTS_DIR

    proc = subprocess.run(
        [sys.executable, "-m", "blendgen.make", str(tmp_path / "out"), bad],
        cwd=TESTS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert bad in proc.stderr and "image_udim" in proc.stderr
    assert not (tmp_path / "out").exists()
