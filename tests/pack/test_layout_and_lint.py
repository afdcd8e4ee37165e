# SPDX-License-Identifier: GPL-3.0-or-later
"""Where files land in a pack, and what the plan warns about before anything is written."""

from __future__ import annotations

import posixpath
from pathlib import Path

import pytest

from bat_core.pack.layout import OUTSIDE, PackLayout
from bat_core.pack.lint import lint_pack_paths
from bat_core.trace.bpath import relative_blend_path


def test_files_inside_the_project_keep_their_layout() -> None:
    layout = PackLayout(Path("/proj"), [Path("/proj/shots/a.blend"), Path("/proj/tex/wood.png")])
    assert layout.place(Path("/proj/tex/wood.png")) == "tex/wood.png"
    assert layout.place(Path("/proj/shots/a.blend")) == "shots/a.blend"


def test_outside_files_keep_only_the_folder_that_ties_them_together() -> None:
    files = [Path("/home/alice/assets/tex/a.png"), Path("/home/alice/assets/hdri/b.exr")]
    layout = PackLayout(Path("/proj"), files)
    placed = [layout.place(p) for p in files]
    assert placed == [f"{OUTSIDE}/assets/tex/a.png", f"{OUTSIDE}/assets/hdri/b.exr"]
    assert not any("alice" in p or "home" in p for p in placed)


def test_outside_files_never_collide() -> None:
    files = [Path("/mnt/a/tex/wood.png"), Path("/srv/b/tex/wood.png"), Path("/mnt/a/tex/sub/wood.png")]
    layout = PackLayout(Path("/proj"), files)
    placed = [layout.place(p) for p in files]
    assert len(set(placed)) == 3
    assert all(p.startswith(f"{OUTSIDE}/") and ".." not in p for p in placed)


def test_layout_keeps_folders_and_their_files_together() -> None:
    layout = PackLayout(Path("/proj"), [Path("/data/cache/frame_0001.bphys"), Path("/data/other/x.png")])
    folder = layout.place(Path("/data/cache"))
    assert layout.place(Path("/data/cache/frame_0001.bphys")) == f"{folder}/frame_0001.bphys"


def test_windows_drive_and_unc_paths_get_their_own_folders() -> None:
    layout = PackLayout(Path("/proj"), [])
    assert layout.place(Path("C:/textures/wood.png")) == f"{OUTSIDE}/C/textures/wood.png"
    assert layout.place(Path("//server/share/tex/x.png")) == f"{OUTSIDE}/UNC/server/share/tex/x.png"


def test_lint_finds_case_collisions_windows_names_long_paths_and_nfd() -> None:
    issues = lint_pack_paths(
        [
            "tex/Wood.png",
            "tex/wood.png",
            "tex/aux.png",
            "tex/a:b.png",
            "x/" + "n" * 250,
            "tex/cafe\u0301.png",
            "ok.png",
        ]
    )
    codes = {(i.code, i.path) for i in issues}
    assert ("case-collision", "tex/wood.png") in codes or ("case-collision", "tex/Wood.png") in codes
    assert ("windows-name", "tex/aux.png") in codes
    assert ("windows-name", "tex/a:b.png") in codes
    assert ("too-long", "x/" + "n" * 250) in codes
    assert ("not-nfc", "tex/cafe\u0301.png") in codes
    assert not any(path == "ok.png" for _, path in codes)


@pytest.mark.parametrize(
    ("target", "blend_dir"),
    [
        ("textures/a.png", ""),
        ("textures/a.png", "shots/sh010"),
        ("shots/sh010/cache", "shots/sh010"),
        ("shots/sh010", "shots/sh010"),
        ("_outside_project/lib/x.blend", "shots"),
        ("shots/sh0100/x.png", "shots/sh010"),  # a folder name that is a prefix of another
    ],
)
def test_relative_blend_paths_agree_with_posix_relpath(target: str, blend_dir: str) -> None:
    expected = posixpath.relpath("/pack/" + target, "/pack/" + blend_dir if blend_dir else "/pack")
    assert relative_blend_path(target, blend_dir) == b"//" + expected.encode()
