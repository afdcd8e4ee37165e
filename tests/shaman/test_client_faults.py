# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman client against a server that misbehaves or is busy: conformance cases C2-C8.

Faults come from a real loopback proxy in front of the real embedded server
(``client_proxy.FaultProxy``); "other clients" are real concurrent uploads, or (for the
f3-compat server, which only shows ``uploading`` while it writes a fully received body)
a temp upload file planted where the server looks for one, as a crashed Flamenco leaves.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from shaman.client_helpers import (
    OLD,
    assert_checkout_matches,
    assert_store_intact,
    fast_options,
    make_pack,
    send,
    shaman_url,
)
from shaman.client_proxy import FaultProxy, Rule
from shaman.server_fixture import MakeServer
from shaman.shaman_http import RawUpload, sha256_hex, upload

from bat_core.errors import TransferError
from bat_core.shaman.rounds import RoundLimits
from bat_core.shaman.server import ShamanServer

MiB = 1024 * 1024


@pytest.fixture
def proxy_for() -> Iterator[Callable[[ShamanServer], FaultProxy]]:
    proxies: list[FaultProxy] = []

    def make(server: ShamanServer) -> FaultProxy:
        proxies.append(FaultProxy(server))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


class Peer:
    """Someone else uploading ``data`` right now; ``finish()`` completes that upload."""

    def __init__(self, server: ShamanServer, data: bytes) -> None:
        self.server = server
        self.data = data
        self._raw: RawUpload | None = None
        self._planted: Path | None = None
        if server.mode == "strict":
            self._raw = RawUpload(server, data, headers={"X-Shaman-Can-Defer-Upload": "false"})
            self._raw.send(len(data) // 2)
        else:
            sha = sha256_hex(data)
            folder = server.storage / "file-store" / "uploading" / sha[:2] / sha[2:]
            folder.mkdir(parents=True, exist_ok=True)
            self._planted = folder / f"{len(data)}-123456789.tmp"
            self._planted.write_bytes(data[: len(data) // 2])

    def finish(self) -> int | str:
        if self._raw is not None:
            try:
                self._raw.send_rest()
                code, _ = self._raw.response()
                return code
            except OSError:
                return "cut off"  # the client stored it first and the server cut us
            finally:
                self._raw.close()
        assert self._planted is not None
        self._planted.unlink()
        return upload(self.server, self.data).status_code

    def abandon(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(OSError):
                self._raw.close()


def _wait_status(server: ShamanServer, data: bytes) -> None:
    from shaman.shaman_http import status, wait_until

    wait_until(lambda: status(server, sha256_hex(data), len(data)) == "uploading", what="peer to be uploading")


def test_c2_a_stale_cached_checksum_is_refused_then_rehashed_and_sent(
    any_shaman_server: ShamanServer,
    make_shaman_server: MakeServer,
    tmp_path: Path,
) -> None:
    pack = make_pack(tmp_path / "src", {"a.blend": 1000, "tex.png": 50_000}, main="a.blend")
    first_server = make_shaman_server("strict")
    send(shaman_url(first_server), pack.items, tmp_path / "cache")  # fills the cache

    tex = pack.item("tex.png").source
    tex.write_bytes(os.urandom(50_000))  # same size ...
    os.utime(tex, (OLD, OLD))  # ... and the old mtime: the cache cannot tell
    server = any_shaman_server
    _, target = send(shaman_url(server, "fresh"), pack.items, tmp_path / "cache", options=fast_options())

    assert_checkout_matches(server, "fresh", pack.items)
    assert server.stats.upload_requests == 3  # a.blend, tex.png refused (417), tex.png again
    assert assert_store_intact(server.storage) == 2
    server.reset_stats()
    _, target = send(shaman_url(server, "again"), pack.items, tmp_path / "cache")
    assert target.result_info()["files_hashed"] == 0  # the cache now has the right checksum
    assert server.stats.upload_requests == 0


def test_c3_files_another_client_is_uploading_are_waited_for_and_never_sent_twice(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    pack = make_pack(tmp_path / "src", {f"f{n}.bin": 200_000 for n in range(6)})
    held = pack.items[:3]
    peers = [Peer(server, item.source.read_bytes()) for item in held]
    for peer in peers:
        _wait_status(server, peer.data)
    timer = threading.Timer(2.0, lambda: [p.finish() for p in peers])
    timer.start()
    started = time.monotonic()
    try:
        result, target = send(shaman_url(server), pack.items, tmp_path / "cache", options=fast_options())
    finally:
        timer.join()
    assert time.monotonic() - started >= 1.9  # it really waited for the peers
    assert (result.files_sent, result.files_skipped) == (3, 3)
    # Every body the server read was either a peer's or one of the 3 other files, once.
    peer_bytes = sum(len(p.data) for p in peers) if server.mode == "strict" else 0
    peer_bytes += 0 if server.mode == "strict" else sum(len(p.data) for p in peers)
    assert server.stats.upload_bytes_received == peer_bytes + 3 * 200_000
    assert target.result_info()["requirements_calls"] >= 2  # the list is asked for again before the checkout
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)


def test_c3_more_deferrals_than_the_limit_end_the_round_with_a_fresh_requirements_list(
    shaman_server: ShamanServer, tmp_path: Path
) -> None:
    pack = make_pack(tmp_path / "src", {f"f{n:02}.bin": 100_000 for n in range(12)})
    peers = [Peer(shaman_server, item.source.read_bytes()) for item in pack.items[:10]]

    def finish_one_by_one() -> None:
        for peer in peers:
            time.sleep(0.25)
            peer.finish()

    timer = threading.Thread(target=finish_one_by_one)
    timer.start()
    try:
        result, target = send(
            shaman_url(shaman_server),
            pack.items,
            tmp_path / "cache",
            options=fast_options(rounds=RoundLimits(deferral_limit=2)),
            workers=4,
        )
    finally:
        timer.join()
    assert result.files_skipped == 10
    assert target.result_info()["requirements_calls"] >= 3  # begin, after > 2 deferrals, commit
    assert target.result_info()["failed_rounds"] == 0


def test_c4_a_peer_that_never_finishes_is_waited_for_a_bounded_time_then_sent_without_defer(
    any_shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = proxy_for(server)
    pack = make_pack(tmp_path / "src", {"stuck.bin": 300_000, "other.bin": 1000})
    peer = Peer(server, pack.item("stuck.bin").source.read_bytes())
    try:
        started = time.monotonic()
        _, target = send(proxy.shaman_url(), pack.items, tmp_path / "cache", options=fast_options(peer_wait_s=1.0))
        assert time.monotonic() - started >= 1.0
    finally:
        peer.abandon()
    posts = [r for r in proxy.requests_to("POST", "/files/") if r.body_bytes == 300_000]
    assert [r.headers["X-Shaman-Can-Defer-Upload"] for r in posts] == ["false"]
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)


def test_c5_nine_failures_end_the_round_early_and_the_transfer_still_succeeds(
    any_shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = proxy_for(server)
    proxy.add(Rule("POST", "/files/", "respond", status=500, times=9))
    pack = make_pack(tmp_path / "src", {f"f{n:02}.bin": 50_000 for n in range(12)})
    result, target = send(proxy.shaman_url(), pack.items, tmp_path / "cache", options=fast_options())

    assert result.files_sent == 12
    info = target.result_info()
    assert info["failed_rounds"] >= 1
    assert len(proxy.requests_to("POST", "checkout/requirements")) >= 3
    assert server.stats.files_stored == 12  # the failures never reached the server; nothing twice
    assert server.stats.upload_bytes_received == 12 * 50_000
    assert_checkout_matches(server, info["checkout_path"], pack.items)


def test_c5_persistent_failures_give_up_after_the_round_limit_naming_the_files(
    shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    proxy = proxy_for(shaman_server)
    proxy.add(Rule("POST", "/files/", "respond", status=500, body=b'{"code": 500, "message": "disk on fire"}'))
    pack = make_pack(tmp_path / "src", {"a.png": 1000, "b.png": 2000, "main.blend": 300}, main="main.blend")
    options = fast_options(retry_backoff_s=0.001, max_retry_backoff_s=0.002, rounds=RoundLimits(max_failed_rounds=50))
    with pytest.raises(TransferError) as caught:
        send(proxy.shaman_url(), pack.items, tmp_path / "cache", options=options)
    message = str(caught.value)
    assert "gave up after 50 rounds" in message
    assert "disk on fire" in message
    assert "a.png" in message or "b.png" in message
    # It kept asking for fresh lists the whole time instead of failing at the first error.
    assert len(proxy.requests_to("POST", "checkout/requirements")) >= 50
    assert proxy.requests_to("POST", "checkout/create") == []


def test_c6_connection_dropped_after_the_server_stored_the_file_counts_as_done(
    any_shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = proxy_for(server)
    proxy.add(Rule("POST", "/files/", "drop_after_forward", times=1))
    pack = make_pack(tmp_path / "src", {"a.bin": 2 * MiB})
    _, target = send(proxy.shaman_url(), pack.items, tmp_path / "cache", options=fast_options())
    assert len(proxy.requests_to("POST", "/files/")) == 1
    assert server.stats.upload_bytes_received == 2 * MiB
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)


def test_c6_connection_dropped_mid_body_is_retried_and_succeeds(
    any_shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = proxy_for(server)
    proxy.add(Rule("POST", f"/{4 * MiB}", "drop_mid_body", after_bytes=MiB, times=1))
    pack = make_pack(tmp_path / "src", {"a.bin": 4 * MiB, "b.bin": 1000})
    _, target = send(proxy.shaman_url(), pack.items, tmp_path / "cache", options=fast_options())
    big_posts = [r for r in proxy.requests_to("POST", "/files/") if "/4194304" in r.path]
    assert [r.action for r in big_posts] == ["drop_mid_body", "forward"]
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)
    assert assert_store_intact(server.storage) == 2


def test_c7_a_drop_while_someone_else_uploads_the_file_is_a_deferral_not_a_second_upload(
    any_shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = proxy_for(server)
    pack = make_pack(tmp_path / "src", {"shared.bin": 3 * MiB, "mine.bin": 1000})
    data = pack.item("shared.bin").source.read_bytes()
    peers: list[Peer] = []

    def peer_starts(_handler: object) -> bool:
        peers.append(Peer(server, data))  # starts after our status check said "unknown"
        threading.Timer(1.0, peers[0].finish).start()
        return True

    proxy.add(Rule("POST", "/files/", "drop_mid_body", after_bytes=0, times=1, when=peer_starts))
    proxy.add(Rule("POST", "/files/", "forward"))  # log the rest
    pack_items = [pack.item("shared.bin"), pack.item("mine.bin")]
    _, target = send(proxy.shaman_url(), pack_items, tmp_path / "cache", options=fast_options(), workers=1)

    shared_posts = [r for r in proxy.requests_to("POST", "/files/") if f"/{3 * MiB}" in r.path]
    assert len(shared_posts) == 1  # only the dropped one: afterwards it waited for the peer
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)
    assert assert_store_intact(server.storage) == 2


def test_c8_a_208_and_reset_in_the_middle_of_a_large_body_is_success_without_retry(
    shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = shaman_server
    proxy = proxy_for(server)
    pack = make_pack(tmp_path / "src", {"big.bin": 50 * MiB})
    data = pack.items[0].source.read_bytes()
    peer_codes: list[int] = []

    def someone_else_finishes_first(_handler: object) -> bool:
        threading.Timer(0.5, lambda: peer_codes.append(upload(server, data).status_code)).start()
        return True

    proxy.add(Rule("POST", "/files/", "throttle", rate_bytes_per_s=20 * MiB, when=someone_else_finishes_first))
    result, target = send(proxy.shaman_url(), pack.items, tmp_path / "cache", options=fast_options())

    assert peer_codes == [204]
    [post] = proxy.requests_to("POST", "/files/")
    assert post.status == 208 and post.body_bytes < 50 * MiB  # cut off, not read to the end
    assert result.files_skipped == 1
    assert server.stats.uploads_cut_off == 1
    assert server.stats.upload_bytes_received < 1.8 * 50 * MiB
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)


def _vanish_one_blob(server: ShamanServer) -> Callable[[object], bool]:
    """A proxy condition that deletes one stored blob (as garbage collection would) once."""
    done: list[Path] = []

    def vanish(_handler: object) -> bool:
        if not done:
            blob = sorted((server.storage / "file-store" / "stored").rglob("*.blob"))[0]
            blob.unlink()
            done.append(blob)
        return True

    return vanish


def test_a_blob_that_vanishes_before_the_final_check_is_sent_again(
    any_shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = proxy_for(server)
    # The second requirements call is the one commit() makes before the checkout.
    calls: list[int] = []
    vanish = _vanish_one_blob(server)

    def before_the_final_check(handler: object) -> bool:
        calls.append(1)
        return len(calls) == 2 and vanish(handler)

    proxy.add(Rule("POST", "checkout/requirements", "forward", when=before_the_final_check))
    pack = make_pack(tmp_path / "src", {"a.bin": 10_000, "b.bin": 20_000})
    _, target = send(proxy.shaman_url(), pack.items, tmp_path / "cache", options=fast_options())
    assert len(proxy.requests_to("POST", "/files/")) == 3
    assert_checkout_matches(server, target.result_info()["checkout_path"], pack.items)


def test_a_checkout_refused_for_missing_files_is_retried_once_after_sending_them(
    any_shaman_server: ShamanServer, proxy_for: Callable[[ShamanServer], FaultProxy], tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = proxy_for(server)
    proxy.add(Rule("POST", "checkout/create", "forward", times=1, when=_vanish_one_blob(server)))
    pack = make_pack(tmp_path / "src", {"a.bin": 10_000, "b.bin": 20_000})
    _, target = send(proxy.shaman_url("job"), pack.items, tmp_path / "cache", options=fast_options())
    creates = proxy.requests_to("POST", "checkout/create")
    assert [r.status for r in creates] == [424 if server.mode == "strict" else 500, 200]
    assert len(proxy.requests_to("POST", "/files/")) == 3
    assert target.result_info()["checkout_path"] == "job"
    assert_checkout_matches(server, "job", pack.items)
