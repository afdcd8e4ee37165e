# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender side of scripts/demo: runs in Blender's batch mode (the bpy module, or a real
``blender --background --python-exit-code 1 --python demo_blender.py -- ...``).

    demo_blender.py EXTENSION_ZIP SHOT_BLEND SHAMAN_URL CHECKOUT RESULT_JSON

Installs the extension zip into this Blender's user folder (BLENDER_USER_RESOURCES picks a
temporary one), opens the shot, checks its dependencies, then runs Pack & Send to Shaman twice
through the add-on's operators, exactly as a farm script would. The operators print their own
progress lines; a failure makes ``bpy.ops`` raise, so this script (and Blender) exits non-zero.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import bpy


def args() -> list[str]:
    argv = sys.argv
    return argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]


def result() -> dict[str, Any]:
    found = bpy.context.window_manager.bat_result
    return {
        "status": found.status,
        "message": found.message,
        "checkout_path": found.checkout_path,
        "main_blend_in_pack": found.main_blend_in_pack,
        "files_total": found.files_total,
        "bytes_total": int(found.bytes_total or 0),
        "uploaded_files": found.uploaded_files,
        "uploaded_bytes": int(found.uploaded_bytes or 0),
        "missing": [d.path for d in found.dependencies if d.category == "missing"],
    }


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def main() -> None:
    zip_path, shot, shaman_url, checkout, out = args()[:5]
    step(f"installing {Path(zip_path).name} as a Blender extension")
    installed = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    assert installed == {"FINISHED"}, installed
    bpy.ops.wm.open_mainfile(filepath=shot)
    project = str(Path(shot).parent.parent)

    step("bpy.ops.bat.check_dependencies()")
    bpy.ops.bat.check_dependencies(project=project)
    checked = result()

    # A farm machine allows network access explicitly (or runs Blender with --online-mode).
    bpy.context.preferences.system.use_online_access = True
    step(f"bpy.ops.bat.pack_send_shaman(shaman_url={shaman_url!r}, checkout_path={checkout!r}, strict=True)")
    bpy.ops.bat.pack_send_shaman(shaman_url=shaman_url, checkout_path=checkout, project=project, strict=True)
    first = result()

    step("sending the unchanged shot again (another checkout)")
    bpy.ops.bat.pack_send_shaman(shaman_url=shaman_url, checkout_path=checkout + "-again", project=project)
    again = result()

    Path(out).write_text(json.dumps({"check": checked, "first": first, "again": again}, indent=1), encoding="utf-8")


main()
