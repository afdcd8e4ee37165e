# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a snippet in a fresh process with the bpy module (real Blender) and get JSON back.

bpy is one global Blender per process, so every question to it gets its own process. The
snippet sets ``result`` to anything JSON-serialisable; ``args`` holds the extra arguments.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

_PRELUDE = """
import json, sys
import bpy
args = json.loads(sys.argv[1])
result = None
"""
_EPILOGUE = """
sys.stdout.write("\\n@@BPY-RESULT@@" + json.dumps(result) + "\\n")
"""


def run_bpy(snippet: str, *args: Any, timeout: float = 300) -> Any:
    code = _PRELUDE + textwrap.dedent(snippet) + _EPILOGUE
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    marker = "@@BPY-RESULT@@"
    if proc.returncode != 0 or marker not in proc.stdout:
        raise RuntimeError(f"bpy snippet failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.rsplit(marker, 1)[1])


def blender_paths(blend: str) -> dict[str, Any]:
    """Blender's own view of a file: its external paths, missing libraries and image data."""
    return dict(
        run_bpy(
            """
            bpy.ops.wm.open_mainfile(filepath=args[0])
            result = {
                "paths": sorted(bpy.utils.blend_paths(absolute=True, packed=False, local=False)),
                "missing_libraries": sorted(l.filepath for l in bpy.data.libraries if l.is_missing),
                "images": {i.name: {"filepath": i.filepath, "has_data": bool(i.has_data or i.size[0])}
                           for i in bpy.data.images if i.source in {"FILE", "SEQUENCE", "TILED"}},
            }
            """,
            blend,
        )
    )
