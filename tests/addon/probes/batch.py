# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe: the operators in background (batch) mode, the way a farm or CI runs them:
synchronous, progress lines on stdout, bpy.ops raising on failure."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import bpy
from common import PKG, emit, install, make_production, module

WORK = Path.cwd()


def run(name: str, **props: Any) -> dict[str, Any]:
    """Call bpy.ops.bat.<name>; record its return value or the error it raised, and the result."""
    operator = getattr(bpy.ops.bat, name)
    try:
        outcome: dict[str, Any] = {"returned": sorted(operator(**props))}
    except RuntimeError as ex:
        outcome = {"raised": str(ex)}
    result = bpy.context.window_manager.bat_result
    outcome["result"] = {
        "status": result.status,
        "message": result.message,
        "target": result.target,
        "checkout_path": result.checkout_path,
        "files_total": result.files_total,
        "dependencies": [(d.category, d.path, d.owner) for d in result.dependencies],
    }
    return outcome


def core_calls() -> list[dict[str, Any]]:
    log = WORK / "standin.log"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def use_standin_core() -> None:
    import standin_api

    sys.modules[f"{PKG}.bat_core.api"] = standin_api
    module("bat_core").api = standin_api


def main() -> None:
    install(sys.argv[1])
    facts: dict[str, Any] = {}
    facts["never_saved"] = run("pack_directory", directory=str(WORK / "never"))

    blend = make_production(WORK / "project")
    # Whatever this build's core is, make its api module unimportable: the error must be clear.
    sys.modules[f"{PKG}.bat_core.api"] = None  # type: ignore[assignment]
    facts["core_missing"] = run("pack_directory", directory=str(WORK / "out-nocore"))
    del sys.modules[f"{PKG}.bat_core.api"]
    use_standin_core()

    facts["directory"] = run("pack_directory", directory=str(WORK / "out-dir"))
    facts["directory_calls"] = core_calls()
    facts["directory_files"] = sorted(str(p.relative_to(WORK / "out-dir")) for p in (WORK / "out-dir").rglob("*"))
    facts["strict"] = run("pack_directory", directory=str(WORK / "out-strict"), strict=True)
    core_calls()

    (WORK / "a-file").write_text("not a folder")
    facts["core_error"] = run("pack_directory", directory=str(WORK / "a-file"))
    core_calls()

    facts["zip"] = run("pack_zip", filepath=str(WORK / "pack"))
    core_calls()
    facts["zip_names"] = sorted(zipfile.ZipFile(WORK / "pack.zip").namelist())

    facts["shaman_offline"] = run("pack_send_shaman", checkout_path="shots/010")
    facts["shaman_offline_calls"] = core_calls()
    bpy.context.preferences.system.use_online_access = True
    facts["shaman"] = run("pack_send_shaman", checkout_path="shots/010")
    facts["shaman_calls"] = core_calls()
    facts["s3"] = run("pack_s3", bucket="renders", path="shot/010", endpoint="http://127.0.0.1:9")
    facts["s3_calls"] = core_calls()

    settings = bpy.context.scene.bat_settings
    settings.exclude = "*.psd; cache/*"
    settings.project_root = "//"
    settings.dry_run = True
    settings.directory = str(WORK / "out-scene")
    bpy.ops.wm.save_mainfile()
    facts["scene_settings"] = run("pack_directory")
    facts["scene_settings_calls"] = core_calls()
    facts["override"] = run("pack_directory", noop=False, exclude="*.exr")
    facts["override_calls"] = core_calls()

    # Batch mode cannot know about unsaved edits (Blender reports is_dirty even right after
    # loading): it packs the saved file and says so, or saves first with the SAVE policy.
    bpy.context.scene.frame_end = 42
    before = blend.stat().st_mtime_ns
    facts["unsaved_ask"] = run("pack_directory")
    facts["saved_by_ask"] = blend.stat().st_mtime_ns != before
    prefs = bpy.context.preferences.addons[PKG].preferences
    prefs.unsaved_policy = "SAVE"
    facts["unsaved_save"] = run("pack_directory")
    facts["saved_by_save"] = blend.stat().st_mtime_ns != before
    core_calls()

    report = WORK / "deps.json"
    facts["check"] = run("check_dependencies", export_json=str(report))
    facts["check_calls"] = core_calls()
    facts["check_report"] = json.loads(report.read_text()) if report.exists() else None
    exported = WORK / "exported-report"
    facts["export"] = run("export_report", filepath=str(exported))
    written = exported.with_suffix(".json")
    facts["exported"] = json.loads(written.read_text()) if written.exists() else None
    facts["check_strict"] = run("check_dependencies", strict=True)
    emit(facts)


main()
