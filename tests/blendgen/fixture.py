# SPDX-License-Identifier: GPL-3.0-or-later
"""Session fixture ``productions``: the generated productions, built once and cached on disk.

The cache folder is keyed by a hash of the generator's source and the Python running it, so an
edit to any builder rebuilds and an unchanged generator costs nothing. Location:
``$BAT_TEST_CACHE/blendgen-<hash>/`` (default ``~/.cache/bat-tests/``). A lock file keeps two
pytest sessions from building the same folder at once; ``COMPLETE`` marks a finished build.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blendgen.production import Production, read_productions

GENERATOR_DIR = Path(__file__).resolve().parent
TESTS_DIR = GENERATOR_DIR.parent
BUILD_TIMEOUT_S = 900


def source_hash() -> str:
    h = hashlib.sha256(sys.executable.encode())
    for p in sorted(GENERATOR_DIR.rglob("*.py")):
        h.update(p.relative_to(GENERATOR_DIR).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def cache_root() -> Path:
    env = os.environ.get("BAT_TEST_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "bat-tests"


def ensure_productions(root: Path | None = None) -> Path:
    """Build every kind into the cache (unless already there) and return the folder."""
    out = (root or cache_root()) / f"blendgen-{source_hash()}"
    done = out / "COMPLETE"
    if done.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.is_file():
            return out
        if out.exists():
            shutil.rmtree(out)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS_DIR), env.get("PYTHONPATH", "")) if p)
        proc = subprocess.run(
            [sys.executable, "-m", "blendgen.make", str(out)],
            cwd=TESTS_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"building test productions into {out} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
            )
        done.write_text(proc.stdout, encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def productions() -> dict[str, Production]:
    """Every generated production by kind name (needs bpy: mark users ``@pytest.mark.bpy``)."""
    if importlib.util.find_spec("bpy") is None:
        pytest.skip("bpy (Blender as a Python module) is not installed")
    version = importlib.metadata.version("bpy")
    if int(version.split(".")[0]) < 5:
        # The builders use Blender 5.0 APIs (sequencer strips, OSL cameras, import nodes), and a
        # file written by 5.0 cannot be opened by 4.x, so these tests need bpy 5.0+.
        pytest.skip(f"the test productions are built with Blender 5.0 APIs; this is bpy {version}")
    return read_productions(ensure_productions())
