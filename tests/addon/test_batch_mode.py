# SPDX-License-Identifier: GPL-3.0-or-later
"""The operators in background mode (farm/CI): synchronous, progress on stdout, bpy.ops raising
on every failure so `--python-exit-code` makes Blender exit non-zero.

The real core does the work on a real production (probes/common.make_production: one texture
next to the blend, one outside the project by absolute path, one missing). A recorder in front
of the core's pack() shows which settings reached it; what was written is checked on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bpy

TOKEN = "tok-very-secret-4711"
SECRET = "s3-secret-value-0815"


@pytest.fixture(scope="module")
def facts(extension_zip: Path, probe: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("batch")
    env = {
        "BAT_SHAMAN_URL": "http://127.0.0.1:8123/",
        "BAT_SHAMAN_TOKEN": TOKEN,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": SECRET,
    }
    found: dict[str, Any] = probe("batch", work / "user", str(extension_zip), env=env)
    found["work"] = str(work)
    return found


def test_a_never_saved_file_is_refused(facts: dict[str, Any]) -> None:
    assert "never saved" in facts["never_saved"]["raised"]
    assert facts["never_saved"]["result"]["status"] == "FAILED"


def test_without_the_core_the_operator_raises_a_clear_error(facts: dict[str, Any]) -> None:
    raised = facts["core_missing"]["raised"]
    assert "packing core is not available" in raised and "bat_core.api" in raised
    assert "Traceback" not in raised


def test_pack_to_directory_runs_synchronously_and_prints_progress(facts: dict[str, Any]) -> None:
    work = Path(facts["work"])
    assert facts["directory"]["returned"] == ["FINISHED"]
    assert facts["directory_files"] == ["_outside_project/library/sky.png", "shot.blend", "textures/brick.png"]
    (call,) = facts["directory_calls"]
    assert call["target"] == str(work / "out-dir")
    assert call["blend"] == str(work / "project" / "shot.blend")
    assert call["cache_dir"].endswith("blender_asset_tracer/checksum-cache")
    for stage in ("trace", "plan", "rewrite", "transfer", "done"):
        assert f"BAT: [{stage}]" in facts["_stdout"], stage
    assert "BAT: [transfer] 0/3 files" in facts["_stdout"] and "BAT: [done] 3/3 files" in facts["_stdout"]
    result = facts["directory"]["result"]
    assert result["status"] == "WARNING" and result["files_total"] == 3
    assert result["dependencies"] == [["missing", str(work / "project" / "textures" / "gone.png"), ""]]
    assert "1 referenced file is missing" in result["message"]


def test_strict_mode_with_missing_files_raises_and_writes_nothing(facts: dict[str, Any]) -> None:
    raised = facts["strict"]["raised"]
    assert "1 dependencies are missing" in raised and raised.strip().endswith("textures/gone.png")
    assert facts["strict"]["result"]["status"] == "FAILED"
    assert facts["strict_wrote"] is False


def test_a_core_error_raises_with_the_cores_message(facts: dict[str, Any]) -> None:
    assert facts["core_error"]["raised"].strip().endswith("a-file: exists and is not a folder")
    assert "Traceback" not in facts["core_error"]["raised"]


def test_pack_to_zip_adds_the_extension_and_writes_the_zip(facts: dict[str, Any]) -> None:
    assert facts["zip"]["returned"] == ["FINISHED"]
    assert facts["zip"]["result"]["target"] == str(Path(facts["work"]) / "pack.zip")
    assert facts["zip_names"] == ["_outside_project/library/sky.png", "shot.blend", "textures/brick.png"]


def test_shaman_needs_online_access_and_says_how_to_enable_it(facts: dict[str, Any]) -> None:
    raised = facts["shaman_offline"]["raised"]
    assert "online access is off" in raised and "--online-mode" in raised
    assert "127.0.0.1:8123" in raised  # from BAT_SHAMAN_URL
    assert facts["shaman_offline_calls"] == []


def test_s3_keys_come_from_aws_variables_and_an_unreachable_endpoint_raises(facts: dict[str, Any]) -> None:
    (call,) = facts["s3_calls"]
    assert call["target"] == "s3://renders/shot/010"
    assert call["s3_endpoint"] == "http://127.0.0.1:9"
    assert (call["s3_access_key"], call["s3_secret_key"]) == ("AKIDEXAMPLE", SECRET)
    raised = facts["s3"]["raised"]
    assert "cannot reach S3 endpoint http://127.0.0.1:9" in raised
    assert facts["s3"]["result"]["status"] == "FAILED"


def test_secrets_never_reach_the_console_or_a_message(facts: dict[str, Any]) -> None:
    shown = {k: v for k, v in facts.items() if not k.endswith("_calls")}
    assert TOKEN not in facts["_stdout"] and SECRET not in facts["_stdout"]
    assert SECRET not in json.dumps(shown) and TOKEN not in json.dumps(shown)


def test_the_n_panel_settings_apply_and_operator_properties_override_them(facts: dict[str, Any]) -> None:
    (scene_call,) = facts["scene_settings_calls"]
    work = Path(facts["work"])
    assert scene_call["target"] == str(work / "out-scene")
    assert scene_call["exclude"] == ["*.psd", "cache/*"]
    assert scene_call["project"] == str(work / "project")  # "//" resolved against the blend file
    assert scene_call["noop"] is True
    assert facts["scene_settings"]["result"]["message"].startswith("BAT: Dry run: would pack 3 files")
    assert facts["scene_settings_wrote"] is False
    (override,) = facts["override_calls"]
    assert override["noop"] is False and override["exclude"] == ["*.png"]
    assert facts["override_files"] == ["shot.blend"]


def test_batch_mode_packs_the_saved_file_unless_told_to_save_first(facts: dict[str, Any]) -> None:
    assert facts["unsaved_ask"]["returned"] == ["FINISHED"] and not facts["saved_by_ask"]
    assert f"BAT: using {Path(facts['work']) / 'project' / 'shot.blend'} as saved on disk" in facts["_stdout"]
    assert facts["unsaved_save"]["returned"] == ["FINISHED"] and facts["saved_by_save"]


def test_check_dependencies_lists_problems_with_owners_and_exports_json(facts: dict[str, Any]) -> None:
    work = Path(facts["work"])
    sky, gone = str(work / "library" / "sky.png"), str(work / "project" / "textures" / "gone.png")
    assert facts["check"]["returned"] == ["FINISHED"]
    assert facts["check"]["result"]["dependencies"] == [
        ["missing", gone, "IM:gone in shot.blend"],
        ["outside_project", sky, "IM:sky in shot.blend"],
        ["absolute", sky, "IM:sky in shot.blend"],
    ]
    report = facts["check_report"]
    assert report["operation"] == "check" and report["missing"] == [gone]
    assert [d["category"] for d in report["dependencies"]] == ["missing", "outside_project", "absolute"]
    # The core's detailed trace travels along for tools that want every reference.
    assert report["report"]["blend_files"] == [str(work / "project" / "shot.blend")]
    assert "raised" in facts["check_strict"] and "1 missing file(s)" in facts["check_strict"]["raised"]


def test_the_last_result_exports_as_json(facts: dict[str, Any]) -> None:
    assert facts["export"]["returned"] == ["FINISHED"]
    assert facts["exported"] == facts["check_report"]
