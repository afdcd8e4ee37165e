# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for transfer tests; the helpers themselves live in transfer.helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from transfer.helpers import SlowSource, SourceTree, make_source_tree, mounted_tmpfs


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
    with mounted_tmpfs(tmp_path / "tiny", "1m") as mount_point:
        yield mount_point
