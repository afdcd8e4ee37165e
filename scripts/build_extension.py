# SPDX-License-Identifier: GPL-3.0-or-later
"""Build and validate the extension zip with Blender's own extension tooling.

Usage: .venv/bin/python scripts/build_extension.py [--source DIR] [--output-dir DIR]

This is ``blender --command extension build`` and ``... validate`` without a Blender
binary: the bpy module ships the same command-line module (bl_pkg's ``blender_ext``), and
we call it the way Blender's own CLI handler does, with Blender's list of valid tags.
Prints the path of the zip on the last line; exits non-zero if building or validating fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


def blender_scripts() -> Path:
    """bpy's bundled scripts folder, found without importing bpy (which is slow and global)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the bpy module is not installed in this Python (see requirements/dev.txt)")
    package = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(package.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        raise SystemExit(f"{package}: Blender's extension tooling (bl_pkg/cli/blender_ext.py) not found")
    return found[-1].parents[3]


def load_blender_ext(scripts: Path) -> ModuleType:
    path = scripts / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    spec = importlib.util.spec_from_file_location("bat_blender_ext", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_blender_ext(args: list[str]) -> int:
    scripts = blender_scripts()
    tool = load_blender_ext(scripts)
    tags = scripts / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    # Same defaults and program name as `blender --command extension` (bl_extension_cli.py).
    tool.ARG_DEFAULTS_OVERRIDE.build_valid_tags = str(tags)
    result = tool.main(args, args_internal=False, prog="blender --command extension")
    return int(result)


def zip_name(source: Path) -> str:
    manifest = tomllib.loads((source / "blender_manifest.toml").read_text(encoding="utf-8"))
    return f"{manifest['id']}-{manifest['version']}.zip"


def build(source: Path, output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / zip_name(source)
    if output.exists():
        output.unlink()
    if run_blender_ext(["build", "--source-dir", str(source), "--output-filepath", str(output)]) != 0:
        raise SystemExit(f"{source}: Blender's extension build failed (see above)")
    if run_blender_ext(["validate", str(output)]) != 0:
        raise SystemExit(f"{output}: Blender's extension validate failed (see above)")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO, help="folder with blender_manifest.toml")
    parser.add_argument("--output-dir", type=Path, default=REPO / "dist")
    args = parser.parse_args(argv)
    print(build(args.source.resolve(), args.output_dir.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
