# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/build_extension.py builds the zip with Blender's own extension tooling, the zip holds
only what the add-on needs, and Blender's validation really runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.bpy

REPO = Path(__file__).resolve().parents[2]
TOP_LEVEL = {"__init__.py", "blender_manifest.toml", "LICENSE", "bat_core", "operators", "ui", "wheels"}


def build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_extension.py"), "--source", str(source),
         "--output-dir", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('b', {str(REPO / 'scripts' / 'build_extension.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['b'] = m; spec.loader.exec_module(m)\n"
        f"sys.exit(m.run_blender_ext(['validate', {str(path)!r}]))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_the_zip_is_named_after_the_manifest_and_holds_only_the_add_on(extension_zip: Path) -> None:
    manifest = tomllib.loads((REPO / "blender_manifest.toml").read_text(encoding="utf-8"))
    assert extension_zip.name == f"blender_asset_tracer-{manifest['version']}.zip"
    names = zipfile.ZipFile(extension_zip).namelist()
    assert {n.split("/")[0] for n in names} == TOP_LEVEL
    for name in names:
        parts = name.split("/")
        assert not any(p.startswith(".") for p in parts), name
        assert "__pycache__" not in parts and not name.endswith((".pyc", ".blend1", ".zip")), name
        assert parts[0] not in {"tests", "scripts", "benchmarks", "requirements", "dist"}, name
    wheels = sorted(n for n in names if n.startswith("wheels/"))
    assert wheels == sorted(p.removeprefix("./") for p in manifest["wheels"])
    for module in ("operators/base.py", "operators/runner.py", "ui/statusbar.py", "bat_core/progress.py"):
        assert module in names


def test_blenders_validate_accepts_the_built_zip(extension_zip: Path) -> None:
    done = validate(extension_zip)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success parsing TOML" in done.stdout


def test_a_manifest_blender_rejects_fails_the_build_with_its_reason(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(REPO / "__init__.py", source / "__init__.py")
    (source / "wheels").symlink_to(REPO / "wheels")
    text = (REPO / "blender_manifest.toml").read_text(encoding="utf-8")
    # Blender's rule: a tagline must not end with a period.
    text = re.sub(r'(?m)^tagline = ".*"$', 'tagline = "A tagline that ends in a period."', text)
    (source / "blender_manifest.toml").write_text(text, encoding="utf-8")
    done = build(source, tmp_path / "out")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "tagline" in output and "punctuation" in output, output
    assert not list((tmp_path / "out").glob("*.zip"))
