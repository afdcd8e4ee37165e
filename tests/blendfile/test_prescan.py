# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line's helper that reads the main file's block headers while the core loads:
its table is the one a scan reads, it is used only for the very file it read, and it never
hides a problem the usual scan would report."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from samples.fixtures import SampleSet

from bat_core.blendfile import file as blend_file
from bat_core.blendfile import open_blend, prescan, source
from bat_core.errors import TruncatedBlendFileError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the helper needs os.fork (POSIX)")

COLUMNS = ("offsets", "codes", "olds", "sdna_indices", "sizes")


@pytest.fixture
def plain(bpy50_samples: SampleSet, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Read every uncompressed file with pread, as large files are.
    monkeypatch.setattr(source, "UNCOMPRESSED_IN_MEMORY_LIMIT", 0)
    return bpy50_samples.folder / "main.blend"


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files this process scanned itself."""
    seen: list[Path] = []
    real = blend_file.scan_blocks

    def counting(path: Path, *rest: object) -> object:
        seen.append(path)
        return real(path, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(blend_file, "scan_blocks", counting)
    yield seen
    prescan.discard()


def _table(path: Path) -> tuple[list[list[int]], list[bytes]]:
    with open_blend(path) as bf:
        return [list(getattr(bf.blocks, c)) for c in COLUMNS], sorted(bf.view(b).id_name() for b in bf.id_blocks())


def test_the_helpers_table_is_the_one_a_scan_reads(plain: Path, scans: list[Path]) -> None:
    expected = _table(plain)
    scans.clear()
    assert prescan.start(plain, min_bytes=0)
    assert _table(plain) == expected
    assert scans == []


def test_a_file_replaced_after_the_helper_read_it_is_scanned_again(
    plain: Path, bpy50_samples: SampleSet, tmp_path: Path, scans: list[Path]
) -> None:
    path = tmp_path / "shot.blend"
    shutil.copy(plain, path)
    assert prescan.start(path, min_bytes=0)
    time.sleep(0.5)  # the helper has long read the first file
    other = bpy50_samples.folder / "lib.blend"
    shutil.copy(other, tmp_path / "other.blend")
    os.replace(tmp_path / "other.blend", path)
    assert _table(path) == _table(other)
    assert scans[0] == path  # not the helper's table of the file that was there before


def test_a_damaged_file_fails_as_it_does_without_the_helper(plain: Path, tmp_path: Path, scans: list[Path]) -> None:
    path = tmp_path / "cut.blend"
    path.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])
    assert prescan.start(path, min_bytes=0)
    with pytest.raises(TruncatedBlendFileError) as caught:
        open_blend(path)
    assert str(path) in str(caught.value)


def test_a_helper_nobody_needs_is_reaped(plain: Path, scans: list[Path]) -> None:
    assert prescan.start(plain, min_bytes=0)
    pending = prescan._slot.pending
    assert pending is not None
    prescan.discard()
    with pytest.raises(ChildProcessError):
        os.waitpid(pending.pid, os.WNOHANG)
    assert _table(plain)[0]  # and the file is simply scanned
    assert scans == [plain]


def test_no_helper_once_threads_run_small_files_or_other_formats(
    plain: Path, bpy50_samples: SampleSet, scans: list[Path]
) -> None:
    assert not prescan.start(plain)  # far below MIN_BYTES
    assert not prescan.start(bpy50_samples.folder / "main_zstd.blend", min_bytes=0)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not prescan.start(plain, min_bytes=0)  # forking a threaded process is not safe
    finally:
        release.set()
        other.join()


def test_the_list_command_traces_with_the_helpers_table(
    plain: Path, scans: list[Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bat_core.cli.main import main

    assert main(["list", "--json", "--jobs", "1", str(plain)]) == 0
    without = capsys.readouterr().out
    assert plain in scans
    scans.clear()
    monkeypatch.setattr(prescan, "MIN_BYTES", 0)
    assert main(["list", "--json", "--jobs", "1", str(plain)]) == 0
    assert capsys.readouterr().out == without
    assert plain not in scans  # the helper read the main file; libraries are read here as usual
    assert prescan._slot.pending is None
