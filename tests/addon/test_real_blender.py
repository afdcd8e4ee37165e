# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on in a real Blender binary (not the bpy module), when one is available:
BAT_REAL_BLENDER names it (e.g. shared/tools/realblender/blender). With BAT_REAL_BLENDER_GUI
(a command that starts that Blender with a window, e.g. under xvfb-run) the interactive path
runs for real: modal operator, window-manager timer, worker thread, a real ESC event."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

BLENDER = os.environ.get("BAT_REAL_BLENDER", "")
GUI = os.environ.get("BAT_REAL_BLENDER_GUI", "")
PROBES = Path(__file__).resolve().parent / "probes"

pytestmark = [
    pytest.mark.realblender,
    pytest.mark.bpy,
    pytest.mark.skipif(not BLENDER, reason="BAT_REAL_BLENDER is not set"),
]


def blender(args: list[str], work: Path, user: Path, prefix: str = "") -> subprocess.CompletedProcess[str]:
    command = shlex.split(prefix) if prefix else [BLENDER]
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(user)}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=300, env=env, cwd=work, check=False
    )


@pytest.fixture(scope="module")
def installed(extension_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("realblender")
    # The probes are copied next to the work: a chrooted Blender sees /tmp but not the repo.
    shutil.copytree(PROBES, work / "probes", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(extension_zip, work / extension_zip.name)
    user = work / "user"
    done = blender(
        ["--command", "extension", "install-file", "-r", "user_default", "-e", extension_zip.name], work, user
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return work, user


@pytest.mark.parametrize("mode", ["lenient", "strict"])
def test_batch_mode_exit_code_follows_the_outcome(installed: tuple[Path, Path], mode: str) -> None:
    work, user = installed
    run = work / mode
    run.mkdir()
    args = ["--background", "--python-exit-code", "1", "--python", str(work / "probes" / "real_batch.py")]
    done = blender([*args, "--", str(run), mode], work, user)
    if mode == "lenient":
        assert done.returncode == 0, done.stdout + done.stderr
        assert "BAT PROBE DONE lenient" in done.stdout
        copied = sorted(p.relative_to(run / "out-lenient").as_posix() for p in (run / "out-lenient").rglob("*.*"))
        assert copied == ["_outside_project/library/sky.png", "shot.blend", "textures/brick.png"]
    else:
        assert done.returncode == 1
        assert "1 dependencies are missing" in done.stdout + done.stderr
        assert f"{run / 'project' / 'textures' / 'gone.png'}" in done.stdout + done.stderr
        assert "BAT PROBE DONE" not in done.stdout


@pytest.mark.skipif(not GUI, reason="BAT_REAL_BLENDER_GUI is not set")
@pytest.mark.skipif(
    not os.environ.get("BAT_REAL_BLENDER_GUI_MODAL"),
    reason="timing-sensitive on software OpenGL (frames of 0.3-1.3 s against a 1.2 s job); set "
    "BAT_REAL_BLENDER_GUI_MODAL=1 to run it. tests/realblender/test_interface.py covers the interface in CI",
)
def test_the_interface_follows_a_running_job_and_esc_cancels_it(installed: tuple[Path, Path]) -> None:
    work, user = installed
    run = work / "gui"
    run.mkdir()
    args = ["--enable-event-simulate", "--python", str(work / "probes" / "gui_modal.py"), "--", str(run)]
    done = blender(args, work, user, prefix=GUI)
    report = run / "gui.json"
    assert report.exists(), done.stdout + done.stderr
    facts = json.loads(report.read_text())
    progress, esc = facts["runs"]
    assert progress["returned"] == ["RUNNING_MODAL"]
    assert progress["status"] == "WARNING" and progress["message"].startswith("BAT: Packed 3 files")
    # The main thread kept running while the worker copied: it saw the progress move.
    assert len(progress["progress_values_seen"]) >= 2
    assert progress["max_gap_s"] < 1.0
    assert esc["status"] == "CANCELLED" and esc["message"] == "BAT: cancelled by the user"
    assert len(esc["copied"]) < len(progress["copied"])
    # Without a target the operator asks in a dialog rather than failing or running.
    assert facts["dialog_returned"] == ["RUNNING_MODAL"] and facts["dialog_started_job"] is False
