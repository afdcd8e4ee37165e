# SPDX-License-Identifier: GPL-3.0-or-later
"""The transfer engine: what every target gets for free (checks, progress, cancel, errors)."""

from __future__ import annotations

import itertools
import posixpath
import threading
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transfer.helpers import SourceTree, item_for, write

from bat_core.errors import CancelledError, TransferError
from bat_core.progress import CancelToken, ProgressEvent, Stage
from bat_core.transfer import TransferItem, check_pack_path, run_transfer
from bat_core.transfer.directory import DirectoryTarget
from bat_core.transfer.ziptarget import ZipTarget


@pytest.mark.parametrize(
    "bad",
    [
        "../escape.png",
        "textures/../../escape.png",
        "/etc/passwd",
        "C:/Windows/x.png",
        "a\\b.png",
        "",
        "a//b",
        "./a",
    ],
)
def test_unsafe_pack_paths_are_refused_before_the_target_is_touched(tmp_path: Path, bad: str) -> None:
    source = write(tmp_path / "src.png", b"png")
    dest = tmp_path / "out"

    with pytest.raises(TransferError, match="refusing"):
        run_transfer([TransferItem(source, bad, 3)], DirectoryTarget(dest))
    with pytest.raises(TransferError, match="refusing"):
        run_transfer([TransferItem(source, bad, 3)], ZipTarget(tmp_path / "out.zip"))

    assert not dest.exists()
    assert list(tmp_path.glob("out.zip*")) == []


def test_safe_pack_paths_pass_unchanged() -> None:
    for good in ("a.png", "textures/wood grain.png", "ünï/cöde ✓.exr", "..hidden/x", "a/b/c/d.blend"):
        assert check_pack_path(good) == good


def test_two_files_for_one_pack_path_are_refused(tmp_path: Path) -> None:
    a = write(tmp_path / "a/wood.png", b"a")
    b = write(tmp_path / "b/wood.png", b"b")

    with pytest.raises(TransferError, match=r"both be packed as 'textures/wood\.png'"):
        run_transfer(
            [item_for(a, "textures/wood.png"), item_for(b, "textures/wood.png")],
            DirectoryTarget(tmp_path / "o"),
        )


def test_progress_is_monotonic_and_ends_at_the_totals(source_tree: SourceTree, tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    callers: set[int] = set()

    def listen(event: ProgressEvent) -> None:
        callers.add(threading.get_ident())
        events.append(event)

    result = run_transfer(source_tree.items, DirectoryTarget(tmp_path / "out"), listener=listen)

    assert all(e.stage is Stage.TRANSFER for e in events)
    for before, after in itertools.pairwise(events):
        assert after.files_done >= before.files_done
        assert after.bytes_done >= before.bytes_done
    last = events[-1]
    assert (last.files_done, last.files_total) == (len(source_tree.items), len(source_tree.items))
    assert last.bytes_done == last.bytes_total == result.bytes_total
    assert "sent 8 files" in last.message
    assert callers == {threading.get_ident()}  # listeners are called from the caller's thread only


def test_progress_events_are_throttled(tmp_path: Path) -> None:
    source = write(tmp_path / "one.txt", b"x")
    items = [item_for(source, f"many/{n}.txt") for n in range(3000)]
    events: list[ProgressEvent] = []

    result = run_transfer(items, DirectoryTarget(tmp_path / "out"), listener=events.append)

    assert result.files_sent == 3000
    # At most ~10 per second plus the start, batch-end and final events.
    assert len(events) <= 10 * result.seconds + 6
    assert events[-1].files_done == 3000


def test_the_main_blend_is_written_after_everything_else(source_tree: SourceTree, tmp_path: Path) -> None:
    import zipfile

    run_transfer(source_tree.items, ZipTarget(tmp_path / "pack.zip"))

    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        assert archive.namelist()[-1] == "shot.blend"


def test_a_cancel_before_start_touches_nothing(source_tree: SourceTree, tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()

    with pytest.raises(CancelledError):
        run_transfer(source_tree.items, DirectoryTarget(tmp_path / "out"), cancel=token)

    assert not (tmp_path / "out").exists()


def test_a_cancel_from_another_thread_stops_the_workers(tmp_path: Path) -> None:
    source = write(tmp_path / "one.txt", b"x" * 1000)
    items = [item_for(source, f"many/{n}.txt") for n in range(20000)]
    token = CancelToken()
    timers: list[threading.Timer] = []
    cancelled_at: list[float] = []

    def cancel_soon(event: ProgressEvent) -> None:
        def cancel() -> None:
            cancelled_at.append(time.monotonic())
            token.cancel()

        if not timers:  # the first event comes once sending starts
            timers.append(threading.Timer(0.1, cancel))
            timers[0].start()

    with pytest.raises(CancelledError):
        run_transfer(items, DirectoryTarget(tmp_path / "out"), listener=cancel_soon, cancel=token)

    assert time.monotonic() - cancelled_at[0] < 1.0
    assert 0 < len(list((tmp_path / "out/many").iterdir())) < 20000


def test_a_failure_is_reported_to_the_listener_as_an_error_event(source_tree: SourceTree, tmp_path: Path) -> None:
    doomed = source_tree.item("notes.txt")
    events: list[ProgressEvent] = []

    def listen(event: ProgressEvent) -> None:
        events.append(event)
        if event.message.startswith("sending"):
            doomed.source.unlink()

    with pytest.raises(TransferError) as caught:
        run_transfer(source_tree.items, DirectoryTarget(tmp_path / "out"), listener=listen)

    assert events[-1].error == str(caught.value)
    assert "notes.txt" in events[-1].error


def test_the_first_failure_stops_the_other_workers(tmp_path: Path) -> None:
    doomed = write(tmp_path / "big.bin", b"x" * 1_000_000)  # largest, so it is sent first
    small = write(tmp_path / "one.txt", b"x")
    items = [item_for(doomed, "big.bin"), *(item_for(small, f"many/{n}.txt") for n in range(5000))]

    def delete_after_begin(event: ProgressEvent) -> None:
        if event.message.startswith("sending"):
            doomed.unlink()

    with pytest.raises(TransferError, match=r"big\.bin"):
        run_transfer(items, DirectoryTarget(tmp_path / "out"), listener=delete_after_begin)

    written = list((tmp_path / "out/many").iterdir())
    assert len(written) < 1000


@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=5).map("/".join))
@settings(max_examples=300, deadline=None)
def test_every_accepted_pack_path_stays_inside_the_pack_root(pack_path: str) -> None:
    root = PurePosixPath("/pack/root")
    try:
        check_pack_path(pack_path)
    except TransferError:
        return
    resolved = PurePosixPath(posixpath.normpath(root / pack_path))
    assert resolved.is_relative_to(root) and resolved != root
    assert PureWindowsPath(pack_path).anchor == ""
