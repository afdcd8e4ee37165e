# SPDX-License-Identifier: GPL-3.0-or-later
"""Copies made while the tracer runs (bat_core/transfer/early.py): the pack is the same as
without them, nothing is left of them afterwards, and a source that changes after its early
copy is copied again. The pipeline copies only large files early; these tests lower that
size so the small files of the test productions take the early path too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from blendgen.production import Production
from pack.test_pack_opens_in_blender import tree_hashes

from bat_core.api import PackOptions, pack
from bat_core.errors import CancelledError, TransferError
from bat_core.progress import CancelToken, ProgressEvent, Stage
from bat_core.transfer import early
from bat_core.transfer.directory import DirectoryTarget
from bat_core.transfer.early import SCRATCH_PREFIX, EarlyCopies
from bat_core.transfer.target import TransferItem


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> list[TransferItem]:
    """Every file of any size is copied early; returns the items whose early copy was used."""
    monkeypatch.setattr(early, "EARLY_MIN_BYTES", 0)
    used: list[TransferItem] = []
    original = EarlyCopies.claim

    def claim(self: EarlyCopies, item: TransferItem) -> str | None:
        found = original(self, item)
        if found is not None:
            used.append(item)
        return found

    monkeypatch.setattr(EarlyCopies, "claim", claim)
    return used


def _options(production: Production, target: Path, **extra: object) -> PackOptions:
    return PackOptions(blend=production.main, target=str(target), project=production.root, **extra)  # type: ignore[arg-type]


def _packed(root: Path) -> dict[str, str]:
    return {str(Path(p).relative_to(root)): h for p, h in tree_hashes(root).items()}


def test_early_copies_give_the_same_pack_and_leave_no_scratch_folder(
    productions: dict[str, Production], tmp_path: Path, claims: list[TransferItem]
) -> None:
    production = productions["library_chain"]
    before = tree_hashes(production.root)
    # --strict makes no early copies (it must fail before writing anything): the reference.
    pack(_options(production, tmp_path / "plain", strict=True))
    assert claims == []
    result = pack(_options(production, tmp_path / "early"))

    assert [i for i in claims if not i.pack_path.endswith(".blend")], "no file was copied early"
    # The .blend files renamed into place are the rewritten copies, never early copies of the originals.
    blends = [i for i in claims if i.pack_path.endswith(".blend")]
    rewritten = {f["pack_path"] for f in result.report["files"] if f["rewritten_paths"]}
    assert rewritten and {i.pack_path for i in blends} == rewritten
    assert all(SCRATCH_PREFIX in str(i.source) and production.root not in i.source.parents for i in blends)
    assert _packed(tmp_path / "early") == _packed(tmp_path / "plain")
    assert not list((tmp_path / "early").glob(f"{SCRATCH_PREFIX}*"))
    assert result.uploaded_files == result.files_total
    assert tree_hashes(production.root) == before


def test_repacking_with_early_copies_writes_only_what_changed(
    productions: dict[str, Production], tmp_path: Path, claims: list[TransferItem]
) -> None:
    production = productions["library_chain"]
    target = tmp_path / "pack"
    pack(_options(production, target))
    first = len(claims)
    again = pack(_options(production, target))
    assert again.uploaded_files == 0
    assert len(claims) == first  # nothing was copied early the second time: all was in place
    assert not list(target.glob(f"{SCRATCH_PREFIX}*"))


def test_a_cancel_after_tracing_removes_early_copies_and_the_new_folder(
    productions: dict[str, Production], tmp_path: Path, claims: list[TransferItem]
) -> None:
    production = productions["library_chain"]
    target = tmp_path / "pack"
    cancel = CancelToken()

    def listener(event: ProgressEvent) -> None:
        if event.stage is Stage.PLAN:
            cancel.cancel()  # the trace is over: early copies were made, nothing is in place yet

    with pytest.raises(CancelledError):
        pack(_options(production, target), listener=listener, cancel=cancel)
    assert not target.exists()


def test_a_source_changed_after_its_early_copy_is_not_used(tmp_path: Path) -> None:
    source = tmp_path / "src" / "plate.exr"
    source.parent.mkdir()
    source.write_bytes(b"first version" * 1000)
    target = DirectoryTarget(tmp_path / "pack")
    copies = EarlyCopies(target, min_bytes=0)
    copies.offer(source, "plates/plate.exr")
    scratch = next((tmp_path / "pack").glob(f"{SCRATCH_PREFIX}*"))

    source.write_bytes(b"second version, longer" * 1000)
    item = TransferItem(source, "plates/plate.exr", source.stat().st_size)
    assert copies.claim(item) is None
    assert os.listdir(scratch) == []  # the stale copy is gone
    copies.close()
    assert not (tmp_path / "pack").exists()  # the folder it made for its copies, empty, is removed too


def test_an_unchanged_source_is_claimed_once_with_its_bytes(tmp_path: Path) -> None:
    source = tmp_path / "plate.exr"
    source.write_bytes(os.urandom(300_000))
    (tmp_path / "pack").mkdir()
    copies = EarlyCopies(DirectoryTarget(tmp_path / "pack"), min_bytes=0)
    copies.offer(source, "plates/plate.exr")
    item = TransferItem(source, "plates/plate.exr", source.stat().st_size)
    path = copies.claim(item)
    assert path is not None and Path(path).read_bytes() == source.read_bytes()
    assert Path(path).stat().st_mtime_ns == source.stat().st_mtime_ns
    assert copies.claim(item) is None  # claimed once
    copies.close()
    assert (tmp_path / "pack").exists()  # not made by the copies: left alone
    assert not list((tmp_path / "pack").glob(f"{SCRATCH_PREFIX}*"))


@pytest.mark.parametrize("strict", [False, True])
def test_a_folder_target_that_is_a_file_fails_before_tracing(
    productions: dict[str, Production], tmp_path: Path, strict: bool
) -> None:
    production = productions["library_chain"]
    target = tmp_path / "a-file"
    target.write_bytes(b"not a folder")
    stages: list[Stage] = []

    with pytest.raises(TransferError, match=r"a-file: exists and is not a folder$"):
        pack(_options(production, target, strict=strict), listener=lambda e: stages.append(e.stage))
    assert Stage.TRACE not in stages  # a trace can take minutes: fail before it
    assert target.read_bytes() == b"not a folder"
