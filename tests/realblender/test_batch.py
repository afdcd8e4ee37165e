# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed extension in the real ``blender`` binary's batch mode, as a farm script runs it:

    blender --background shot.blend --online-mode --python-exit-code 1 \\
        --python-expr "import bpy; bpy.ops.bat.pack_send_shaman(shaman_url=..., checkout_path=...)"

The exit code is the contract: 0 when the pack arrived, non-zero when it did not."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from realblender.harness import Production, Shaman, blender, free_port, install, needs_blender

pytestmark = [pytest.mark.realblender, pytest.mark.slow, needs_blender]


@pytest.fixture(scope="module")
def user(extension_zip: Path, work: Path) -> Path:
    return install(extension_zip, work, "batch-user")


def pack_send_shaman(production: Production, user: Path, blend: Path, **props: object) -> tuple[int, str, float]:
    call = ", ".join(f"{name}={value!r}" for name, value in props.items())
    began = time.monotonic()
    done = blender(
        ["--background", str(blend), "--online-mode", "--python-exit-code", "1",
         "--python-expr", f"import bpy; bpy.ops.bat.pack_send_shaman({call})"],
        production.work, user,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr, time.monotonic() - began


def check_blend(production: Production, user: Path, blend: Path) -> dict[str, object]:
    """What the real Blender says about a blend file: its paths, the missing ones, its libraries."""
    out = production.work / "checks" / f"{blend.parent.name}-{blend.stem}.json"
    out.parent.mkdir(exist_ok=True)
    done = blender(
        ["--background", "--factory-startup", "--python-exit-code", "1",
         "--python", str(production.work / "scripts" / "check_blend.py"), "--", str(blend), str(out)],
        production.work, user,
    )  # fmt: skip
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
    facts: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return facts


def test_pack_and_send_exits_0_and_the_checkout_opens_with_nothing_missing(
    production: Production, user: Path, shaman: Shaman
) -> None:
    code, log, _ = pack_send_shaman(production, user, production.shot, shaman_url=shaman.url, checkout_path="shot-010")
    assert code == 0, log
    assert "Packed" in log and "Shaman checkout shot-010" in log, log

    checkout = shaman.storage / "jobs" / "shot-010"
    blends = sorted(checkout.rglob("shot.blend"))
    assert len(blends) == 1, sorted(p.relative_to(checkout) for p in checkout.rglob("*"))
    facts = check_blend(production, user, blends[0])
    assert facts["missing"] == []
    libraries = facts["libraries"]
    assert isinstance(libraries, list) and len(libraries) == 1 and not libraries[0]["is_missing"]
    # Self-contained: every path Blender follows stays inside the checkout, none leads back
    # to the original project.
    paths = facts["paths"]
    assert isinstance(paths, list) and len(paths) >= 4  # library, brick, the bulk images (wood is in the library)
    outside = [p for p in paths if not Path(p).is_relative_to(checkout)]
    assert outside == []
    assert all(facts["images_loaded"].values()), facts["images_loaded"]  # type: ignore[attr-defined]
    source_files = sorted(p.name for p in production.project.rglob("*") if p.is_file() and "missing" not in p.name)
    assert sorted(p.name for p in checkout.rglob("*") if p.is_file()) == source_files


def test_exit_code_is_not_0_when_the_shaman_server_is_down(production: Production, user: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    code, log, seconds = pack_send_shaman(production, user, production.shot, shaman_url=url, checkout_path="down")
    assert code != 0, log
    # One clear error naming the server (Blender then prints the failed expression's RuntimeError,
    # which is how --python-exit-code learns of it), not an internal error of the add-on.
    assert f"Error: BAT: Shaman server {url}" in log, log
    assert "Internal error" not in log, log
    assert seconds < 120, f"gave up only after {seconds:.0f} s"


@pytest.mark.parametrize("strict", [True, False])
def test_a_missing_dependency_fails_the_run_only_when_strict(
    production: Production, user: Path, shaman: Shaman, strict: bool
) -> None:
    code, log, _ = pack_send_shaman(
        production, user, production.shot_missing, shaman_url=shaman.url, checkout_path="missing", strict=strict
    )
    if strict:
        assert code != 0, log
        assert "gone.png" in log, log  # the reason to stop names the file
        assert not (shaman.storage / "jobs" / "missing").exists()
    else:
        assert code == 0, log
        assert "1 referenced file is missing" in log, log
        assert (shaman.storage / "jobs" / "missing").is_dir()
