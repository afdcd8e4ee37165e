# SPDX-License-Identifier: GPL-3.0-or-later
"""The Shaman server's disk fills up during a send: the pack ends in one clear error, no checkout
is created, and no blob with wrong content is stored."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from blendgen.production import Production
from transfer.helpers import mounted_tmpfs

from bat_core.api import PackOptions, pack
from bat_core.errors import BatError
from bat_core.shaman.server import ShamanServer


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 160 KB tmpfs (needs root): smaller than the production, larger than its first files."""
    with mounted_tmpfs(tmp_path / "small", "160k") as mount_point:
        yield mount_point


def test_a_full_server_disk_ends_in_a_clear_error_and_no_checkout(
    productions: dict[str, Production], small_disk: Path, tmp_path: Path
) -> None:
    production = productions["library_chain"]  # about 250 KB of files
    with ShamanServer(small_disk / "storage", host="127.0.0.1", port=0) as server:
        url = server.url.replace("http://", "shaman+http://").rstrip("/") + "/#full/shot"
        with pytest.raises(BatError) as info:
            pack(
                PackOptions(
                    blend=production.main,
                    target=url,
                    project=production.root,
                    workers=2,
                    checksum_cache=tmp_path / "cache",
                )
            )
        jobs = small_disk / "storage" / "jobs"
        assert not (jobs / "full").exists() or not any((jobs / "full").iterdir())
    message = str(info.value)
    assert "\n" not in message.strip() and message
    stored = small_disk / "storage" / "file-store" / "stored"
    for blob in stored.rglob("*.blob") if stored.exists() else ():
        sha = blob.parent.parent.name + blob.parent.name
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha
    assert os.path.ismount(small_disk)
