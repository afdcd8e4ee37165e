# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the add-on tests: the extension zip built by Blender's own tooling, and a way
to run a probe script in a fresh Python with the bpy module and a private user folder.

bpy is process-global state, so everything that imports it runs in its own subprocess
(tests/addon/probes/*.py); a probe writes what it observed as JSON and the tests assert on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBES = Path(__file__).resolve().parent / "probes"
PROBE_TIMEOUT = 180

Probe = Callable[..., dict[str, Any]]


def build_zip(source: Path, output_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_extension.py"), "--source", str(source),
         "--output-dir", str(output_dir)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("bpy", reason="needs the bpy module to find Blender's extension tooling")
    out = tmp_path_factory.mktemp("dist")
    done = build_zip(REPO, out)
    assert done.returncode == 0, done.stdout + done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


def run_probe(name: str, user_dir: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run probes/<name>.py with BLENDER_USER_RESOURCES=user_dir; return the JSON it wrote."""
    out = user_dir.parent / f"{name}-{len(list(user_dir.parent.glob(name + '-*.json')))}.json"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("BAT_", "AWS_"))}
    full_env.update({"BLENDER_USER_RESOURCES": str(user_dir), "BAT_PROBE_OUT": str(out)})
    full_env.update(env or {})
    done = subprocess.run(
        [sys.executable, str(PROBES / f"{name}.py"), *args],
        capture_output=True, text=True, timeout=PROBE_TIMEOUT, env=full_env, cwd=str(user_dir.parent),
        check=False,
    )  # fmt: skip
    assert done.returncode == 0 and out.exists(), f"probe {name} failed:\n{done.stdout}\n{done.stderr}"
    facts: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    facts["_stdout"] = done.stdout
    return facts


@pytest.fixture(scope="session")
def probe() -> Probe:
    """run_probe, for test modules (they cannot import this conftest by name)."""
    return run_probe


@pytest.fixture(scope="session")
def sample_production(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/make_production.py, built once by real Blender: libraries linking libraries, an
    image sequence, a UDIM set and a texture outside the project. Returns the shot .blend."""
    pytest.importorskip("bpy", reason="the sample production is made by Blender")
    out = tmp_path_factory.mktemp("sample")
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "make_production.py"), str(out)],
        capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False,
    )  # fmt: skip
    shot = out / "project" / "shots" / "shot_010.blend"
    assert done.returncode == 0 and shot.is_file(), done.stdout + done.stderr
    return shot
