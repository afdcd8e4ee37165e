# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for transfer tests: source trees shaped like a pack, and a slow large source."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bat_core.transfer import TransferItem


@dataclass
class SourceTree:
    root: Path
    items: list[TransferItem]

    def digests(self) -> dict[Path, tuple[str, int]]:
        """Content hash and mtime of every source, to prove sending never touches them."""
        return {i.source: (sha256(i.source), i.source.stat().st_mtime_ns) for i in self.items}

    def item(self, pack_path: str) -> TransferItem:
        return next(i for i in self.items if i.pack_path == pack_path)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def item_for(source: Path, pack_path: str, *, is_main: bool = False) -> TransferItem:
    return TransferItem(source=source, pack_path=pack_path, size=source.stat().st_size, is_main=is_main)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_source_tree(tmp_path: Path) -> SourceTree:
    """Originals under project/, the rewritten main .blend under staging/ (as the pack step makes)."""
    project = tmp_path / "project"
    staging = tmp_path / "staging"
    rnd = os.urandom
    files = {
        "textures/wood.png": rnd(300_000),
        "textures/brick bump.jpg": rnd(120_000),
        "textures/ünïcode ✓.exr": rnd(50_000),
        "lib/props.blend": b"BLENDER-v300" + b"\x00" * 200_000,
        "sounds/ambience.flac": rnd(2_000_000),
        "notes.txt": b"hello pack\n" * 1000,
        "empty.txt": b"",
    }
    items = [item_for(write(project / rel, data), rel) for rel, data in files.items()]
    main = write(staging / "shot.blend", b"BLENDER-v300" + b"main" * 50_000)
    items.append(item_for(main, "shot.blend", is_main=True))
    return SourceTree(project, items)


class SlowSource:
    """A FIFO fed at a steady pace: a 'large file' that is still being read when cancelled.

    Stands in for a big file on a slow share, so a test can cancel mid-file reliably.
    """

    def __init__(self, path: Path, chunk: int = 64 * 1024, pause_s: float = 0.002) -> None:
        os.mkfifo(path)
        self.path = path
        self._chunk = chunk
        self._pause = pause_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)
        data = b"x" * self._chunk
        try:
            while not self._stop.wait(self._pause):
                os.write(fd, data)
        except BrokenPipeError:
            pass  # the reader stopped: exactly what a cancel should do
        finally:
            os.close(fd)

    def stop(self) -> None:
        self._stop.set()
        # Unblock the writer's open() if no reader ever came.
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        self._thread.join(5)


@contextmanager
def mounted_tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A real small disk (a tmpfs of `size`, needs root); skips the test when it cannot be mounted."""
    import pytest

    mount_point.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
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
