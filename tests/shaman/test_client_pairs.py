# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman client: several clients at once, and a server that dies mid-upload (P1-P4).

The f3-compat runs are P4: the clients must not depend on 204/409/424 or on early
cut-offs. A killed server is a real ``python -m bat_core.shaman.server`` subprocess.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from shaman.client_helpers import (
    OLD,
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

from bat_core.errors import BatError
from bat_core.shaman.server import ShamanServer
from bat_core.transfer.target import TransferItem

MiB = 1024 * 1024
REPO = Path(__file__).resolve().parents[2]


def _in_threads(jobs: list[Callable[[], Any]], stagger_s: float = 0.0) -> list[Any]:
    """Run the jobs at once (``stagger_s`` apart); each result is a value or the exception raised."""
    results: list[Any] = [None] * len(jobs)

    def run(n: int) -> None:
        try:
            results[n] = jobs[n]()
        except BaseException as exc:
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
        time.sleep(stagger_s)
    for thread in threads:
        thread.join(120)
    return results


def _random_files(root: Path, count: int, size: int, seed: int) -> list[TransferItem]:
    rng = random.Random(seed)
    items = []
    for n in range(count):
        path = root / f"set/f{n:03}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size))
        os.utime(path, (OLD, OLD))
        items.append(TransferItem(path, f"set/f{n:03}.bin", size))
    return items


def test_p1_two_clients_sending_the_same_large_file_half_a_second_apart_both_succeed(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    proxy = FaultProxy(server)  # client A's link is slow (10 MB/s), so the uploads overlap
    proxy.add(Rule("POST", "/files/", "throttle", rate_bytes_per_s=10e6))
    size = 25 * MiB
    pack = make_pack(tmp_path / "src", {"big.bin": size})
    try:
        results = _in_threads(
            [
                lambda: send(proxy.shaman_url("a"), pack.items, tmp_path / "cache-a", options=fast_options()),
                lambda: send(shaman_url(server, "b"), pack.items, tmp_path / "cache-b", options=fast_options()),
            ],
            stagger_s=0.5,
        )
    finally:
        proxy.close()
    for result in results:
        assert not isinstance(result, BaseException), result
    assert len(stored_blobs(server)) == 1
    assert_store_intact(server.storage)
    for result in results:
        assert_checkout_matches(server, result[1].result_info()["checkout_path"], pack.items)
    if server.mode == "strict":
        # B saw A uploading and waited instead of sending the same 25 MB.
        assert server.stats.upload_bytes_received <= 1.2 * size


def test_p2_two_clients_sharing_most_files_under_one_job_name_get_two_complete_checkouts(
    any_shaman_server: ShamanServer, tmp_path: Path
) -> None:
    server = any_shaman_server
    shared = {f"shared/f{n}.bin": 400_000 for n in range(8)}
    pack_a = make_pack(tmp_path / "a", {**shared, "own/a1.bin": 300_000, "own/a2.bin": 300_000}, seed=b"p2")
    pack_b = make_pack(tmp_path / "b", {**shared, "own/b1.bin": 300_000, "own/b2.bin": 300_000}, seed=b"p2")
    results = _in_threads(
        [
            lambda: send(shaman_url(server, "job"), pack_a.items, tmp_path / "cache-a", options=fast_options()),
            lambda: send(shaman_url(server, "job"), pack_b.items, tmp_path / "cache-b", options=fast_options()),
        ]
    )
    for result in results:
        assert not isinstance(result, BaseException), result
    paths = {r[1].result_info()["checkout_path"] for r in results}
    assert len(paths) == 2 and "job" in paths
    assert len(stored_blobs(server)) == 12  # 8 shared, stored once, plus 2 + 2 own
    assert_store_intact(server.storage)
    for result, pack in zip(results, (pack_a, pack_b), strict=True):
        assert_checkout_matches(server, result[1].result_info()["checkout_path"], pack.items)


@pytest.fixture(scope="module")
def set_of_200(tmp_path_factory: pytest.TempPathFactory) -> list[TransferItem]:
    """200 random files of 2.5 MB (500 MB), made once for both server modes."""
    return _random_files(tmp_path_factory.mktemp("set200"), 200, 2_500_000, seed=4)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["strict", "f3-compat"])
def test_four_clients_sending_the_same_500_mb_set_at_once_all_succeed_and_it_is_received_about_once(
    make_shaman_server: MakeServer, set_of_200: list[TransferItem], tmp_path: Path, mode: str
) -> None:
    server = make_shaman_server(mode)
    items = set_of_200
    total = sum(i.size for i in items)
    started = time.monotonic()
    results = _in_threads(
        [
            (lambda n=n: send(shaman_url(server, f"client{n}"), items, tmp_path / "cache", options=fast_options()))
            for n in range(4)
        ]
    )
    seconds = time.monotonic() - started
    for result in results:
        assert not isinstance(result, BaseException), result
    received = server.stats.upload_bytes_received
    print(f"\n{mode}: 4 clients x {total / 1e6:.0f} MB in {seconds:.1f} s, server received {received / total:.3f}x")
    assert received <= 1.25 * total
    assert len(stored_blobs(server)) == 200
    for n in range(4):
        assert_checkout_matches(server, f"client{n}", items[::20])  # a sample; the store check covers all
    assert assert_store_intact(server.storage) == 200


class ServerProcess:
    """``python -m bat_core.shaman.server`` in a subprocess that a test can kill and restart."""

    def __init__(self, storage: Path, mode: str = "strict") -> None:
        self.storage = storage
        self.mode = mode
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bat_core.shaman.server",
                "--storage",
                str(self.storage),
                "--port",
                str(self.port),
                "--mode",
                self.mode,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert "listening on" in line, line
        self.port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def stats(self) -> dict[str, int]:
        return dict(requests.get(f"http://127.0.0.1:{self.port}/bat-shaman/stats", timeout=5).json())

    @property
    def url_base(self) -> str:
        return f"shaman+http://127.0.0.1:{self.port}/"


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "storage")
    process.start()
    yield process
    process.stop()


def test_p3_server_killed_and_restarted_while_two_clients_send_the_same_file(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    proxy = FaultProxy(("127.0.0.1", server_process.port))
    proxy.add(Rule("POST", "/files/", "throttle", rate_bytes_per_s=10e6))
    size = 20 * MiB
    pack = make_pack(tmp_path / "src", {"big.bin": size, "small.bin": 1000})
    options = fast_options(peer_wait_s=1.0)

    def restart_mid_upload() -> None:
        time.sleep(1.2)  # A is ~10 MB into its upload, B waits for it
        server_process.kill()  # temp files stay behind, as after a crash
        time.sleep(0.5)
        server_process.start()

    killer = threading.Thread(target=restart_mid_upload)
    killer.start()
    try:
        results = _in_threads(
            [
                lambda: send(proxy.shaman_url("a"), pack.items, tmp_path / "cache-a", options=options),
                lambda: send(f"{server_process.url_base}#b", pack.items, tmp_path / "cache-b", options=options),
            ],
            stagger_s=0.5,
        )
    finally:
        killer.join()
        proxy.close()
    for result in results:
        assert not isinstance(result, BaseException), result
        checkout = server_process.storage / "jobs" / result[1].result_info()["checkout_path"]
        assert (checkout / "big.bin").read_bytes() == pack.item("big.bin").source.read_bytes()
    assert assert_store_intact(server_process.storage) == 2


@pytest.mark.slow
def test_server_killed_mid_upload_under_three_clients_leaves_only_correct_blobs(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    items = _random_files(tmp_path / "src", 40, 2_500_000, seed=7)
    options = fast_options(peer_wait_s=1.0)

    def restart_when_a_quarter_is_stored() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if server_process.stats()["files_stored"] >= 10:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.01)
        server_process.kill()
        time.sleep(0.5)
        server_process.start()

    killer = threading.Thread(target=restart_when_a_quarter_is_stored)
    killer.start()
    try:
        results = _in_threads(
            [
                (lambda n=n: send(f"{server_process.url_base}#c{n}", items, tmp_path / f"cache{n}", options=options))
                for n in range(3)
            ]
        )
    finally:
        killer.join()
    for result in results:
        if isinstance(result, BaseException):
            # Allowed, but only as a clear error naming the server.
            assert isinstance(result, BatError), repr(result)
            assert f"127.0.0.1:{server_process.port}" in str(result)
        else:
            root = server_process.storage / "jobs" / result[1].result_info()["checkout_path"]
            for item in items:
                assert (root / item.pack_path).read_bytes() == item.source.read_bytes()
    succeeded = [r[1].result_info() for r in results if not isinstance(r, BaseException)]
    assert succeeded
    # The kill really hit running uploads, and uploading went on after the restart.
    hit = sum(info["connections_lost"] for info in succeeded) + (len(results) - len(succeeded))
    assert hit >= 1
    assert server_process.stats()["upload_requests"] >= 1
    assert assert_store_intact(server_process.storage) >= 10
