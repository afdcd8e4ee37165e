# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile paths stored in .blend files never make a pack write outside its target or crash the tool.

Each case is a .blend written by real Blender (see robustness/hostile.py) storing one hostile
path: escapes with ``..``, absolute system paths, Windows drive and UNC paths, odd bytes,
over-long paths, invalid UTF-8, bytes after a NUL, FIFOs and devices, libraries that are not
.blend files. Each is packed into a folder and into a ZIP; afterwards everything outside the
target is exactly as before (the project, the folder around it, ``/etc/passwd``, the temporary
folder), the target holds no symbolic links and nothing that resolves outside it, and ZIP
entries are plain relative names that extract inside the extraction folder.
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from robustness.containment import assert_contained, safe_zip_name, snapshot
from robustness.harness import TALLY, CaseTimeout, watchdog
from robustness.hostile import ALL_CASES, Case

from bat_core.api import PackOptions, PackResult, pack
from bat_core.errors import BatError
from bat_core.trace import trace

pytestmark = pytest.mark.bpy
PACK_SECONDS = 60


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Staging and scratch folders go here, so the test can check they are cleaned up."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _pack(case: Case, world: Path, target: Path) -> PackResult | BatError:
    blend = world / "world" / "project" / f"{case.name}.blend"
    try:
        with watchdog(PACK_SECONDS):
            result = pack(PackOptions(blend=blend, target=str(target)))
    except CaseTimeout:
        raise AssertionError(f"{case.name}: packing did not finish within {PACK_SECONDS} s") from None
    except BatError as exc:
        TALLY.add("hostile paths", type(exc).__name__, 0.0)
        return exc
    TALLY.add("hostile paths", "packed", 0.0)
    return result


def _check_expectation(case: Case, world: Path, outcome: PackResult | BatError, pack_root: Path) -> None:
    assert isinstance(outcome, PackResult), f"{case.name}: {outcome}"
    blend = world / "world" / "project" / f"{case.name}.blend"
    traced = trace(blend)
    if case.expect == "packed":
        assert not outcome.missing, outcome.missing
        # The file the hostile path names is in the pack, and the packed .blend finds it there.
        again = trace(pack_root / outcome.main_blend_in_pack)
        assert not again.missing()
        packed_files = [f for r in again.references if r.kind == case.kind for f in r.files]
        assert packed_files, f"{case.name}: nothing of kind {case.kind} in the packed file"
        for f in packed_files:
            assert pack_root.resolve() in f.resolve().parents, f"{f} is read from outside the pack"
        originals = {f.read_bytes() for r in traced.references if r.kind == case.kind for f in r.files}
        assert {f.read_bytes() for f in packed_files} <= originals
    elif case.expect == "missing":
        assert outcome.missing, f"{case.name}: a path that cannot be read is not reported missing"
    else:  # a library that is not a readable .blend: reported, and the pack still completes
        assert traced.missing() or traced.problems, f"{case.name}: the unreadable library went unreported"


CASES = ALL_CASES
# A ZIP entry name must be text: a file name that is not valid UTF-8 cannot be stored, and the
# pack stops with an error naming the file instead of writing a ZIP that lacks it.
ZIP_REFUSES = {"invalid_utf8"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_packing_to_a_folder_writes_only_inside_it(case: Case, world: Path, private_tmp: Path) -> None:
    target = world / "targets" / f"dir-{case.name}"
    before = snapshot(world, skip=target)
    outcome = _pack(case, world, target)
    assert snapshot(world, skip=target) == before
    assert list(private_tmp.iterdir()) == [], "staging folders were left behind"
    assert_contained(target)
    _check_expectation(case, world, outcome, target)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_zip_entries_never_escape_on_extraction(case: Case, world: Path, private_tmp: Path, tmp_path: Path) -> None:
    target = world / "targets" / f"zip-{case.name}.zip"
    before = snapshot(world, skip=target)
    outcome = _pack(case, world, target)
    assert snapshot(world, skip=target) == before
    assert list(private_tmp.iterdir()) == [], "staging folders were left behind"
    if case.name in ZIP_REFUSES:
        assert isinstance(outcome, BatError)
        assert "tex/" in str(outcome), "the error must name the file"
        assert not target.exists() and list(target.parent.glob(target.name + "*")) == []
        return
    assert isinstance(outcome, PackResult), f"{case.name}: {outcome}"
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        assert names
        bad = [n for n in names if not safe_zip_name(n)]
        assert not bad, f"unsafe ZIP entry names: {bad}"
        extracted = tmp_path / "extracted"
        for info in zf.infolist():
            # What an extractor that trusts names would do: join and write.
            assert not stat.S_ISLNK(info.external_attr >> 16), f"{info.filename} is stored as a symbolic link"
            place = Path(os.path.normpath(extracted / info.filename))
            assert extracted in place.parents, f"{info.filename} extracts outside the folder"
        zf.extractall(extracted)
    assert_contained(extracted)
    _check_expectation(case, world, outcome, extracted)


# -- symbolic links planted in the target ------------------------------------------------------------


def _case(name: str) -> Case:
    return next(c for c in ALL_CASES if c.name == name)


def test_a_link_planted_where_a_folder_goes_is_not_followed(world: Path, private_tmp: Path) -> None:
    # The escaping texture lands in _outside_project/...; that folder is a link to a victim folder.
    victim = world / "victim" / "folder"
    victim.mkdir()
    target = world / "targets" / "planted-folder-link"
    target.mkdir()
    (target / "_outside_project").symlink_to(victim, target_is_directory=True)
    outcome = _pack(_case("escape_to_sibling_folder"), world, target)
    assert list(victim.iterdir()) == [], "the pack wrote through a planted link"
    assert isinstance(outcome, BatError), "writing below a linked folder must be refused"
    assert "_outside_project" in str(outcome)


def test_a_link_planted_where_a_file_goes_is_replaced_not_written_through(world: Path, private_tmp: Path) -> None:
    victim = world / "victim" / "precious.blend"
    victim.write_bytes(b"precious")
    target = world / "targets" / "planted-file-link"
    target.mkdir()
    case = _case("escape_to_sibling_folder")
    (target / f"{case.name}.blend").symlink_to(victim)
    outcome = _pack(case, world, target)
    assert victim.read_bytes() == b"precious"
    assert isinstance(outcome, PackResult), outcome
    assert_contained(target)


def test_a_zip_target_that_is_a_link_does_not_overwrite_what_it_points_at(world: Path, private_tmp: Path) -> None:
    victim = world / "victim" / "precious.zip"
    victim.write_bytes(b"precious")
    folder = world / "targets" / "planted-zip-link"
    folder.mkdir()
    target = folder / "pack.zip"
    target.symlink_to(victim)
    outcome = _pack(_case("weird_bytes"), world, target)
    assert victim.read_bytes() == b"precious"
    if isinstance(outcome, PackResult):
        assert not target.is_symlink()
        assert zipfile.is_zipfile(target)
