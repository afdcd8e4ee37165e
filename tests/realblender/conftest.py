# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the real-Blender tests (see harness.py for how the binary is run)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from realblender.harness import BULK, REPO, SCRIPTS, Production, Shaman, blender, start_shaman


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("realblender")
    shutil.copytree(SCRIPTS, folder / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture(scope="session")
def extension_zip(work: Path) -> Path:
    """The zip a user installs, built by Blender's own extension tooling (from the bpy module)."""
    if importlib.util.find_spec("bpy") is None:
        pytest.skip("building the zip uses the bpy module's extension tooling; bpy is not installed")
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_extension.py"), "--output-dir", str(work / "dist")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def production(work: Path) -> Production:
    """A library, textures and two shots, saved by the real Blender under test."""
    count, pixels = (int(n) for n in BULK.split("x"))
    project = work / "project"
    script = str(work / "scripts" / "make_shot.py")
    done = blender(
        ["--background", "--factory-startup", "--python-exit-code", "1", "--python", script, "--",
         str(project), str(count), str(pixels)],
        work, work / "maker-user",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return Production(work, project, project / "shots" / "shot.blend", project / "shots" / "shot_missing.blend")


@pytest.fixture
def shaman(work: Path, request: pytest.FixtureRequest) -> Iterator[Shaman]:
    """The embedded Shaman server on loopback, with fresh storage inside the work folder."""
    storage = work / f"shaman-{request.node.name}"
    proc, url = start_shaman(storage)
    try:
        yield Shaman(url, storage)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
