# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line's helper that reads the main file's block headers while the core loads:
its table is the one a scan reads, it is used only for the very file it read, and it never
hides a problem the usual scan would report.

Each case runs in a fresh interpreter (prescan_cases.py): the helper is only ever forked
from a process with no other thread, as the command line is right after parsing its
arguments, and this test process has usually started servers and pools by now.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from samples.fixtures import SampleSet

from bat_core.blendfile import source

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the helper needs os.fork (POSIX)")

CASES = Path(__file__).with_name("prescan_cases.py")
sys.path.insert(0, str(CASES.parent))
from prescan_cases import digest  # noqa: E402


def run_case(case: str, *paths: Path) -> tuple[dict[str, Any], str]:
    """The case's result and whatever else it printed."""
    done = subprocess.run(
        [sys.executable, str(CASES), case, *map(str, paths)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    printed, _, result = done.stdout.rpartition("RESULT ")
    return json.loads(result), printed


@pytest.fixture
def plain(bpy50_samples: SampleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "main.blend"
    shutil.copy(bpy50_samples.folder / "main.blend", path)
    # Digests in this process read the file with pread too, as the cases do.
    monkeypatch.setattr(source, "UNCOMPRESSED_IN_MEMORY_LIMIT", 0)
    return path


def test_the_helpers_table_is_the_one_a_scan_reads(plain: Path) -> None:
    result, _ = run_case("same_table", plain)
    assert result["started"]
    assert result["scanned"] == []  # the reader took the helper's table ...
    assert result["digest"] == digest(plain)  # ... and it is what a scan reads


def test_a_file_replaced_after_the_helper_read_it_is_scanned_again(plain: Path, bpy50_samples: SampleSet) -> None:
    other = bpy50_samples.folder / "lib.blend"
    result, _ = run_case("replaced", plain, other)
    assert result["started"]
    assert result["scanned"] == [str(plain)]  # not the helper's table of the file that was there before
    assert result["digest"] == digest(other)


def test_a_damaged_file_fails_as_it_does_without_the_helper(plain: Path) -> None:
    cut = plain.with_name("cut.blend")
    cut.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])
    result, _ = run_case("damaged", cut)
    assert result["started"]
    assert result["error"] == "TruncatedBlendFileError"
    assert str(cut) in result["message"]


def test_a_helper_nobody_needs_is_reaped(plain: Path) -> None:
    result, _ = run_case("reaped", plain)
    assert result["started"] and result["helper_gone"]
    assert result["scanned"] == [str(plain)]  # the file is simply scanned
    assert result["digest"] == digest(plain)


def test_a_command_that_fails_early_does_not_wait_for_a_busy_helper(plain: Path) -> None:
    result, _ = run_case("discard_busy", plain)
    assert result["started"]
    assert result["discard_seconds"] < 5  # the helper sleeps 60 s before scanning


def test_the_list_command_traces_with_the_helpers_table(plain: Path, bpy50_samples: SampleSet) -> None:
    shutil.copy(bpy50_samples.folder / "lib.blend", plain.with_name("lib.blend"))
    shutil.copytree(bpy50_samples.folder / "textures", plain.with_name("textures"), dirs_exist_ok=True)
    result, printed = run_case("list_command", plain)
    assert result["code"] == 0 and not result["left_pending"]
    assert str(plain) not in result["scanned"]  # the helper read the main file; libraries are read here
    plain_run = subprocess.run(
        [sys.executable, "-m", "bat_core", "list", "--json", "--jobs", "1", str(plain)],
        capture_output=True,
        text=True,
        cwd=CASES.parents[2],
        check=True,
    )
    assert json.loads(printed) == json.loads(plain_run.stdout)


def test_no_helper_with_threads_running_for_small_files_other_formats_or_pipes(
    plain: Path, bpy50_samples: SampleSet
) -> None:
    result, _ = run_case("refusals", plain, bpy50_samples.folder / "main_zstd.blend")
    assert result == {"small": False, "zstd": False, "threaded": False, "fifo": False}
