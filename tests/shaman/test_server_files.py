# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman server: storing single files (conformance cases S2-S4, S9-S12, S20 URL part)."""

from __future__ import annotations

import base64
import os
import time

import pytest
import requests
from shaman.server_fixture import MakeServer
from shaman.shaman_http import (
    EMPTY_SHA,
    RawUpload,
    blob_path,
    file_route,
    files_under,
    random_bytes,
    sha256_hex,
    status,
    store,
    upload,
)

from bat_core.shaman.server import ShamanServer

SUCCESS = {"strict": 204, "f3-compat": 200}


def test_s2_upload_stores_the_blob_at_the_flamenco_path(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    data = random_bytes(300_000)
    sha = sha256_hex(data)
    assert status(server, sha, len(data)) == "unknown"

    response = upload(server, data)

    assert response.status_code == SUCCESS[server.mode.value]
    assert response.content == b""
    assert status(server, sha, len(data)) == "stored"
    blob = server.storage / "file-store" / "stored" / sha[:2] / sha[2:] / f"{len(data)}.blob"
    assert blob.read_bytes() == data
    assert list((server.storage / "file-store" / "uploading").iterdir()) == []


def test_s2_stored_files_are_readable_by_other_users(shaman_server: ShamanServer) -> None:
    data = b"render workers may run as someone else"
    store(shaman_server, data)
    umask = os.umask(0)
    os.umask(umask)
    assert blob_path(shaman_server, data).stat().st_mode & 0o777 == 0o666 & ~umask


def test_s3_reupload_of_a_stored_file_is_208_and_leaves_the_blob_alone(
    any_shaman_server: ShamanServer,
) -> None:
    server = any_shaman_server
    data = random_bytes(10_000)
    store(server, data)
    before = blob_path(server, data).stat()

    for headers in ({}, {"X-Shaman-Can-Defer-Upload": "true"}, {"X-Shaman-Can-Defer-Upload": "False"}):
        response = upload(server, data, headers=headers)
        assert response.status_code == 208, headers
        assert response.content == b""

    after = blob_path(server, data).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert blob_path(server, data).read_bytes() == data


def test_s4_size_mismatch_is_417_and_checked_before_the_checksum(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    data = random_bytes(5000)
    wrong_sha = sha256_hex(b"something else")

    response = upload(server, data, sha=wrong_sha, size=len(data) + 1)

    assert response.status_code == 417
    assert response.json() == {
        "code": 417,
        "message": f"file size mismatched, declared {len(data) + 1} but received {len(data)} bytes",
    }
    assert status(server, wrong_sha, len(data) + 1) == "unknown"
    assert files_under(server.storage / "file-store") == []


def test_s4_checksum_mismatch_is_417_and_stores_nothing(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    data = random_bytes(5000)
    wrong_sha = sha256_hex(b"something else")

    response = upload(server, data, sha=wrong_sha)

    assert response.status_code == 417
    body = response.json()
    assert body["code"] == 417
    assert body["message"] == f"file SHA256 mismatched, declared {wrong_sha} but received {sha256_hex(data)}"
    assert status(server, wrong_sha, len(data)) == "unknown"
    assert files_under(server.storage / "file-store") == []


def _plant_temp(server: ShamanServer, data: bytes, age_seconds: float = 0.0) -> os.PathLike[str]:
    sha = sha256_hex(data)
    directory = server.storage / "file-store" / "uploading" / sha[:2] / sha[2:]
    directory.mkdir(parents=True)
    temp = directory / f"{len(data)}-123456789.tmp"
    temp.write_bytes(data[:10])
    if age_seconds:
        old = time.time() - age_seconds
        os.utime(temp, (old, old))
    return temp


def test_s9_leftover_temp_file_means_uploading_and_defer_gets_425(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    data = random_bytes(2000)
    _plant_temp(server, data)

    assert status(server, sha256_hex(data), len(data)) == "uploading"
    deferred = upload(server, data, headers={"X-Shaman-Can-Defer-Upload": "true"})
    assert deferred.status_code == 425
    assert deferred.content == b""
    assert status(server, sha256_hex(data), len(data)) == "uploading"

    response = upload(server, data, headers={"X-Shaman-Can-Defer-Upload": "false"})
    assert response.status_code == SUCCESS[server.mode.value]
    assert status(server, sha256_hex(data), len(data)) == "stored"
    assert blob_path(server, data).read_bytes() == data


def test_s9_strict_server_forgets_temp_files_idle_longer_than_the_limit(
    make_shaman_server: MakeServer,
) -> None:
    server = make_shaman_server("strict", stale_upload_seconds=60)
    data = random_bytes(2000)
    temp = _plant_temp(server, data, age_seconds=120)

    assert status(server, sha256_hex(data), len(data)) == "unknown"
    assert not os.path.exists(temp)
    assert list((server.storage / "file-store" / "uploading").iterdir()) == []


def test_s9_f3_keeps_stale_temp_files_forever(f3_server: ShamanServer) -> None:
    data = random_bytes(2000)
    temp = _plant_temp(f3_server, data, age_seconds=365 * 24 * 3600)

    assert status(f3_server, sha256_hex(data), len(data)) == "uploading"
    assert os.path.exists(temp)


def test_s10_zero_byte_file_is_stored_in_strict_mode(shaman_server: ShamanServer) -> None:
    assert upload(shaman_server, b"").status_code == 204
    assert status(shaman_server, EMPTY_SHA, 0) == "stored"
    assert blob_path(shaman_server, b"").read_bytes() == b""


def test_s10_zero_byte_file_is_refused_by_f3(f3_server: ShamanServer) -> None:
    response = upload(f3_server, b"")
    assert response.status_code == 400
    # Rejected by F3's request validator, before its handler: Echo's error shape.
    assert set(response.json()) == {"message"}
    assert status(f3_server, EMPTY_SHA, 0) == "unknown"


def _b_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


@pytest.mark.parametrize(
    "header",
    [
        None,
        "feed.py",
        "=?utf-8?q?feed=2Epy?=",
        "=?UTF-8?Q?textures/h=C3=A1r_og_skegg.png?=",
        _b_word("много ликова/" * 15 + "x" * 5),
        "=?utf-8?b?not base64?=",
        "=?iso-8859-1?q?caf=E9.blend?=",
    ],
    ids=["absent", "ascii", "q-ascii", "q-utf8", "b-200-cyrillic", "malformed", "latin1"],
)
def test_s11_filename_header_forms_are_accepted(any_shaman_server: ShamanServer, header: str | None) -> None:
    data = random_bytes(1000)
    headers = {} if header is None else {"X-Shaman-Original-Filename": header}
    if header is not None and header.startswith("=?utf-8?b?0"):
        assert len(header) > 300  # one encoded word, far over RFC 2047's 75 characters
    response = upload(any_shaman_server, data, headers=headers)
    assert response.status_code == SUCCESS[any_shaman_server.mode.value]


def test_s11_unknown_charset_in_filename_header_is_400(any_shaman_server: ShamanServer) -> None:
    data = random_bytes(1000)
    response = upload(any_shaman_server, data, headers={"X-Shaman-Original-Filename": "=?koi8-r?q?abc?="})
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert "koi8-r" in response.json()["message"]
    assert status(any_shaman_server, sha256_hex(data), len(data)) == "unknown"


def test_s11_raw_non_ascii_filename_is_refused_only_in_strict_mode(make_shaman_server: MakeServer) -> None:
    data = random_bytes(1000)
    for mode, expected in (("strict", 400), ("f3-compat", 200)):
        server = make_shaman_server(mode)
        # http.client sends header values as Latin-1; "é" arrives as one raw byte.
        response = upload(server, data, headers={"X-Shaman-Original-Filename": "café.blend"})
        assert response.status_code == expected, mode


def test_s11_folded_filename_header_is_refused_in_strict_mode(shaman_server: ShamanServer) -> None:
    data = random_bytes(100)
    raw = RawUpload(shaman_server, data, headers={"X-Shaman-Original-Filename": "=?utf-8?q?a?=\r\n =?utf-8?q?b?="})
    raw.send_rest()
    code, _body = raw.response()
    raw.close()
    assert code == 400


@pytest.mark.parametrize("value", ["true", "True", "1", "t", "TRUE", "false", "False", "0", "F"])
def test_s12_go_boolean_spellings_are_accepted_for_the_defer_header(
    any_shaman_server: ShamanServer, value: str
) -> None:
    data = random_bytes(100)
    response = upload(any_shaman_server, data, headers={"X-Shaman-Can-Defer-Upload": value})
    assert response.status_code == SUCCESS[any_shaman_server.mode.value]


@pytest.mark.parametrize("value", ["yes", "no", "on", "2"])
def test_s12_other_defer_header_values_are_400(any_shaman_server: ShamanServer, value: str) -> None:
    data = random_bytes(100)
    response = upload(any_shaman_server, data, headers={"X-Shaman-Can-Defer-Upload": value})
    assert response.status_code == 400
    assert "X-Shaman-Can-Defer-Upload" in response.json()["message"]
    assert status(any_shaman_server, sha256_hex(data), len(data)) == "unknown"


@pytest.mark.parametrize("checksum", ["ZZ", "abc", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"])
def test_s20_strict_server_refuses_malformed_checksums_in_the_url(shaman_server: ShamanServer, checksum: str) -> None:
    for method in ("GET", "POST"):
        response = requests.request(method, shaman_server.url + file_route(checksum, 3), data=b"abc", timeout=10)
        assert response.status_code == 400, method
        assert response.json()["code"] == 400
        assert checksum in response.json()["message"]


def test_s20_f3_accepts_any_checksum_but_crashes_on_short_ones(f3_server: ShamanServer) -> None:
    upper = EMPTY_SHA.upper()
    assert status(f3_server, upper, 0) == "unknown"
    assert status(f3_server, "ZZ", 0) == "unknown"
    assert requests.get(f3_server.url + file_route("Z", 0), timeout=10).status_code == 500
    # An uppercase checksum can never match the hex digest: stored under its own name, then 417.
    assert upload(f3_server, b"abc", sha=sha256_hex(b"abc").upper()).status_code == 417


@pytest.mark.parametrize("size", ["x", "1.5", ""])
def test_s20_non_integer_sizes_are_400(any_shaman_server: ShamanServer, size: str) -> None:
    response = requests.get(any_shaman_server.url + file_route(EMPTY_SHA, size), timeout=10)
    assert response.status_code == 400


def test_strict_server_refuses_negative_sizes_f3_just_knows_nothing(make_shaman_server: MakeServer) -> None:
    strict = make_shaman_server("strict")
    f3 = make_shaman_server("f3-compat")
    assert requests.get(strict.url + file_route(EMPTY_SHA, -1), timeout=10).status_code == 400
    assert status(f3, EMPTY_SHA, -1) == "unknown"


def test_chunked_upload_bodies_are_accepted(any_shaman_server: ShamanServer) -> None:
    data = random_bytes(700_000)

    def pieces() -> object:
        for start in range(0, len(data), 65_536):
            yield data[start : start + 65_536]

    response = requests.post(any_shaman_server.url + file_route(sha256_hex(data), len(data)), data=pieces(), timeout=10)
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == SUCCESS[any_shaman_server.mode.value]
    assert blob_path(any_shaman_server, data).read_bytes() == data
