# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe: the operators in background (batch) mode, the way a farm or CI runs them:
synchronous, progress lines on stdout, bpy.ops raising on failure. The real core does the work;
a Recorder in front of its pack() notes which settings reached it."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import bpy
from common import PKG, Recorder, emit, install, make_production, run_operator

WORK = Path.cwd()


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def main() -> None:
    install(sys.argv[1])
    facts: dict[str, Any] = {}
    facts["never_saved"] = run_operator("pack_directory", directory=str(WORK / "never"))

    blend = make_production(WORK / "project")
    # Make the core's api module unimportable: the error must be clear, not a traceback.
    sys.modules[f"{PKG}.bat_core.api"] = None  # type: ignore[assignment]
    facts["core_missing"] = run_operator("pack_directory", directory=str(WORK / "out-nocore"))
    del sys.modules[f"{PKG}.bat_core.api"]
    recorder = Recorder()

    facts["directory"] = run_operator("pack_directory", directory=str(WORK / "out-dir"))
    facts["directory_calls"] = recorder.take()
    facts["directory_files"] = listing(WORK / "out-dir")
    facts["strict"] = run_operator("pack_directory", directory=str(WORK / "out-strict"), strict=True)
    facts["strict_wrote"] = (WORK / "out-strict").exists()

    (WORK / "a-file").write_text("not a folder")
    facts["core_error"] = run_operator("pack_directory", directory=str(WORK / "a-file"))

    facts["zip"] = run_operator("pack_zip", filepath=str(WORK / "pack"))
    facts["zip_names"] = sorted(zipfile.ZipFile(WORK / "pack.zip").namelist())
    recorder.take()

    facts["shaman_offline"] = run_operator("pack_send_shaman", checkout_path="shots/010")
    facts["shaman_offline_calls"] = recorder.take()
    bpy.context.preferences.system.use_online_access = True
    # Nothing listens on port 9: the keys from the AWS_* variables reach the core, which fails.
    facts["s3"] = run_operator("pack_s3", bucket="renders", path="shot/010", endpoint="http://127.0.0.1:9")
    facts["s3_calls"] = recorder.take()

    settings = bpy.context.scene.bat_settings
    settings.exclude = "*.psd; cache/*"
    settings.project_root = "//"
    settings.dry_run = True
    settings.directory = str(WORK / "out-scene")
    bpy.ops.wm.save_mainfile()
    facts["scene_settings"] = run_operator("pack_directory")
    facts["scene_settings_calls"] = recorder.take()
    facts["scene_settings_wrote"] = (WORK / "out-scene").exists()
    facts["override"] = run_operator("pack_directory", noop=False, exclude="*.png")
    facts["override_calls"] = recorder.take()
    facts["override_files"] = listing(WORK / "out-scene")

    # Batch mode cannot know about unsaved edits (Blender reports is_dirty even right after
    # loading): it packs the saved file and says so, or saves first with the SAVE policy.
    settings.exclude = ""
    bpy.context.scene.frame_end = 42
    before = blend.stat().st_mtime_ns
    facts["unsaved_ask"] = run_operator("pack_directory")
    facts["saved_by_ask"] = blend.stat().st_mtime_ns != before
    prefs = bpy.context.preferences.addons[PKG].preferences
    prefs.unsaved_policy = "SAVE"
    facts["unsaved_save"] = run_operator("pack_directory")
    facts["saved_by_save"] = blend.stat().st_mtime_ns != before

    report = WORK / "deps.json"
    facts["check"] = run_operator("check_dependencies", export_json=str(report))
    facts["check_report"] = json.loads(report.read_text()) if report.exists() else None
    exported = WORK / "exported-report"
    facts["export"] = run_operator("export_report", filepath=str(exported))
    written = exported.with_suffix(".json")
    facts["exported"] = json.loads(written.read_text()) if written.exists() else None
    facts["check_strict"] = run_operator("check_dependencies", strict=True)
    emit(facts)


main()
