# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman server: creating checkouts (S13-S17)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests
from shaman.server_fixture import MakeServer
from shaman.shaman_http import blob_path, files_under, post_json, random_bytes, sha256_hex, spec, store

import bat_core.shaman.checkout as checkout_module
from bat_core.shaman.server import ShamanServer

FAILED = {"strict": None, "f3-compat": 500}


def _checkout(server: ShamanServer, files: list[dict[str, object]], path: str) -> requests.Response:
    return post_json(server, "checkout/create", {"files": files, "checkoutPath": path})


def _stored_pack(server: ShamanServer, paths: list[str]) -> dict[str, bytes]:
    pack = {path: random_bytes(200 + i) for i, path in enumerate(paths)}
    for data in pack.values():
        store(server, data)
    return pack


def _snapshot(directory: Path) -> dict[str, str]:
    """Every symlink under ``directory`` and its target, for before/after comparisons."""
    return {str(p.relative_to(directory)): os.readlink(p) for p in sorted(directory.rglob("*")) if p.is_symlink()}


def test_s13_checkout_links_every_file_with_a_relative_symlink(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    pack = _stored_pack(server, ["scene.blend", "á hausinn á þér/много ликова.py", "textures/deep/down/wood.png"])
    pack["textures/same-bytes-again.png"] = pack["scene.blend"]
    files = [spec(data, path) for path, data in pack.items()]

    response = _checkout(server, files, "proj/scene/job 1")

    assert response.status_code == 200
    assert response.json() == {"checkoutPath": "proj/scene/job 1"}
    root = server.storage / "jobs" / "proj" / "scene" / "job 1"
    for path, data in pack.items():
        link = root / path
        assert link.is_symlink(), path
        target = os.readlink(link)
        assert not os.path.isabs(target) and target.startswith("../")
        assert Path(os.path.realpath(link)) == Path(os.path.realpath(blob_path(server, data)))
        assert link.read_bytes() == data
    assert sorted(_snapshot(root)) == sorted(pack)


def test_s13_checkout_survives_moving_the_whole_storage(shaman_server: ShamanServer, tmp_path: Path) -> None:
    pack = _stored_pack(shaman_server, ["a/b/c.blend"])
    assert _checkout(shaman_server, [spec(pack["a/b/c.blend"], "a/b/c.blend")], "job").status_code == 200
    moved = tmp_path / "mounted-elsewhere"
    shaman_server.stop()
    shaman_server.storage.rename(moved)
    assert (moved / "jobs" / "job" / "a" / "b" / "c.blend").read_bytes() == pack["a/b/c.blend"]


def test_s14_taken_checkout_path_gets_a_suffix_and_the_first_stays(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    pack = _stored_pack(server, ["x.blend", "tex/y.png"])
    files = [spec(data, path) for path, data in pack.items()]
    assert _checkout(server, files, "proj/job").json() == {"checkoutPath": "proj/job"}
    first = _snapshot(server.storage / "jobs" / "proj" / "job")

    second = _checkout(server, files, "proj/job")

    assert second.status_code == 200
    used = second.json()["checkoutPath"]
    assert re.fullmatch(r"proj/job-[a-z0-9]{4}", used)
    assert (server.storage / "jobs" / used / "tex" / "y.png").read_bytes() == pack["tex/y.png"]
    assert _snapshot(server.storage / "jobs" / "proj" / "job") == first


def test_s14_gives_up_after_ten_taken_names(make_shaman_server: MakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Make every random suffix the same, already taken one, so all attempts collide.
    drawn: list[str] = []

    def always_taken() -> str:
        drawn.append("aaaa")
        return "aaaa"

    monkeypatch.setattr(checkout_module, "random_suffix", always_taken)
    for mode, expected in (("strict", 409), ("f3-compat", 500)):
        drawn.clear()
        server = make_shaman_server(mode)
        (server.storage / "jobs" / "job").mkdir()
        (server.storage / "jobs" / "job-aaaa").mkdir()
        pack = _stored_pack(server, ["x.blend"])

        response = _checkout(server, [spec(pack["x.blend"], "x.blend")], "job")

        assert response.status_code == expected, mode
        assert response.json()["code"] == expected
        assert "already exists" in response.json()["message"]
        assert len(drawn) == 9  # ten attempts: the name itself and nine suffixes
        assert sorted(p.name for p in (server.storage / "jobs").iterdir()) == ["job", "job-aaaa"]


@pytest.mark.parametrize("missing_state", ["unknown", "uploading"])
def test_s15_strict_checkout_with_missing_files_is_424_and_creates_nothing(
    shaman_server: ShamanServer, missing_state: str
) -> None:
    server = shaman_server
    pack = _stored_pack(server, ["present.blend"])
    files = [spec(pack["present.blend"], "present.blend")]
    assert _checkout(server, files, "job").status_code == 200
    before = _snapshot(server.storage / "jobs")
    absent = random_bytes(300)
    if missing_state == "uploading":
        sha = sha256_hex(absent)
        temp_dir = server.storage / "file-store" / "uploading" / sha[:2] / sha[2:]
        temp_dir.mkdir(parents=True)
        (temp_dir / f"{len(absent)}-000000042.tmp").write_bytes(absent[:3])

    for path in ("job", "brand/new/job"):
        response = _checkout(server, [*files, spec(absent, "later.png")], path)
        assert response.status_code == 424
        assert response.json()["code"] == 424
        assert "later.png" in response.json()["message"]

    assert _snapshot(server.storage / "jobs") == before
    assert sorted(p.name for p in (server.storage / "jobs").iterdir()) == ["job"]


def test_s15_f3_checkout_with_missing_files_is_500(f3_server: ShamanServer) -> None:
    absent = random_bytes(300)
    response = _checkout(f3_server, [spec(absent, "later.png")], "job")
    assert response.status_code == 500
    assert response.json() == {
        "code": 500,
        "message": "unexpected error: unknown files requested in checkout: 'later.png'",
    }
    assert list((f3_server.storage / "jobs").iterdir()) == []


def test_s15_f3_reproduces_removing_the_older_checkout_on_failure(f3_server: ShamanServer) -> None:
    # Flamenco 3 cleans up jobs/<requested path>, not the suffixed directory it made (W8).
    pack = _stored_pack(f3_server, ["a.blend"])
    good = [spec(pack["a.blend"], "a.blend")]
    assert _checkout(f3_server, good, "job").status_code == 200

    response = _checkout(f3_server, [*good, spec(random_bytes(10), "missing.png")], "job")

    assert response.status_code == 500
    left = [p.name for p in (f3_server.storage / "jobs").iterdir()]
    assert len(left) == 1 and re.fullmatch(r"job-[a-z0-9]{4}", left[0])


REJECTED_CHECKOUT_PATHS = ["", "/abs", "a/../../etc", "../x", "x/..", "c:/x", "a\\b"] + [f"a{c}b" for c in "?*:;{}"]
ACCEPTED_CHECKOUT_PATHS = ["a", "proj/scene/job", "with spaces", "ránið/lélegt vélmenni"]


@pytest.mark.parametrize("path", REJECTED_CHECKOUT_PATHS)
def test_s16_invalid_checkout_paths_are_refused(any_shaman_server: ShamanServer, path: str) -> None:
    pack = _stored_pack(any_shaman_server, ["x.blend"])

    response = _checkout(any_shaman_server, [spec(pack["x.blend"], "x.blend")], path)

    expected = 400 if any_shaman_server.mode.value == "strict" else 500
    assert response.status_code == expected
    assert "invalid checkout path" in response.json()["message"]
    assert list((any_shaman_server.storage / "jobs").iterdir()) == []
    assert not (any_shaman_server.storage / "etc").exists()


@pytest.mark.parametrize("path", ["a//b", "./a", "a/./b", "a/", "a/\x00b", ".."])
def test_s16_strict_also_refuses_empty_dot_and_control_components(shaman_server: ShamanServer, path: str) -> None:
    pack = _stored_pack(shaman_server, ["x.blend"])
    response = _checkout(shaman_server, [spec(pack["x.blend"], "x.blend")], path)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ACCEPTED_CHECKOUT_PATHS)
def test_s16_ordinary_checkout_paths_are_accepted(any_shaman_server: ShamanServer, path: str) -> None:
    pack = _stored_pack(any_shaman_server, ["x.blend"])

    response = _checkout(any_shaman_server, [spec(pack["x.blend"], "x.blend")], path)

    assert response.json() == {"checkoutPath": path}
    assert (any_shaman_server.storage / "jobs" / path / "x.blend").read_bytes() == pack["x.blend"]


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../x", "a\\b", "a//b", "./a", "a/", "c:/x"])
def test_s17_strict_refuses_bad_file_paths_inside_a_checkout(shaman_server: ShamanServer, path: str) -> None:
    data = random_bytes(64)
    store(shaman_server, data)

    response = _checkout(shaman_server, [spec(data, path)], "job")

    assert response.status_code == 400
    assert repr(path) in response.json()["message"]
    assert list((shaman_server.storage / "jobs").iterdir()) == []


def test_s17_f3_never_lets_a_file_path_escape_the_checkout(f3_server: ShamanServer) -> None:
    data = random_bytes(64)
    store(f3_server, data)
    before = files_under(f3_server.storage)

    response = _checkout(f3_server, [spec(data, "../../escaped.txt")], "job")

    assert response.status_code == 500
    assert files_under(f3_server.storage) == before


def test_s17_f3_accepts_unclean_paths_like_go_join(f3_server: ShamanServer) -> None:
    data = random_bytes(64)
    store(f3_server, data)
    response = _checkout(f3_server, [spec(data, "a//b.txt"), spec(data, "/abs/c.txt")], "job")
    assert response.status_code == 200
    assert (f3_server.storage / "jobs" / "job" / "a" / "b.txt").read_bytes() == data
    assert (f3_server.storage / "jobs" / "job" / "abs" / "c.txt").read_bytes() == data


def test_s17_a_file_listed_twice_is_fine(any_shaman_server: ShamanServer) -> None:
    data = random_bytes(64)
    store(any_shaman_server, data)
    response = _checkout(any_shaman_server, [spec(data, "udim/t.1001.png")] * 2, "job")
    assert response.status_code == 200
    assert (any_shaman_server.storage / "jobs" / "job" / "udim" / "t.1001.png").read_bytes() == data


def test_s17_one_path_with_two_different_contents_is_an_error(any_shaman_server: ShamanServer) -> None:
    one, other = random_bytes(64), random_bytes(65)
    store(any_shaman_server, one)
    store(any_shaman_server, other)

    response = _checkout(any_shaman_server, [spec(one, "x.png"), spec(other, "x.png")], "job")

    assert response.status_code == (400 if any_shaman_server.mode.value == "strict" else 500)
    assert "listed twice with different contents" in response.json()["message"]
    if any_shaman_server.mode.value == "strict":
        assert list((any_shaman_server.storage / "jobs").iterdir()) == []


def test_s17_strict_refuses_a_file_that_is_also_a_directory(shaman_server: ShamanServer) -> None:
    one, other = random_bytes(64), random_bytes(65)
    store(shaman_server, one)
    store(shaman_server, other)

    response = _checkout(shaman_server, [spec(one, "a/b"), spec(other, "a/b/c")], "job")

    assert response.status_code == 400
    assert list((shaman_server.storage / "jobs").iterdir()) == []
