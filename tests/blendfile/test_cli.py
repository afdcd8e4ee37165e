# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m bat_core info|blocks``: JSON shapes, and one line on stderr for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from samples.fixtures import SampleSet

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bat_core", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "compression"),
    [("main.blend", "none"), ("main_zstd.blend", "zstd"), ("main_gzip.blend", "gzip")],
)
def test_info_json(bpy50_samples: SampleSet, name: str, compression: str) -> None:
    proc = _cli("info", "--json", str(bpy50_samples.folder / name))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["version"] == 500
    assert info["pointer_size"] == 8
    assert info["endianness"] == "little"
    assert info["compression"] == compression
    assert isinstance(info["blocks"], int) and info["blocks"] > 10


def test_info_json_on_a_blender_42_file() -> None:
    proc = _cli("info", "--json", str(REPO / "tests" / "data" / "bpy42" / "main_zstd.blend"))
    info = json.loads(proc.stdout)
    assert (info["version"], info["compression"]) == (402, "zstd")


def test_blocks_json_counts_add_up(bpy50_samples: SampleSet) -> None:
    path = bpy50_samples.folder / "main.blend"
    proc = _cli("blocks", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)["blocks"]
    info = json.loads(_cli("info", "--json", str(path)).stdout)
    assert sum(e["count"] for e in summary.values()) == info["blocks"]
    assert summary["OB"]["count"] == 4
    assert summary["DNA1"]["count"] == 1
    text = _cli("blocks", str(path)).stdout
    assert "DNA1" in text and "total" in text


@pytest.mark.parametrize("command", ["info", "blocks"])
def test_bad_input_is_one_line_without_traceback(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad.blend"
    bad.write_bytes(b"BLENDER-v27")
    proc = _cli(command, str(bad))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0]
