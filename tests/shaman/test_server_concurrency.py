# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman server: uploads of the same file that overlap in time (S5-S8).

Overlap is made deterministic with RawUpload: a test sends part of a body, looks at the
server, then lets the upload finish, or vanish.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from shaman.server_fixture import MakeServer
from shaman.shaman_http import (
    RawUpload,
    blob_path,
    files_under,
    random_bytes,
    sha256_hex,
    status,
    upload,
    wait_until,
)

from bat_core.shaman.server import ShamanServer

MiB = 1024 * 1024
DEFER = {"X-Shaman-Can-Defer-Upload": "true"}
NO_DEFER = {"X-Shaman-Can-Defer-Upload": "false"}


def _outcome(raw: RawUpload) -> int | str:
    """The status the server sent, or 'dropped' if the connection went away first."""
    try:
        code, _ = raw.response(timeout=5)
        return code
    except ConnectionError:  # a timeout is a failure: the server must answer or hang up
        return "dropped"
    finally:
        raw.close()


def _only_blob_is(server: ShamanServer, data: bytes) -> None:
    assert files_under(server.storage / "file-store") == [blob_path(server, data)]
    assert blob_path(server, data).read_bytes() == data


def test_s5_strict_second_uploader_sees_uploading_and_is_deferred_before_sending(
    shaman_server: ShamanServer,
) -> None:
    server = shaman_server
    data = random_bytes(4 * MiB)
    sha = sha256_hex(data)
    first = RawUpload(server, data)
    first.send(MiB)
    wait_until(lambda: status(server, sha, len(data)) == "uploading", what="A to be uploading")
    wait_until(lambda: server.stats.upload_bytes_received == MiB, what="A's first MiB")
    received_before = server.stats.upload_bytes_received

    deferred = RawUpload(server, data, headers=DEFER)  # headers only, no body sent
    code, body = deferred.response(timeout=5)
    deferred.close()

    assert (code, body) == (425, b"")
    assert server.stats.upload_bytes_received == received_before
    parallel = upload(server, data, headers=NO_DEFER)
    assert parallel.status_code == 204
    # A was still sending when B stored the file: A is cut off (208 or a dropped connection).
    assert _outcome(first) in (208, "dropped")
    assert status(server, sha, len(data)) == "stored"
    _only_blob_is(server, data)


def test_s5_f3_decides_only_after_the_whole_body_arrived(f3_server: ShamanServer) -> None:
    server = f3_server
    data = random_bytes(4 * MiB)
    sha = sha256_hex(data)
    first = RawUpload(server, data)
    first.send(MiB)
    wait_until(lambda: server.stats.upload_bytes_received >= MiB, what="A's first MiB")

    # F3 buffers the body before its handler runs: nothing is "uploading" yet.
    assert status(server, sha, len(data)) == "unknown"
    second = upload(server, data, headers=DEFER)
    assert second.status_code == 200
    first.send_rest()
    assert _outcome(first) == 208
    _only_blob_is(server, data)
    assert server.stats.upload_bytes_received == 2 * len(data)


def test_f3_sends_425_only_after_the_whole_body(f3_server: ShamanServer) -> None:
    data = random_bytes(MiB)
    sha = sha256_hex(data)
    temp_dir = f3_server.storage / "file-store" / "uploading" / sha[:2] / sha[2:]
    temp_dir.mkdir(parents=True)
    (temp_dir / f"{len(data)}-000000001.tmp").write_bytes(b"")
    deferred = RawUpload(f3_server, data, headers=DEFER)
    deferred.send(len(data) // 2)
    with pytest.raises(TimeoutError):
        deferred.response(timeout=0.3)
    deferred.close()

    deferred = RawUpload(f3_server, data, headers=DEFER)
    deferred.send_rest()
    assert _outcome(deferred) == 425


def test_s6_strict_slow_upload_is_cut_off_when_another_one_stores_the_file(
    shaman_server: ShamanServer,
) -> None:
    server = shaman_server
    data = random_bytes(4 * MiB)
    slow = RawUpload(server, data, headers=NO_DEFER)
    slow.send(MiB)
    wait_until(lambda: status(server, sha256_hex(data), len(data)) == "uploading")

    assert upload(server, data, headers=NO_DEFER).status_code == 204

    # The slow client has not sent the rest, and need not: the server answers already.
    assert _outcome(slow) in (208, "dropped")
    assert server.stats.uploads_cut_off == 1
    assert server.stats.upload_bytes_received < len(data) + 2 * MiB
    assert status(server, sha256_hex(data), len(data)) == "stored"
    _only_blob_is(server, data)


def test_s7_a_failed_parallel_upload_does_not_cut_off_a_healthy_one(shaman_server: ShamanServer) -> None:
    server = shaman_server
    data = random_bytes(2 * MiB)
    healthy = RawUpload(server, data, headers=NO_DEFER)
    healthy.send(MiB)
    wait_until(lambda: status(server, sha256_hex(data), len(data)) == "uploading")

    corrupt = random_bytes(len(data))
    assert upload(server, corrupt, sha=sha256_hex(data), headers=NO_DEFER).status_code == 417

    healthy.send_rest()
    assert _outcome(healthy) == 204
    assert server.stats.uploads_cut_off == 0
    _only_blob_is(server, data)


def test_s8_killed_client_leaves_no_temp_file_and_a_retry_works(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    data = random_bytes(2 * MiB)
    sha = sha256_hex(data)
    doomed = RawUpload(server, data)
    doomed.send(MiB)
    wait_until(lambda: server.stats.upload_bytes_received >= MiB)

    doomed.kill()

    def nothing_left() -> bool:
        spool = server.storage / "upload-spool"
        return files_under(server.storage / "file-store") == [] and (not spool.exists() or list(spool.iterdir()) == [])

    wait_until(nothing_left, what="the server to drop the half upload")
    assert status(server, sha, len(data)) == "unknown"
    assert upload(server, data).status_code in (200, 204)
    _only_blob_is(server, data)


def test_stopping_the_server_mid_upload_removes_the_temp_file(make_shaman_server: MakeServer) -> None:
    server = make_shaman_server("strict")
    data = random_bytes(2 * MiB)
    pending = RawUpload(server, data)
    pending.send(MiB)
    wait_until(lambda: status(server, sha256_hex(data), len(data)) == "uploading")

    server.stop()

    pending.close()
    assert files_under(server.storage / "file-store") == []


@pytest.mark.parametrize("mode", ["strict", "f3-compat"])
def test_many_simultaneous_uploads_of_one_file_store_it_once(make_shaman_server: MakeServer, mode: str) -> None:
    server = make_shaman_server(mode)
    data = random_bytes(3 * MiB)

    def send(_: int) -> int:
        try:
            return upload(server, data, headers=NO_DEFER).status_code
        except requests.ConnectionError:
            return -1  # cut off before the answer could be read: allowed in strict mode

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, range(8)))

    allowed = {204, 208, -1} if mode == "strict" else {200, 208}
    assert set(codes) <= allowed, codes
    assert codes.count(204) + codes.count(200) >= 1
    assert status(server, sha256_hex(data), len(data)) == "stored"
    _only_blob_is(server, data)
