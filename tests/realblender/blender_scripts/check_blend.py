# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs inside the real Blender: open a blend file and say what it uses and what is missing.

    blender --background --factory-startup --python check_blend.py -- BLEND OUT.json

Writes {"paths": [...], "missing": [...], "libraries": [...], "images_loaded": {...}}:
every external path Blender itself lists (bpy.utils.blend_paths, absolute), the ones that
do not exist, every library with Blender's own is_missing flag, and whether each image's
pixels actually load.
"""

from __future__ import annotations

import json
import os
import sys

import bpy

args = sys.argv[sys.argv.index("--") + 1 :]
blend, out = args[0], args[1]
bpy.ops.wm.open_mainfile(filepath=blend)
paths = sorted(set(bpy.utils.blend_paths(absolute=True, packed=False, local=False)))
libraries = [{"path": bpy.path.abspath(lib.filepath), "is_missing": lib.is_missing} for lib in bpy.data.libraries]
images = {}
for image in bpy.data.images:
    if image.source == "FILE":
        image.reload()
        images[image.name] = bool(image.has_data) or image.size[0] > 0
report = {
    "blender": bpy.app.version_string,
    "paths": [os.path.normpath(p) for p in paths],
    "missing": [p for p in paths if not os.path.exists(p)],
    "libraries": libraries,
    "images_loaded": images,
}
with open(out, "w", encoding="utf-8") as f:
    json.dump(report, f, indent=1)
