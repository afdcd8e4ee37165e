# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's main-job command (scripts/demo.py) does what it says: the add-on, installed from
the built zip, packs and sends the sample production to a loopback Shaman server in batch mode,
and the checkout opens in Blender with nothing missing; the second send uploads nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.bpy


def test_the_demo_sends_through_the_add_on_and_the_checkout_opens_with_zero_missing_files(tmp_path: Path) -> None:
    pytest.importorskip("bpy")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAT_", "AWS_"))}
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py"), str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert 'STATUS Installed "blender_asset_tracer"' in out
    assert "bpy.ops.bat.pack_send_shaman(shaman_url='http://127.0.0.1:" in out
    assert "BAT: [transfer] 0/11 files" in out and "BAT: [done] 11/11 files" in out
    assert "checkout path: demo/shot_010" in out
    assert "first send:  uploaded 11 of 11 files" in out
    assert "second send: uploaded 0 files (0 bytes)" in out
    assert "0 missing files, 0 paths outside the checkout" in out
    checkout = tmp_path / "demo" / "shaman-storage" / "jobs" / "demo" / "shot_010" / "shots" / "shot_010.blend"
    assert checkout.is_file()
    # The add-on ran from its installed copy, not from this checkout of the repository.
    installed = tmp_path / "demo" / "blender-user" / "extensions" / "user_default" / "blender_asset_tracer"
    assert (installed / "blender_manifest.toml").is_file()
