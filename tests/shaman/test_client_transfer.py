# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman client: whole transfers with run_transfer against the embedded server, both modes.

Covers the happy path, re-sending (nothing or exactly the changed file is uploaded),
checkout naming (C9, C10), Unicode paths (C11), a lying server (C12), cancel (C13),
progress (C14), the token, and servers that are down, disabled or not Shaman at all.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from shaman.client_helpers import (
    OLD,
    Events,
    assert_checkout_matches,
    assert_store_intact,
    fast_options,
    make_pack,
    send,
    shaman_url,
    stored_blobs,
)
from shaman.client_proxy import FaultProxy, Rule
from shaman.server_fixture import MakeServer

from bat_core.errors import CancelledError, ShamanError, ShamanUnavailableError, TransferError
from bat_core.progress import CancelToken, Stage
from bat_core.shaman.client import ClientOptions
from bat_core.shaman.headers import decode_filename
from bat_core.shaman.server import ShamanServer
from bat_core.shaman.target import open_shaman_target
from bat_core.transfer.engine import run_transfer

MiB = 1024 * 1024
SIZES = {
    "shot.blend": 300_000,
    "textures/wood.png": 200_000,
    "textures/stone.png": 150_000,
    "textures/nested/deep/moss.exr": 1_500_000,
    "sounds/rain.wav": 50_000,
    "libs/chars.blend": 700_000,
}


@pytest.fixture
def proxy(shaman_server: ShamanServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(shaman_server)
    yield fault_proxy
    fault_proxy.close()


def test_a_pack_is_checked_out_with_every_file_linking_to_its_content(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", SIZES, main="shot.blend")
    result, target = send(shaman_url(server, "proj/shot_010"), pack.items, tmp_path / "cache")

    info = target.result_info()
    assert info["checkout_path"] == "proj/shot_010"
    assert info["main_blend"] == "shot.blend"
    assert info["main_blend_jobs_path"] == "proj/shot_010/shot.blend"
    assert (result.files_sent, result.bytes_sent) == (6, sum(SIZES.values()))
    assert_checkout_matches(server, "proj/shot_010", pack.items)
    assert assert_store_intact(server.storage) == 6
    assert server.stats.upload_bytes_received == sum(SIZES.values())
    assert server.stats.checkouts_created == 1


def test_sending_unchanged_files_again_uploads_nothing_and_a_changed_file_alone_is_uploaded(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", SIZES, main="shot.blend")
    send(shaman_url(server, "first"), pack.items, tmp_path / "cache")
    server.reset_stats()

    result, target = send(shaman_url(server, "second"), pack.items, tmp_path / "cache")
    assert server.stats.upload_requests == 0
    assert server.stats.upload_bytes_received == 0
    assert (result.files_sent, result.files_skipped) == (0, 6)
    assert target.result_info()["files_hashed"] == 0  # C1: all from the checksum cache
    assert_checkout_matches(server, "second", pack.items)

    changed = pack.item("textures/stone.png")
    changed.source.write_bytes(os.urandom(changed.size))
    os.utime(changed.source, (OLD + 5, OLD + 5))
    server.reset_stats()
    result, target = send(shaman_url(server, "third"), pack.items, tmp_path / "cache")
    assert server.stats.upload_requests == 1
    assert server.stats.upload_bytes_received == changed.size
    assert target.result_info()["files_hashed"] == 1
    assert (result.files_sent, result.files_skipped) == (1, 5)
    assert_checkout_matches(server, "third", pack.items)


def test_a_taken_checkout_path_gets_the_servers_suffixed_path_and_that_is_reported(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", {"a.blend": 1000, "b.png": 2000}, main="a.blend")
    _, first = send(shaman_url(server, "job"), pack.items, tmp_path / "cache")
    _, second = send(shaman_url(server, "job"), pack.items, tmp_path / "cache")

    assert first.result_info()["checkout_path"] == "job"
    used = second.result_info()["checkout_path"]
    assert used != "job" and used.startswith("job-") and len(used) == len("job-") + 4
    assert second.result_info()["main_blend_jobs_path"] == f"{used}/a.blend"
    assert_checkout_matches(server, used, pack.items)
    assert_checkout_matches(server, "job", pack.items)  # the first one untouched


def test_a_job_name_with_forbidden_characters_is_sanitised_before_the_request(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", {"a.blend": 1000}, main="a.blend")
    _, target = send(shaman_url(server), pack.items, tmp_path / "cache", checkout_path="/shot 010: final?/../x")
    assert target.result_info()["checkout_path"] == "shot 010_ final_/x"
    assert_checkout_matches(server, "shot 010_ final_/x", pack.items)


def test_without_a_checkout_path_the_main_blend_name_is_used(any_shaman_server: ShamanServer, tmp_path: Path) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", {"scenes/shot_020.blend": 1000}, main="scenes/shot_020.blend")
    _, target = send(f"shaman+http://{server.host}:{server.port}/", pack.items, tmp_path / "cache")
    assert target.result_info()["checkout_path"].startswith("shot_020-")


def test_unicode_paths_round_trip_and_filename_headers_are_single_encoded_lines(
    shaman_server: ShamanServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    sizes = {
        "á hausinn á þér/много ликова.py": 1000,
        "textures/日本語 ファイル.png": 2000,
        "Ж" * 120 + "/" + "名" * 80 + ".exr": 3000,
        "main.blend": 500,
    }
    pack = make_pack(tmp_path / "src", sizes, main="main.blend")
    _, target = send(proxy.shaman_url("ránið/lélegt vélmenni"), pack.items, tmp_path / "cache")

    assert target.result_info()["checkout_path"] == "ránið/lélegt vélmenni"
    assert_checkout_matches(shaman_server, "ránið/lélegt vélmenni", pack.items)
    headers = [r.headers["X-Shaman-Original-Filename"] for r in proxy.requests_to("POST", "/files/")]
    assert sorted(decode_filename(h) for h in headers) == sorted(sizes)
    assert all(h.isascii() and "\n" not in h and "\r" not in h for h in headers)


def test_pack_paths_with_backslashes_are_refused_before_anything_is_sent(
    shaman_server: ShamanServer, tmp_path: Path
) -> None:
    # Pack paths are POSIX (the packer converts Windows paths); a backslash one never reaches the server.
    pack = make_pack(tmp_path / "src", {"tex/a.png": 10})
    bad = [pack.items[0].__class__(pack.items[0].source, "tex\\a.png", 10)]
    with pytest.raises(TransferError, match="backslash"):
        send(shaman_url(shaman_server), bad, tmp_path / "cache")
    assert shaman_server.stats.requests == 0


def test_files_with_identical_content_are_uploaded_once_and_all_checked_out(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", {"a.png": 5000, "copy/a.png": 5000, "b.blend": 100}, seed=b"same")
    (tmp_path / "src" / "copy" / "a.png").write_bytes((tmp_path / "src" / "a.png").read_bytes())
    result, target = send(shaman_url(server), pack.items, tmp_path / "cache")
    assert server.stats.upload_requests == 2
    assert result.files_skipped == 1
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)


def test_a_requirements_answer_naming_a_file_never_sent_aborts_the_transfer(
    shaman_server: ShamanServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    def lie(answer: dict[str, list[dict[str, object]]]) -> object:
        answer["files"].append({"sha": "ab" * 32, "size": 1, "path": "../../etc/passwd", "status": "unknown"})
        return answer

    proxy.add(Rule("POST", "checkout/requirements", "rewrite_json", rewrite=lie))
    pack = make_pack(tmp_path / "src", {"a.blend": 100})
    with pytest.raises(ShamanError, match=r"never offered"):
        send(proxy.shaman_url(), pack.items, tmp_path / "cache")
    assert proxy.requests_to("POST", "/files/") == []
    assert proxy.requests_to("POST", "checkout/create") == []


def test_cancel_during_the_third_of_ten_uploads_stops_within_a_second_without_a_checkout(
    shaman_server: ShamanServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    cancel = CancelToken()
    uploads_seen: list[float] = []

    def third_upload(_handler: object) -> bool:
        uploads_seen.append(time.monotonic())
        if len(uploads_seen) == 3:
            threading.Timer(0.3, cancel.cancel).start()
        return True

    proxy.add(Rule("POST", "/files/", "throttle", rate_bytes_per_s=4 * MiB, when=third_upload))
    pack = make_pack(tmp_path / "src", {f"f{n:02}.bin": 4 * MiB for n in range(10)})
    started = time.monotonic()
    with pytest.raises(CancelledError):
        send(proxy.shaman_url("cancelled"), pack.items, tmp_path / "cache", cancel=cancel, workers=1)
    cancelled_at = uploads_seen[2] + 0.3
    assert time.monotonic() - cancelled_at < 1.0, f"took {time.monotonic() - started:.1f} s in all"
    time.sleep(0.3)
    assert len(proxy.requests_to("POST", "/files/")) == 3
    assert proxy.requests_to("POST", "checkout/create") == []
    assert list((shaman_server.storage / "jobs").iterdir()) == []


def test_progress_is_rebased_to_what_the_server_needs_and_ends_at_100_percent(
    shaman_server: ShamanServer, tmp_path: Path
) -> None:
    pack = make_pack(tmp_path / "src", {f"f{n}.bin": 100_000 for n in range(8)})
    send(shaman_url(shaman_server, "pre"), pack.items[:3], tmp_path / "cache")  # server has 3 of 8

    events = Events()
    result, _ = send(shaman_url(shaman_server, "all"), pack.items, tmp_path / "cache", listener=events)
    transfer = [e for e in events.events if e.stage is Stage.TRANSFER]
    assert {e.files_total for e in transfer} == {5}
    assert (transfer[-1].files_done, transfer[-1].bytes_done) == (5, transfer[-1].bytes_total)
    assert result.files_skipped == 3

    events = Events()
    result, _ = send(shaman_url(shaman_server, "none"), pack.items, tmp_path / "cache", listener=events)
    transfer = [e for e in events.events if e.stage is Stage.TRANSFER]
    assert transfer[-1].files_total == 0 and transfer[-1].error == ""
    assert result.files_skipped == 8


def test_the_token_is_sent_as_bearer_and_never_appears_in_errors(
    shaman_server: ShamanServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    token = "tok-9f8e7d6c5b4a"
    pack = make_pack(tmp_path / "src", {"a.blend": 100, "b.png": 200})
    send(proxy.shaman_url("ok"), pack.items, tmp_path / "cache", token=token)
    assert proxy.log and {r.headers.get("Authorization") for r in proxy.log} == {f"Bearer {token}"}

    # A server that echoes the header back in its error message.
    proxy.add(
        Rule(
            "POST",
            "checkout/requirements",
            "respond",
            status=401,
            body=f'{{"message": "bad token Bearer {token}"}}'.encode(),
        )
    )
    with pytest.raises(ShamanError) as caught:
        send(proxy.shaman_url("denied"), pack.items, tmp_path / "cache", token=token)
    assert "401" in str(caught.value) and "check the token" in str(caught.value)
    assert token not in str(caught.value)
    target = open_shaman_target(proxy.shaman_url(), token=token, cache_dir=tmp_path / "cache")
    assert token not in repr(target.__dict__) + repr(target.options) + repr(target.result_info())
    assert token not in repr(caught.value.__cause__) if caught.value.__cause__ else True


def test_a_server_that_is_down_gives_a_clear_error_quickly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pack = make_pack(tmp_path / "src", {"a.blend": 100})
    options = fast_options(client=ClientOptions(backoff_s=0.01, retries=2))
    started = time.monotonic()
    with pytest.raises(ShamanUnavailableError) as caught:
        send(f"shaman+http://127.0.0.1:{port}/#job", pack.items, tmp_path / "cache", options=options)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "cannot reach" in message


def test_a_server_with_shaman_disabled_says_so(make_shaman_server: MakeServer, tmp_path: Path) -> None:
    server = make_shaman_server("f3-compat", enabled=False)
    pack = make_pack(tmp_path / "src", {"a.blend": 100})
    options = fast_options(client=ClientOptions(backoff_s=0.01, retries=1))
    with pytest.raises(ShamanUnavailableError, match=r"HTTP 503.*Shaman enabled"):
        send(shaman_url(server), pack.items, tmp_path / "cache", options=options)


def test_a_url_that_is_not_a_shaman_server_is_reported_as_such(shaman_server: ShamanServer, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "src", {"a.blend": 100})
    url = f"shaman+http://{shaman_server.host}:{shaman_server.port}/not-here/#job"
    with pytest.raises(ShamanError, match=r"HTTP 404.*Flamenco 3 Manager"):
        send(url, pack.items, tmp_path / "cache")


def test_an_https_url_to_a_plain_http_server_fails_with_a_clear_tls_error(
    shaman_server: ShamanServer, tmp_path: Path
) -> None:
    pack = make_pack(tmp_path / "src", {"a.blend": 100})
    options = fast_options(client=ClientOptions(backoff_s=0.01, retries=1))
    with pytest.raises(ShamanUnavailableError, match=r"cannot reach the server"):
        send(
            f"shaman://{shaman_server.host}:{shaman_server.port}/#job", pack.items, tmp_path / "cache", options=options
        )


def test_empty_files_are_stored_by_strict_servers_and_refused_clearly_by_flamenco_3(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", {"empty.txt": 0, "a.blend": 100}, main="a.blend")
    if server.mode == "strict":
        _, target = send(shaman_url(server), pack.items, tmp_path / "cache")
        assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)
    else:
        with pytest.raises(TransferError, match=r"empty file 'empty.txt'.*zero-byte"):
            send(shaman_url(server), pack.items, tmp_path / "cache")
        assert list((server.storage / "jobs").iterdir()) == []


def test_abort_before_commit_leaves_no_checkout(shaman_server: ShamanServer, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "src", {"a.blend": 100, "b.png": 100})
    target = open_shaman_target(shaman_url(shaman_server), cache_dir=tmp_path / "cache")
    to_send = target.begin(pack.items, CancelToken())
    assert len(to_send) == 2
    target.abort()
    with pytest.raises(CancelledError):
        target.commit()
    assert list((shaman_server.storage / "jobs").iterdir()) == []
    assert stored_blobs(shaman_server) == []


def test_a_target_is_driven_by_run_transfer_like_any_other(shaman_server: ShamanServer, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "src", {"a.blend": 100}, main="a.blend")
    target = open_shaman_target(shaman_url(shaman_server, "x"), cache_dir=tmp_path / "cache", connections=2)
    assert target.max_workers == 2
    assert "127.0.0.1" in target.describe()
    result = run_transfer(pack.items, target)
    assert result.files_sent == 1


def test_uploads_declare_their_length_and_are_never_chunked_even_when_empty(
    shaman_server: ShamanServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    pack = make_pack(tmp_path / "src", {"empty.txt": 0, "big.bin": 3 * MiB + 1})
    send(proxy.shaman_url(), pack.items, tmp_path / "cache")
    lengths = sorted(r.headers.get("Content-Length", "") for r in proxy.requests_to("POST", "/files/"))
    assert lengths == ["0", str(3 * MiB + 1)]
    assert not any("Transfer-Encoding" in r.headers for r in proxy.log)


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_certificates_are_verified_and_a_given_ca_bundle_is_trusted(
    shaman_server: ShamanServer, tmp_path: Path
) -> None:
    import ssl

    cert, key = _self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls_proxy = FaultProxy(shaman_server, tls=context)
    try:
        pack = make_pack(tmp_path / "src", {"a.blend": 100})
        options = fast_options(client=ClientOptions(backoff_s=0.01, retries=1))
        with pytest.raises(ShamanUnavailableError, match=r"TLS error: \[SSL: CERTIFICATE_VERIFY_FAILED\]"):
            send(tls_proxy.shaman_url("untrusted"), pack.items, tmp_path / "cache", options=options)
        assert shaman_server.stats.requests == 0

        _, target = send(tls_proxy.shaman_url("trusted"), pack.items, tmp_path / "cache", ca_bundle=cert)
        assert target.result_info()["checkout_path"] == "trusted"
        assert tls_proxy.log and all(r.headers.get("Host", "").startswith("127.0.0.1") for r in tls_proxy.log)
    finally:
        tls_proxy.close()
