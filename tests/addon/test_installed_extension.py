# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on installed from the built zip as a real extension in real Blender (bpy module):
registration, a clean unregister, preferences, drawing, and boto3 from the extension's wheels."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bpy

REPO = Path(__file__).resolve().parents[2]

PACKAGE = "bl_ext.user_default.blender_asset_tracer"
OPERATORS = [
    "cancel_job", "check_dependencies", "export_report",
    "pack_directory", "pack_s3", "pack_send_shaman", "pack_zip",
]  # fmt: skip


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lifecycle") / "user"


@pytest.fixture(scope="module")
def facts(extension_zip: Path, user_dir: Path, probe: Any) -> dict[str, Any]:
    return probe("lifecycle", user_dir, str(extension_zip))  # type: ignore[no-any-return]


def test_the_zip_installs_and_enables_as_an_extension_package(facts: dict[str, Any], user_dir: Path) -> None:
    assert facts["installed"]["loaded"]
    assert facts["package"] == PACKAGE
    installed = user_dir / "extensions" / "user_default" / "blender_asset_tracer"
    assert (installed / "blender_manifest.toml").is_file()
    assert (installed / "bat_core" / "progress.py").is_file()


def test_every_core_module_imports_as_part_of_the_extension(facts: dict[str, Any]) -> None:
    # Inside Blender the core is "bl_ext.<repo>.blender_asset_tracer.bat_core": an absolute
    # "import bat_core..." anywhere in it would fail there (or pick up another copy).
    imports = facts["core_imports"]
    assert imports["count"] > 0
    assert imports["failed"] == {}
    assert imports["top_level"] == []


def test_every_operator_is_registered_with_its_properties(facts: dict[str, Any]) -> None:
    assert facts["installed"]["operators"] == OPERATORS
    props = facts["operator_properties"]
    assert {"shaman_url", "checkout_path", "strict", "noop", "project", "exclude"} <= set(props["pack_send_shaman"])
    assert "directory" in props["pack_directory"] and "filepath" in props["pack_zip"]
    assert {"bucket", "path", "endpoint", "region"} <= set(props["pack_s3"])
    assert {"project", "strict", "export_json"} <= set(props["check_dependencies"])
    # Secrets are preferences or environment only: operator properties end up in the Info log.
    assert not any("token" in p or "secret" in p for op in props.values() for p in op)


def test_secret_preferences_are_password_properties(facts: dict[str, Any]) -> None:
    subtypes = facts["pref_subtypes"]
    assert subtypes["shaman_token"] == "PASSWORD"
    assert subtypes["s3_secret_key"] == "PASSWORD"
    assert {"shaman_url", "s3_endpoint", "s3_region", "s3_bucket", "s3_access_key"} <= set(subtypes)
    assert subtypes["project_root"] == subtypes["cache_dir"] == "DIR_PATH"


def test_disabling_leaves_nothing_behind(facts: dict[str, Any]) -> None:
    assert facts["disabled"] == facts["before"]
    assert facts["before"]["types"] == [] and facts["before"]["file_menu_draws"] == []


def test_enabling_again_registers_everything_exactly_once(facts: dict[str, Any]) -> None:
    assert facts["reenabled"] == facts["installed"]
    assert len(facts["reenabled"]["file_menu_draws"]) == 1
    assert len(facts["reenabled"]["status_draws"]) == 1
    assert facts["installed"]["handlers"] == facts["before"]["handlers"]


def drawn_operators(drawn: dict[str, Any]) -> list[str]:
    return [c["operator"] for c in drawn["calls"] if c["fn"] == "operator"]


@pytest.mark.parametrize("when", ["drawn", "drawn_after_reenable"])
def test_the_file_menu_offers_shaman_and_a_submenu_with_the_other_targets(facts: dict[str, Any], when: str) -> None:
    drawn = facts[when]
    assert drawn["file_menu"]["problems"] == []
    assert drawn_operators(drawn["file_menu"]) == ["bat.pack_send_shaman"]
    shaman = next(c for c in drawn["file_menu"]["calls"] if c.get("operator") == "bat.pack_send_shaman")
    assert shaman["kwargs"]["text"] == "Pack & Send to Shaman"
    assert [c["menu"] for c in drawn["file_menu"]["calls"] if c["fn"] == "menu"] == ["BAT_MT_pack_targets"]
    assert drawn["targets_menu"]["problems"] == []
    assert drawn_operators(drawn["targets_menu"]) == [
        "bat.pack_directory", "bat.pack_zip", "bat.pack_s3", "bat.check_dependencies",
    ]  # fmt: skip


def test_the_n_panel_shows_the_location_of_the_chosen_target(facts: dict[str, Any]) -> None:
    expected = {
        "SHAMAN": ("shaman_checkout", "bat.pack_send_shaman"),
        "DIRECTORY": ("directory", "bat.pack_directory"),
        "ZIP": ("zip_path", "bat.pack_zip"),
        "S3": ("s3_path", "bat.pack_s3"),
    }
    for target, (location, operator) in expected.items():
        drawn = facts["drawn"][f"panel_{target}"]
        assert drawn["problems"] == []
        props = [c["prop"] for c in drawn["calls"] if c["fn"] == "prop"]
        assert props == [
            "target",
            location,
            "project_root",
            "exclude",
            "relative_only",
            "dry_run",
            "strict",
            "verify",
        ]
        assert drawn_operators(drawn) == [operator, "bat.check_dependencies"]


def test_idle_status_bar_and_empty_result_draw_quietly(facts: dict[str, Any]) -> None:
    assert facts["drawn"]["status_idle"] == {"calls": [], "problems": []}
    result = facts["drawn"]["result"]
    assert result["problems"] == [] and [c["fn"] for c in result["calls"]] == ["label"]


def test_preferences_draw_every_setting(facts: dict[str, Any]) -> None:
    drawn = facts["drawn"]["preferences"]
    assert drawn["problems"] == []
    props = {c["prop"] for c in drawn["calls"] if c["fn"] == "prop"}
    assert props == set(facts["pref_subtypes"]) - {"bl_idname"}


def test_a_fresh_blender_imports_boto3_from_the_extensions_own_wheels(
    facts: dict[str, Any], user_dir: Path, probe: Any
) -> None:
    fresh = probe("fresh_boto3", user_dir)
    assert fresh["preloaded"] == [] and fresh["enabled"]
    site = Path(fresh["extension_site"])
    assert site.is_relative_to(user_dir)
    pins = dict(
        line.split(" ")[0].split("==")
        for line in (REPO / "requirements" / "wheels.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six"):
        assert Path(fresh[name]["file"]).is_relative_to(site), name
    assert fresh["boto3"]["version"] == pins["boto3"]
    assert fresh["botocore"]["version"] == pins["botocore"]
    assert fresh["client"] == "S3"


def test_the_manifest_in_the_installed_copy_is_ours(user_dir: Path, facts: dict[str, Any]) -> None:
    installed = user_dir / "extensions" / "user_default" / "blender_asset_tracer" / "blender_manifest.toml"
    ours = tomllib.loads((REPO / "blender_manifest.toml").read_text(encoding="utf-8"))
    assert tomllib.loads(installed.read_text(encoding="utf-8"))["version"] == ours["version"]
