# SPDX-License-Identifier: GPL-3.0-or-later
"""Running the real ``blender`` binary (not the bpy module) from tests.

BAT_REAL_BLENDER names a command that behaves like ``blender`` (for example
../shared/tools/realblender/blender, Debian's Blender in a chroot); BAT_REAL_BLENDER_GUI names
one that starts it with a window (scripts/realblender-gui: the same chroot under Xvfb).
``eval "$(bash scripts/realblender.sh)"`` builds the chroot and sets both; without them the
tests skip and say why (BAT_REAL_BLENDER_UNAVAILABLE carries the reason a build failed).

The binary may run in a chroot that sees only /tmp and its working directory, so everything it
reads or writes lives in one work folder, which is also its working directory: the scripts it
runs (copied from blender_scripts/), the production, the Shaman servers' storage.
"""

from __future__ import annotations

import os
import selectors
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "blender_scripts"
RESULTS = REPO / "results" / "realblender"
BLENDER = os.environ.get("BAT_REAL_BLENDER", "")
GUI = os.environ.get("BAT_REAL_BLENDER_GUI", "")
EXTENSION_ID = "blender_asset_tracer"
# Noise images make the pack big enough that the interface test can watch an upload (count x pixels²,
# 24-bit BMP: 12 x 2048² is 151 MB).
BULK = os.environ.get("BAT_REAL_BLENDER_BULK", "12x2048")


def why_not(variable: str, value: str) -> str:
    reason = os.environ.get("BAT_REAL_BLENDER_UNAVAILABLE", "")
    hint = 'eval "$(bash scripts/realblender.sh)" sets it (needs root; builds Debian\'s Blender in a chroot)'
    return f"{variable} is not set: {reason or hint}" if not value else ""


needs_blender = pytest.mark.skipif(not BLENDER, reason=why_not("BAT_REAL_BLENDER", BLENDER))
needs_gui = pytest.mark.skipif(not (BLENDER and GUI), reason=why_not("BAT_REAL_BLENDER_GUI", GUI) or why_not(
    "BAT_REAL_BLENDER", BLENDER))  # fmt: skip


def blender(
    args: list[str], work: Path, user: Path, *, gui: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the real Blender in ``work`` with its user folder (preferences, extensions) at ``user``."""
    command = shlex.split(GUI if gui else BLENDER)
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(user)}
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=work
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # TERM first: the chroot wrapper forwards it to Blender, a KILL would leave Blender behind.
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        raise AssertionError(f"{command[0]} {' '.join(args)}: still running after {timeout} s\n{out}\n{err}") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@dataclass(frozen=True)
class Production:
    work: Path
    project: Path
    shot: Path
    shot_missing: Path


def install(extension_zip: Path, work: Path, name: str) -> Path:
    """A fresh user folder with the extension installed the way the manual says."""
    user = work / name
    zip_arg = str(extension_zip.relative_to(work))
    done = blender(["--command", "extension", "install-file", "-r", "user_default", "-e", zip_arg], work, user)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f'Installed "{EXTENSION_ID}"' in done.stdout, done.stdout
    assert any(user.rglob(f"extensions/user_default/{EXTENSION_ID}/blender_manifest.toml")), sorted(user.rglob("*"))
    return user


@dataclass(frozen=True)
class Shaman:
    url: str
    storage: Path


def start_shaman(storage: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bat_core.shaman.server", "--storage", str(storage), "--port", "0"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout=30)
    line = proc.stdout.readline() if ready else ""
    if "listening on" not in line:
        proc.kill()
        raise AssertionError(f"the Shaman server did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip()


def free_port() -> int:
    """A loopback port nobody listens on (taken and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def keep_results(*files: Path) -> Path:
    """Copy files into results/realblender/ (gitignored, kept by CI as artifacts)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy(file, RESULTS / file.name)
    return RESULTS
