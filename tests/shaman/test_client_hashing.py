# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman client: hashing files in parallel and the checksum cache (C1 and the cache rules)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
from shaman.client_helpers import OLD

from bat_core.errors import CancelledError, TransferError
from bat_core.progress import CancelToken, ProgressEvent, Stage
from bat_core.shaman.checksum_cache import ChecksumCache
from bat_core.shaman.hashing import hash_files, sha256_file

MiB = 1024 * 1024


def _files(root: Path, sizes: list[int], age: float | None = OLD) -> list[Path]:
    paths = []
    for n, size in enumerate(sizes):
        path = root / f"file-{n}.bin"
        path.write_bytes(os.urandom(size))
        if age is not None:
            os.utime(path, (age, age))
        paths.append(path)
    return paths


def test_checksums_and_sizes_equal_hashlib_for_empty_small_and_multi_chunk_files(tmp_path: Path) -> None:
    paths = _files(tmp_path, [0, 1, 4096, 3 * MiB + 17, MiB])
    results = hash_files(paths, workers=3)
    assert [r.path for r in results] == paths
    for path, result in zip(paths, results, strict=True):
        data = path.read_bytes()
        assert (result.sha256, result.size) == (hashlib.sha256(data).hexdigest(), len(data))
        assert not result.from_cache


def test_second_run_hashes_nothing_and_touching_one_file_rehashes_exactly_that_one(tmp_path: Path) -> None:
    paths = _files(tmp_path, [1000, 2000, 3000, 4000])
    cache = ChecksumCache(tmp_path / "cache")
    first = hash_files(paths, cache=cache)
    assert [r.from_cache for r in first] == [False] * 4

    second = hash_files(paths, cache=ChecksumCache(tmp_path / "cache"))  # a new process, same folder
    assert [r.from_cache for r in second] == [True] * 4
    assert [r.sha256 for r in second] == [r.sha256 for r in first]

    os.utime(paths[2], (OLD + 10, OLD + 10))
    third = hash_files(paths, cache=cache)
    assert [r.from_cache for r in third] == [True, True, False, True]


def test_a_changed_size_is_never_served_from_the_cache(tmp_path: Path) -> None:
    [path] = _files(tmp_path, [1000])
    cache = ChecksumCache(tmp_path / "cache")
    hash_files([path], cache=cache)
    path.write_bytes(b"x" * 999)
    os.utime(path, (OLD, OLD))  # same mtime as before, different size
    [result] = hash_files([path], cache=cache)
    assert not result.from_cache
    assert result.sha256 == hashlib.sha256(b"x" * 999).hexdigest()


def test_files_modified_just_before_hashing_are_not_trusted_later(tmp_path: Path) -> None:
    # Written "now": a second write within the same timestamp tick would go unnoticed,
    # so the cache must not vouch for this checksum next time.
    [path] = _files(tmp_path, [5000], age=None)
    cache = ChecksumCache(tmp_path / "cache")
    hash_files([path], cache=cache)
    [again] = hash_files([path], cache=cache)
    assert not again.from_cache


def test_forgetting_an_entry_forces_a_rehash(tmp_path: Path) -> None:
    paths = _files(tmp_path, [100, 200])
    cache = ChecksumCache(tmp_path / "cache")
    hash_files(paths, cache=cache)
    cache.forget(str(paths[0].absolute()))
    assert [r.from_cache for r in hash_files(paths, cache=cache)] == [False, True]


def test_an_unusable_cache_folder_only_costs_rehashing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    paths = _files(tmp_path, [100, 200])
    cache = ChecksumCache(blocker / "cache")
    for _ in range(2):
        results = hash_files(paths, cache=cache)
        assert [r.from_cache for r in results] == [False, False]
        assert results[0].sha256 == hashlib.sha256(paths[0].read_bytes()).hexdigest()


def test_a_corrupt_cache_database_only_costs_rehashing(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "checksums.sqlite3").write_bytes(b"this is not a database" * 100)
    paths = _files(tmp_path, [100])
    [result] = hash_files(paths, cache=ChecksumCache(tmp_path / "cache"))
    assert result.sha256 == hashlib.sha256(paths[0].read_bytes()).hexdigest()


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match=r"gone\.png"):
        hash_files([tmp_path / "gone.png"])


def test_progress_is_reported_under_the_hash_stage_and_ends_complete(tmp_path: Path) -> None:
    paths = _files(tmp_path, [2 * MiB, MiB, 10])
    events: list[ProgressEvent] = []
    hash_files(paths, listener=events.append)
    assert events and all(e.stage is Stage.HASH for e in events)
    last = events[-1]
    assert (last.files_done, last.files_total) == (3, 3)
    assert last.bytes_done == last.bytes_total == 3 * MiB + 10


def test_hashing_stops_promptly_when_cancelled(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:  # sparse: quick to make, slow enough to hash
        f.truncate(8 * 1024 * MiB)
    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        hash_files([big], cancel=cancel)
    assert time.monotonic() - started < 1.3


def test_sha256_file_reports_every_byte(tmp_path: Path) -> None:
    [path] = _files(tmp_path, [3 * MiB + 5])
    seen: list[int] = []
    sha, size = sha256_file(path, on_bytes=seen.append)
    assert sum(seen) == size == 3 * MiB + 5
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
