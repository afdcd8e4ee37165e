# SPDX-License-Identifier: GPL-3.0-or-later
"""Every kind, packed to a folder and to a ZIP, moved elsewhere, opens in Blender with nothing missing.

All packs are made first, then one Blender process opens them all (a bpy start-up per file
would dominate the suite's time).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from blendgen.kinds.names import KIND_NAMES
from blendgen.production import Production
from pack.blender_check import blender_view

from bat_core.api import PackOptions, pack

TARGETS = ("directory", "zip")


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Packed:
    kind: str
    target: str
    root: Path  # where the pack lies after being moved
    main: Path
    report: dict[str, Any]


def _pack_one(production: Production, target: str, work: Path) -> Packed:
    first = work / "first"
    if target == "zip":
        result = pack(PackOptions(blend=production.main, target=str(first / "pack.zip"), project=production.root))
        moved = work / "moved"
        with zipfile.ZipFile(first / "pack.zip") as zf:
            zf.extractall(moved)
        shutil.rmtree(first)
    else:
        result = pack(PackOptions(blend=production.main, target=str(first), project=production.root, verify=True))
        moved = work / "moved"
        os.rename(first, moved)
    return Packed(production.kind, target, moved, moved / result.main_blend_in_pack, result.report)


@pytest.fixture(scope="module")
def packed_all(
    productions: dict[str, Production], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Any]:
    before = {kind: tree_hashes(p.root) for kind, p in productions.items()}
    packs = {}
    for kind in KIND_NAMES:
        for target in TARGETS:
            packs[(kind, target)] = _pack_one(productions[kind], target, tmp_path_factory.mktemp(f"{kind}-{target}"))
    after = {kind: tree_hashes(p.root) for kind, p in productions.items()}
    views = blender_view([str(p.main) for p in packs.values()])
    return {"packs": packs, "views": views, "before": before, "after": after}


def _inside(path: str, root: Path) -> bool:
    return Path(path) == root or root in Path(path).parents


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_packed_file_opens_with_zero_missing_files(
    packed_all: dict[str, Any], productions: dict[str, Production], kind: str, target: str
) -> None:
    packed: Packed = packed_all["packs"][(kind, target)]
    view = packed_all["views"][str(packed.main)]
    production = productions[kind]
    missing_names = {p.name for p in production.missing}
    for path in view["paths"]:
        if Path(path).name in missing_names and not Path(path).exists():
            continue  # missing before packing: still missing, never invented
        assert _inside(path, packed.root), f"{path} is outside the pack"
        assert Path(path).exists() or "<UDIM>" in path or "<UVTILE>" in path, f"{path} does not exist"
    assert view["missing_libraries"] == [p for p in view["missing_libraries"] if Path(p).name in missing_names]
    for name, image in view["images"].items():
        # Sequences load a frame only when displayed; their frames are checked byte for byte below.
        if Path(image["path"]).name in missing_names or image["source"] == "SEQUENCE":
            continue
        assert image["has_data"], f"image {name} ({image['path']}) has no data"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_expected_file_is_in_the_pack_byte_for_byte(
    packed_all: dict[str, Any], productions: dict[str, Production], kind: str, target: str
) -> None:
    packed: Packed = packed_all["packs"][(kind, target)]
    by_source = {f["source"]: f for f in packed.report["files"]}
    for expected in productions[kind].expected_files:
        entry = by_source.get(str(expected))
        assert entry is not None, f"{expected} was not packed"
        inside = packed.root / entry["pack_path"]
        assert inside.is_file()
        if expected.suffix != ".blend":
            assert inside.read_bytes() == expected.read_bytes()
    assert not {str(d) for d in productions[kind].decoys} & set(by_source)


def test_sources_are_byte_identical_after_packing(packed_all: dict[str, Any]) -> None:
    assert packed_all["before"] == packed_all["after"]
