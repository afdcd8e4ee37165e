# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe: every pack operator of the installed extension, in background mode, against the real
core and real targets (a Shaman server and an S3 endpoint the test started on loopback).

Usage: packs.py ZIP SHOT_BLEND PROJECT_ROOT MISSING_BLEND  (BAT_SHAMAN_URL, BAT_S3_* from the
environment; BAT_DOWN_URL names a loopback port where nothing listens; MISSING_BLEND is a
production whose image and library files are gone)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import bpy
from common import PKG, Recorder, emit, install, run_operator

WORK = Path.cwd()


def main() -> None:
    zip_path, shot, project, broken = sys.argv[1:5]
    install(zip_path)
    bpy.ops.wm.open_mainfile(filepath=shot)
    recorder = Recorder()
    facts: dict[str, Any] = {}
    out = WORK / "out"

    facts["directory"] = run_operator("pack_directory", directory=str(out / "dir"), project=project)
    facts["zip"] = run_operator("pack_zip", filepath=str(out / "pack"), project=project)
    recorder.take()

    bpy.context.preferences.system.use_online_access = True
    # The URL and token come from BAT_SHAMAN_URL / BAT_SHAMAN_TOKEN, the checkout from the operator.
    facts["shaman"] = run_operator("pack_send_shaman", checkout_path="shots/shot_010", project=project)
    facts["shaman_calls"] = recorder.take()
    facts["shaman_again"] = run_operator("pack_send_shaman", checkout_path="shots/shot_010-again", project=project)
    facts["cache_files"] = sorted(
        str(p.relative_to(WORK / "user")) for p in (WORK / "user").rglob("*") if "checksum-cache" in str(p)
    )
    facts["shaman_down"] = run_operator(
        "pack_send_shaman", shaman_url=os.environ["BAT_DOWN_URL"], checkout_path="x", project=project
    )

    recorder.take()
    facts["s3"] = run_operator("pack_s3", path="packs/shot_010", project=project)
    facts["s3_calls"] = recorder.take()
    facts["s3_again"] = run_operator("pack_s3", path="packs/shot_010", project=project)
    prefs = bpy.context.preferences.addons[PKG].preferences
    prefs.s3_bucket = "no-such-bucket-bat"
    os.environ.pop("BAT_S3_BUCKET")
    facts["s3_no_bucket"] = run_operator("pack_s3", path="x", project=project)
    recorder.take()

    bpy.ops.wm.open_mainfile(filepath=broken)
    report = WORK / "missing-report.json"
    facts["check"] = run_operator("check_dependencies", export_json=str(report))
    facts["check_report"] = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    facts["check_strict"] = run_operator("check_dependencies", strict=True)
    facts["strict_shaman"] = run_operator("pack_send_shaman", checkout_path="broken", strict=True)
    facts["strict_zip"] = run_operator("pack_zip", filepath=str(out / "broken.zip"), strict=True)
    facts["strict_zip_written"] = (out / "broken.zip").exists()
    facts["lenient_dir"] = run_operator("pack_directory", directory=str(out / "broken"))
    facts["strict_calls"] = len(recorder.take())
    emit(facts)


main()
