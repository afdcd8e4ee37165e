# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for transfer tests; the helpers themselves live in transfer.helpers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from transfer.helpers import SlowSource, SourceTree, make_source_tree


@pytest.fixture
def source_tree(tmp_path: Path) -> SourceTree:
    return make_source_tree(tmp_path)


@pytest.fixture
def slow_source(tmp_path: Path) -> Iterator[SlowSource]:
    source = SlowSource(tmp_path / "huge.bin")
    yield source
    source.stop()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs (needs root): a real full disk and, remounted, a real read-only one."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
            check=False,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True, timeout=10)
