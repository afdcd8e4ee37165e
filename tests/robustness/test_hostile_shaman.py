# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile .blend paths and hostile checkout paths sent to a real Shaman server on loopback.

Whatever the .blend stores and whatever checkout path is asked for, everything the server
writes stays in its storage folder: the checkout lands below ``jobs/`` and every link in it
points into ``file-store/``. The files around the project are left exactly as they were.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from robustness.containment import entries, snapshot
from robustness.harness import TALLY, CaseTimeout, watchdog
from shaman.server_fixture import MakeServer

from bat_core.api import PackOptions, PackResult, pack
from bat_core.errors import BatError

pytestmark = pytest.mark.bpy

BLENDS = ("escape_to_etc_passwd", "escape_to_sibling_folder", "weird_bytes", "long_path", "library_outside_project")
# A strict server refuses file names with control characters: the pack ends in an error naming the file.
SERVER_REFUSES = {"weird_bytes"}
CHECKOUTS = ("../../escape", "/etc", "a/../../b", "C:\\evil", "shot\\..\\..\\x", "..", "ok/./x", "tab\there", "?*;{}")


def _inside(path: Path, root: Path) -> bool:
    return root == path or root in path.parents


@pytest.mark.parametrize("checkout", CHECKOUTS)
@pytest.mark.parametrize("blend", BLENDS)
def test_a_shaman_checkout_stays_in_the_servers_storage(
    world: Path,
    make_shaman_server: MakeServer,
    tmp_path: Path,
    blend: str,
    checkout: str,
) -> None:
    storage = tmp_path / "shaman"
    server = make_shaman_server("strict", storage=storage)
    before = snapshot(world, skip=world / "targets")
    try:
        with watchdog(60):
            outcome: PackResult | BatError = pack(
                PackOptions(
                    blend=world / "world" / "project" / f"{blend}.blend",
                    target=server.url.replace("http://", "shaman+http://", 1),
                    checkout_path=checkout,
                )
            )
    except CaseTimeout:
        raise AssertionError(f"{blend} to checkout {checkout!r}: no answer within 60 s") from None
    except BatError as exc:
        outcome = exc
    TALLY.add("hostile paths: shaman", type(outcome).__name__, 0.0)
    assert snapshot(world, skip=world / "targets") == before
    if blend in SERVER_REFUSES:
        assert isinstance(outcome, BatError) and "tex/we ird" in str(outcome), outcome
        assert list((storage / "jobs").iterdir()) == [], "a refused pack left a checkout behind"
        return
    assert isinstance(outcome, PackResult), f"{blend} to {checkout!r}: {outcome}"

    jobs, store = (storage / "jobs").resolve(), (storage / "file-store").resolve()
    assert outcome.checkout_path is not None
    assert ".." not in outcome.checkout_path.split("/") and not outcome.checkout_path.startswith("/")
    checkout_dir = jobs / outcome.checkout_path
    assert _inside(checkout_dir.resolve(), jobs)
    linked = 0
    for path in entries(storage):
        real = Path(os.path.realpath(path))
        assert _inside(real, storage.resolve()), f"{path} leads outside the Shaman storage"
        if path.is_symlink():
            assert _inside(real, store), f"{path} links outside the file store"
            linked += 1
    assert linked >= 2, "the checkout holds the main file and the hostile dependency"
    assert (checkout_dir / outcome.main_blend_in_pack).is_file()
