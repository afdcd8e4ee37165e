# SPDX-License-Identifier: GPL-3.0-or-later
"""How the server reads X-Shaman-Can-Defer-Upload and X-Shaman-Original-Filename (as Go does)."""

from __future__ import annotations

import base64

import pytest
import requests
from shaman.shaman_http import RawUpload, random_bytes, sha256_hex, status, upload

from bat_core.shaman.headers import UnsupportedCharsetError, decode_filename, parse_bool
from bat_core.shaman.server import ShamanServer


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("plain/ascii name.blend", "plain/ascii name.blend"),
        ("=?utf-8?q?feed=2Epy?=", "feed.py"),
        ("=?UTF-8?Q?h=C3=A1r_og_skegg?=", "hár og skegg"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # blanks between encoded words vanish
        ("x =?utf-8?q?a?= y", "x a y"),
        ("=?iso-8859-1?q?caf=E9?=", "café"),
        ("=?US-ASCII?B?" + base64.b64encode(b"tex.png").decode() + "?=", "tex.png"),
        ("=?utf-8?b?not base64?=", "=?utf-8?b?not base64?="),  # malformed: unchanged
        ("=?utf-8?b?@@@@?=", "=?utf-8?b?@@@@?="),
        ("=?utf-8?q?bad=Z1?=", "=?utf-8?q?bad=Z1?="),
    ],
)
def test_filename_header_is_decoded_like_go(encoded: str, decoded: str) -> None:
    assert decode_filename(encoded) == decoded


def test_long_single_encoded_word_is_decoded() -> None:
    name = "много ликова/" * 16
    word = "=?utf-8?b?" + base64.b64encode(name.encode()).decode() + "?="
    assert len(word) > 300
    assert decode_filename(word) == name


def test_unknown_charset_is_an_error() -> None:
    with pytest.raises(UnsupportedCharsetError, match="windows-1251"):
        decode_filename("=?windows-1251?q?abc?=")


@pytest.mark.parametrize(("text", "value"), [("1", True), ("t", True), ("True", True), ("0", False), ("f", False)])
def test_defer_header_booleans(text: str, value: bool) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["yes", "tRUE", " true", "", "2"])
def test_defer_header_non_booleans(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bool(text)


def test_expect_continue_is_answered_only_when_the_body_is_wanted(shaman_server: ShamanServer) -> None:
    data = random_bytes(1000)
    sha = sha256_hex(data)
    temp_dir = shaman_server.storage / "file-store" / "uploading" / sha[:2] / sha[2:]
    temp_dir.mkdir(parents=True)
    (temp_dir / f"{len(data)}-000000007.tmp").write_bytes(b"")

    deferred = RawUpload(shaman_server, data, headers={"Expect": "100-continue", "X-Shaman-Can-Defer-Upload": "1"})
    assert deferred.response(timeout=5) == (425, b"")
    deferred.close()

    wanted = RawUpload(shaman_server, data, headers={"Expect": "100-continue"})
    wanted.sock.settimeout(5)
    assert wanted.sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    wanted.send_rest()
    assert wanted.response(timeout=5) == (204, b"")
    wanted.close()
    assert status(shaman_server, sha, len(data)) == "stored"


def test_connections_stay_usable_after_early_answers(any_shaman_server: ShamanServer) -> None:
    data = random_bytes(2000)
    upload(any_shaman_server, data)
    with requests.Session() as session:
        url = any_shaman_server.url + f"api/v3/shaman/files/{sha256_hex(data)}/{len(data)}"
        for _ in range(3):
            assert session.post(url, data=data, timeout=10).status_code == 208
            assert session.get(url, timeout=10).json() == {"status": "stored"}
        assert (
            session.post(url, data=data, headers={"X-Shaman-Can-Defer-Upload": "maybe"}, timeout=10).status_code == 400
        )
        assert session.get(url, timeout=10).status_code == 200
