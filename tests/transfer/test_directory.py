# SPDX-License-Identifier: GPL-3.0-or-later
"""The directory target: a pack as plain files, re-packed in place, never escaping its root."""

from __future__ import annotations

import itertools
import os
import subprocess
import time
from pathlib import Path

import pytest
from transfer.helpers import SlowSource, SourceTree, item_for, write

from bat_core.errors import CancelledError, TransferError
from bat_core.progress import CancelToken, ProgressEvent, Stage
from bat_core.transfer import TransferItem, run_transfer
from bat_core.transfer.directory import INCOMPLETE_MARKER, PART_PREFIX, DirectoryTarget


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """inode and mtime of every file: a rename-into-place changes the inode, so this shows writes.

    Each file is also hard-linked beside the root, so its inode stays in use: otherwise the file
    system may give a file deleted and written again its old inode number (seen on ext4)."""
    held = root.parent / f".held-{root.name}-{next(_HOLDS)}"
    out = {}
    for path in root.rglob("*"):
        if path.is_file():
            st = path.stat()
            name = path.relative_to(root).as_posix()
            out[name] = (st.st_ino, st.st_mtime_ns)
            (held / name).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, held / name)
    return out


_HOLDS = itertools.count()


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(PART_PREFIX)]


def test_pack_copies_every_file_byte_for_byte_with_its_mtime(source_tree: SourceTree, tmp_path: Path) -> None:
    before = source_tree.digests()
    dest = tmp_path / "out"
    result = run_transfer(source_tree.items, DirectoryTarget(dest))

    assert result.files_sent == len(source_tree.items) == result.files_total
    assert result.bytes_sent == sum(i.size for i in source_tree.items)
    assert result.files_skipped == 0
    for item in source_tree.items:
        packed = dest / item.pack_path
        assert packed.read_bytes() == item.source.read_bytes(), item.pack_path
        assert packed.stat().st_mtime_ns == item.source.stat().st_mtime_ns
    assert not (dest / INCOMPLETE_MARKER).exists()
    assert leftovers(dest) == []
    assert source_tree.digests() == before


def test_repack_without_changes_writes_nothing_even_with_a_fresh_staged_main(
    source_tree: SourceTree, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    run_transfer(source_tree.items, DirectoryTarget(dest))
    first = snapshot(dest)
    # The pack step rewrites the main .blend into staging every time: same bytes, new mtime.
    main = source_tree.item("shot.blend")
    time.sleep(0.01)
    main.source.write_bytes(main.source.read_bytes())

    result = run_transfer(source_tree.items, DirectoryTarget(dest))

    assert (result.files_sent, result.files_skipped) == (0, len(source_tree.items))
    assert snapshot(dest) == first


def test_repack_after_one_change_rewrites_that_file_and_the_main_blend_only(
    source_tree: SourceTree, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    run_transfer(source_tree.items, DirectoryTarget(dest))
    first = snapshot(dest)
    changed = source_tree.item("textures/wood.png")
    data = bytearray(changed.source.read_bytes())
    data[1000] ^= 0xFF  # same size, different bytes, new mtime
    changed.source.write_bytes(bytes(data))
    touched = source_tree.item("notes.txt")  # new mtime, same bytes: must not be rewritten
    os.utime(touched.source, ns=(0, touched.source.stat().st_mtime_ns + 5_000_000_000))

    events: list[ProgressEvent] = []
    result = run_transfer(source_tree.items, DirectoryTarget(dest), listener=events.append)

    assert result.files_sent == 2
    # The two same-size files with new mtimes (wood.png, notes.txt) were compared byte for byte first.
    verify = [e for e in events if e.stage is Stage.VERIFY]
    assert (verify[-1].files_done, verify[-1].files_total) == (2, 2)
    assert events.index(verify[-1]) < events.index(next(e for e in events if e.stage is Stage.TRANSFER))
    second = snapshot(dest)
    rewritten = {p for p in first if first[p] != second[p]}
    assert rewritten == {"textures/wood.png", "shot.blend"}
    assert (dest / "textures/wood.png").read_bytes() == bytes(data)
    assert not (dest / INCOMPLETE_MARKER).exists()


def test_repack_replaces_a_file_whose_size_changed(source_tree: SourceTree, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    run_transfer(source_tree.items, DirectoryTarget(dest))
    grown = source_tree.item("notes.txt")
    grown.source.write_bytes(b"longer now\n" * 2000)
    items = [item_for(i.source, i.pack_path, is_main=i.is_main) for i in source_tree.items]

    result = run_transfer(items, DirectoryTarget(dest))

    assert result.files_sent == 2
    assert (dest / "notes.txt").read_bytes() == grown.source.read_bytes()


def test_cancel_in_the_middle_of_a_large_file_stops_within_a_second_and_looks_incomplete(
    source_tree: SourceTree, slow_source: SlowSource, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    items = [*source_tree.items, TransferItem(slow_source.path, "caches/huge.bin", 2 * 1024**3)]
    token = CancelToken()
    cancelled_at: list[float] = []

    def cancel_once_underway(event: ProgressEvent) -> None:
        if event.bytes_done > 4 * 1024 * 1024 and not cancelled_at:
            cancelled_at.append(time.monotonic())
            token.cancel()

    with pytest.raises(CancelledError):
        run_transfer(items, DirectoryTarget(dest), listener=cancel_once_underway, cancel=token)
    stopped_after = time.monotonic() - cancelled_at[0]

    assert stopped_after < 1.0
    assert (dest / INCOMPLETE_MARKER).exists()
    assert not (dest / "shot.blend").exists()
    assert not (dest / "caches/huge.bin").exists()
    assert leftovers(dest) == []


def test_cancelled_repack_removes_the_old_main_blend(source_tree: SourceTree, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    run_transfer(source_tree.items, DirectoryTarget(dest))
    write(source_tree.root / "new.txt", b"new dependency")
    items = [*source_tree.items, item_for(source_tree.root / "new.txt", "new.txt")]
    token = CancelToken()

    def cancel_at_start(event: ProgressEvent) -> None:
        token.cancel()

    with pytest.raises(CancelledError):
        run_transfer(items, DirectoryTarget(dest), listener=cancel_at_start, cancel=token)

    assert (dest / INCOMPLETE_MARKER).exists()
    assert not (dest / "shot.blend").exists()


def test_a_source_that_vanishes_mid_pack_fails_naming_it_and_looks_incomplete(
    source_tree: SourceTree, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    doomed = source_tree.item("textures/brick bump.jpg")

    def delete_after_begin(event: ProgressEvent) -> None:
        if event.message.startswith("sending"):
            doomed.source.unlink()

    with pytest.raises(TransferError) as caught:
        run_transfer(source_tree.items, DirectoryTarget(dest), listener=delete_after_begin)

    message = str(caught.value)
    assert str(doomed.source) in message
    assert "textures/brick bump.jpg" in message
    assert str(dest) in message
    assert (dest / INCOMPLETE_MARKER).exists()
    assert not (dest / "shot.blend").exists()
    assert leftovers(dest) == []


def test_a_missing_source_is_reported_before_anything_is_written(source_tree: SourceTree, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    missing = TransferItem(tmp_path / "nope.png", "textures/nope.png", 10)

    with pytest.raises(TransferError, match=r"nope\.png"):
        run_transfer([*source_tree.items, missing], DirectoryTarget(dest))

    assert list(dest.iterdir()) == []


def test_a_full_disk_fails_naming_the_file_and_leaves_no_part_files(source_tree: SourceTree, tiny_disk: Path) -> None:
    before = source_tree.digests()
    dest = tiny_disk / "out"

    with pytest.raises(TransferError) as caught:
        run_transfer(source_tree.items, DirectoryTarget(dest))

    message = str(caught.value)
    assert "No space left on device" in message
    # Workers run in parallel, so whichever file hit the full disk first is the one named.
    named = [i for i in source_tree.items if repr(i.pack_path) in message and str(i.source) in message]
    assert len(named) == 1
    assert (dest / INCOMPLETE_MARKER).exists()
    assert not (dest / "shot.blend").exists()
    assert leftovers(dest) == []
    assert source_tree.digests() == before


def test_a_read_only_target_fails_with_a_clear_message(source_tree: SourceTree, tiny_disk: Path) -> None:
    (tiny_disk / "out").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True, timeout=10)

    with pytest.raises(TransferError, match=r"Read-only file system"):
        run_transfer(source_tree.items, DirectoryTarget(tiny_disk / "out"))


def test_a_symlinked_folder_pointing_outside_the_pack_is_refused(source_tree: SourceTree, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    dest.mkdir()
    (dest / "textures").symlink_to(outside)

    with pytest.raises(TransferError, match=r"symbolic link") as caught:
        run_transfer(source_tree.items, DirectoryTarget(dest))

    assert "textures" in str(caught.value)
    assert list(outside.iterdir()) == []


def test_a_symlink_in_place_of_a_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    victim = write(tmp_path / "victim.txt", b"keep me")
    (dest / "notes.txt").symlink_to(victim)
    source = write(tmp_path / "src/notes.txt", b"packed notes")

    run_transfer([item_for(source, "notes.txt")], DirectoryTarget(dest))

    assert victim.read_bytes() == b"keep me"
    assert not (dest / "notes.txt").is_symlink()
    assert (dest / "notes.txt").read_bytes() == b"packed notes"


def test_a_file_in_the_way_of_a_folder_is_reported(source_tree: SourceTree, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    write(dest / "textures", b"I am a file")

    with pytest.raises(TransferError, match=r"textures is a file where the pack needs a folder"):
        run_transfer(source_tree.items, DirectoryTarget(dest))


def test_the_target_root_being_a_file_is_reported(source_tree: SourceTree, tmp_path: Path) -> None:
    root = write(tmp_path / "out", b"file")

    with pytest.raises(TransferError, match=r"not a folder"):
        run_transfer(source_tree.items, DirectoryTarget(root))


def test_packing_again_after_a_cancel_completes_the_pack(source_tree: SourceTree, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    token = CancelToken()
    token_listener = lambda event: token.cancel()  # noqa: E731 - cancel as soon as sending starts
    with pytest.raises(CancelledError):
        run_transfer(source_tree.items, DirectoryTarget(dest), listener=token_listener, cancel=token)
    assert (dest / INCOMPLETE_MARKER).exists()

    run_transfer(source_tree.items, DirectoryTarget(dest))

    assert not (dest / INCOMPLETE_MARKER).exists()
    for item in source_tree.items:
        assert (dest / item.pack_path).read_bytes() == item.source.read_bytes()
