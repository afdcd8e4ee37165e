# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman server: garbage collection of old, unreferenced blobs (S18)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from shaman.server_fixture import MakeServer
from shaman.shaman_http import blob_path, post_json, random_bytes, sha256_hex, spec, status, store

from bat_core.shaman.gc import collect_garbage, plan_garbage_collection
from bat_core.shaman.server import ShamanServer

DAY = 24 * 3600.0


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_s18_gc_deletes_only_old_unlinked_untouched_blobs(shaman_server: ShamanServer) -> None:
    server = shaman_server
    old_unlinked, old_linked, touched, young = (random_bytes(1000 + i) for i in range(4))
    for data in (old_unlinked, old_linked, touched, young):
        store(server, data)
    response = post_json(server, "checkout/create", {"files": [spec(old_linked, "a/b.blend")], "checkoutPath": "j"})
    assert response.status_code == 200
    for data in (old_unlinked, old_linked, touched):
        _age(blob_path(server, data), 2 * DAY)
    sha = sha256_hex(random_bytes(1))
    temp = server.storage / "file-store" / "uploading" / sha[:2] / sha[2:] / "5-111111111.tmp"
    temp.parent.mkdir(parents=True)
    temp.write_bytes(b"12")
    _age(temp, 2 * DAY)

    plan = plan_garbage_collection(server.store, server.jobs_root, max_age_seconds=DAY)

    assert sorted(c.path for c in plan.candidates) == sorted(
        [blob_path(server, old_unlinked), blob_path(server, touched)]
    )
    assert plan.old_but_linked == 1
    # Between planning and deleting, a client asks for "touched": that protects it.
    assert post_json(server, "checkout/requirements", {"files": [spec(touched, "t")]}).json() == {"files": []}

    result = collect_garbage(server.store, plan)

    assert result.deleted == (blob_path(server, old_unlinked),)
    assert result.kept_because_touched == (blob_path(server, touched),)
    assert result.bytes_freed == len(old_unlinked)
    assert status(server, sha256_hex(old_unlinked), len(old_unlinked)) == "unknown"
    assert not blob_path(server, old_unlinked).parent.exists()
    assert not blob_path(server, old_unlinked).parent.parent.exists() or any(
        blob_path(server, old_unlinked).parent.parent.iterdir()
    )
    for data in (old_linked, touched, young):
        assert blob_path(server, data).read_bytes() == data
    assert (server.storage / "jobs" / "j" / "a" / "b.blend").read_bytes() == old_linked
    assert temp.read_bytes() == b"12"


def test_s18_gc_keeps_linked_blobs_when_the_storage_path_goes_through_a_symlink(
    make_shaman_server: MakeServer, tmp_path: Path
) -> None:
    real = tmp_path / "real-storage"
    real.mkdir()
    (tmp_path / "storage-link").symlink_to(real)
    server = make_shaman_server("strict", storage=tmp_path / "storage-link")
    data = random_bytes(100)
    store(server, data)
    response = post_json(server, "checkout/create", {"files": [spec(data, "x")], "checkoutPath": "j"})
    assert response.status_code == 200
    _age(blob_path(server, data), 2 * DAY)

    plan = plan_garbage_collection(server.store, server.jobs_root, max_age_seconds=DAY)

    assert plan.candidates == ()
    assert collect_garbage(server.store, plan).deleted == ()
    assert blob_path(server, data).read_bytes() == data


def test_s18_gc_with_nothing_old_deletes_nothing(shaman_server: ShamanServer) -> None:
    data = random_bytes(10)
    store(shaman_server, data)
    plan = plan_garbage_collection(shaman_server.store, shaman_server.jobs_root, max_age_seconds=DAY)
    assert plan.candidates == ()
    assert collect_garbage(shaman_server.store, plan).deleted == ()
