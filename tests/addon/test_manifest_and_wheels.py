# SPDX-License-Identifier: GPL-3.0-or-later
"""The extension manifest ships exactly the pinned wheels, and its fields follow Blender's rules."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import bat_core

REPO = Path(__file__).resolve().parents[2]
MANIFEST = tomllib.loads((REPO / "blender_manifest.toml").read_text(encoding="utf-8"))
# Blender 4.2+ bundles these; shipping them would clash with Blender's and other extensions' copies.
BUNDLED_BY_BLENDER = {"requests", "urllib3", "certifi", "zstandard", "charset_normalizer", "idna", "numpy"}


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bat_script_{name}", REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


fetch_wheels = load_script("fetch_wheels")


def test_manifest_lists_exactly_the_wheels_in_the_wheels_folder() -> None:
    listed = {p.removeprefix("./") for p in MANIFEST["wheels"]}
    on_disk = {f"wheels/{p.name}" for p in (REPO / "wheels").iterdir()}
    assert listed == on_disk
    assert len(listed) == len(MANIFEST["wheels"]), "a wheel is listed twice"


def test_wheels_match_their_pinned_versions_and_hashes() -> None:
    pins = fetch_wheels.read_pins()
    assert {p.name for p in pins} == {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six"}
    assert fetch_wheels.problems(pins) == []


def test_a_tampered_wheel_is_reported(tmp_path: Path) -> None:
    pins = fetch_wheels.read_pins()
    for pin in pins:
        wheel = fetch_wheels.wheel_for(pin, REPO / "wheels")
        (tmp_path / wheel.name).write_bytes(wheel.read_bytes())
    victim = fetch_wheels.wheel_for(pins[-1], tmp_path)
    victim.write_bytes(victim.read_bytes() + b"\0")
    (tmp_path / "stray-1.0-py3-none-any.whl").write_bytes(b"")
    found = fetch_wheels.problems(pins, tmp_path)
    assert any(victim.name in line and "sha256" in line for line in found)
    assert any("stray-1.0" in line and "not pinned" in line for line in found)
    assert len(found) == 2


def test_no_wheel_duplicates_a_package_blender_bundles() -> None:
    names = {re.sub(r"[-_.]+", "_", p.name).lower() for p in fetch_wheels.read_pins()}
    assert names.isdisjoint(BUNDLED_BY_BLENDER)


def test_manifest_has_the_fields_blender_requires() -> None:
    assert MANIFEST["schema_version"] == "1.0.0"
    assert MANIFEST["id"] == "blender_asset_tracer"
    assert MANIFEST["name"] == "Blender Asset Tracer"
    assert MANIFEST["type"] == "add-on"
    assert MANIFEST["license"] == ["SPDX:GPL-3.0-or-later"]
    assert MANIFEST["blender_version_min"] == "4.2.0"
    assert MANIFEST["maintainer"]
    tagline = MANIFEST["tagline"]
    assert len(tagline) <= 64 and not tagline.endswith(".")
    assert set(MANIFEST["permissions"]) == {"files", "network"}
    for reason in MANIFEST["permissions"].values():
        assert 0 < len(reason) <= 64 and not reason.endswith(".")


def test_manifest_version_is_the_core_and_project_version() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    assert MANIFEST["version"] == bat_core.__version__ == project["version"]


def test_build_excludes_tests_scripts_and_caches() -> None:
    patterns = set(MANIFEST["build"]["paths_exclude_pattern"])
    # A custom list replaces Blender's defaults, so they must be repeated.
    assert {"__pycache__/", ".*", "/*.zip", "*.blend[1-9]"} <= patterns
    assert {"/tests/", "/scripts/", "/benchmarks/", "/requirements/", "/pyproject.toml"} <= patterns
