# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe for a real Blender in background mode (extension installed in the user folder):
blender --background --python-exit-code 1 --python real_batch.py -- WORKDIR lenient|strict

Makes a production and runs Pack to Directory with the extension's real core, the way a farm
script would; a failure must make Blender exit non-zero."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bpy
from common import make_production


def main() -> None:
    work, mode = Path(sys.argv[-2]), sys.argv[-1]
    make_production(work / "project")
    bpy.ops.bat.pack_directory(directory=str(work / f"out-{mode}"), strict=mode == "strict")
    print("BAT PROBE DONE", mode)


main()
