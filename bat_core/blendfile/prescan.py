# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a large .blend's block headers in a helper process while the command line starts up.

``python -m bat_core pack`` spends its first 60 ms or so importing the core, on one core,
and the first thing the trace does after that is read every block header of the main file
(35 ms for the 77,000 blocks of the pack benchmark's shot, in a fresh process) before the
first reference is known and the first file can be copied. Right after parsing its
arguments, the command line forks a helper that does that scan meanwhile, on the other core,
and hands the header table back through a pipe; opening the file then takes the table
instead of scanning again.

Only where it is safe and worth it: a POSIX ``fork``, no other thread running yet (so only
from the command line, never inside Blender), and an uncompressed file of at least
``MIN_BYTES``. The table is taken only for the very file that was scanned (same device,
inode, size and modification time as the file being opened); anything else, the helper
failing or finding the file damaged included, means the file is scanned the usual way,
which reports problems as it always does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .blocks import BlockTable, scan_blocks
from .header import FileHeader
from .source import FileSource

MIN_BYTES = 4 << 20
_MAGIC = b"BATSCAN1"
# The table's columns as scan_blocks builds them, in the order they travel.
_TYPECODES = ("q", "I", "Q", "i", "q")  # offsets, codes, olds, sdna indices, sizes


class _Pending:
    def __init__(self, path: str, pid: int, fd: int) -> None:
        self.path = path
        self.pid = pid
        self.fd = fd


class _Slot:
    """The one scan this process may have going (the command line starts at most one)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: _Pending | None = None

    def take(self, path: str | None = None) -> _Pending | None:
        with self.lock:
            pending = self.pending
            if pending is None or (path is not None and pending.path != path):
                return None
            self.pending = None
            return pending


_slot = _Slot()


def start(path: Path, min_bytes: int | None = None) -> bool:
    """Fork a helper scanning ``path`` when that is possible and worth it; True if one started."""
    if not hasattr(os, "fork") or not _single_threaded() or _slot.pending is not None:
        return False
    text = os.path.abspath(path)
    try:
        st = os.stat(text)
        # A regular file only: opening a FIFO would wait for a writer.
        if not stat.S_ISREG(st.st_mode) or st.st_size < (MIN_BYTES if min_bytes is None else min_bytes):
            return False
        with open(text, "rb") as f:
            if f.read(7) != b"BLENDER":
                return False
    except (OSError, ValueError):
        return False
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return False
    if pid == 0:  # the helper: scan, write, leave without running anything of the parent's
        code = 1
        try:
            os.close(read_end)
            _scan_into(text, write_end)
            code = 0
        except BaseException:  # any failure only means the parent scans the file itself
            pass
        finally:
            os._exit(code)
    os.close(write_end)
    _slot.pending = _Pending(text, pid, read_end)
    return True


def _single_threaded() -> bool:
    """No other thread, Python's or native, that a fork could catch holding a lock."""
    if threading.active_count() > 1 or "bpy" in sys.modules:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return True  # no /proc (macOS): Python's own count is all there is to go on


def _scan_into(path: str, fd: int) -> None:
    from .file import RawBlend

    raw = RawBlend.open_raw(path)
    try:
        if not isinstance(raw.source, FileSource):
            return
        st = raw.source.stat()
        table = scan_blocks(raw.path, raw.source, raw.header)
    finally:
        raw.close()
    columns = (table.offsets, table.codes, table.olds, table.sdna_indices, table.sizes)
    if tuple(c.typecode for c in columns) != _TYPECODES:
        return
    head = b"%s %d %d %d %d %d\n" % (_MAGIC, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, len(table))
    with os.fdopen(fd, "wb") as out:
        out.write(head)
        for column in columns:
            out.write(memoryview(column).cast("B"))


def claim(path: Path, source: FileSource, header: FileHeader) -> BlockTable | None:
    """The helper's table for ``path``, open as ``source``, if it scanned exactly that file."""
    pending = _slot.take(os.path.abspath(path))
    if pending is None:
        return None
    try:
        with os.fdopen(pending.fd, "rb") as f:
            line = f.readline()
            parts = line.split()
            if len(parts) != 6 or parts[0] != _MAGIC:
                return None
            dev, ino, size, mtime_ns, count = (int(p) for p in parts[1:])
            st = source.stat()
            if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != (dev, ino, size, mtime_ns):
                return None
            columns: list[array[int]] = []
            for typecode in _TYPECODES:
                column = array(typecode)
                data = f.read(count * column.itemsize)
                if len(data) != count * column.itemsize:
                    return None
                column.frombytes(data)
                columns.append(column)
    except (OSError, ValueError):
        return None
    finally:
        _end(pending.pid)
    offsets, codes, olds, sdna_indices, sizes = columns
    return BlockTable(path, source, header, offsets, codes, olds, sdna_indices, sizes)


@contextmanager
def ahead(path: Path) -> Iterator[None]:
    """A scan of ``path`` started for the length of a command; one nobody took is discarded."""
    start(path)
    try:
        yield
    finally:
        discard()


def discard() -> None:
    """Drop a scan nobody took, at once (a command that failed early must not wait for it)."""
    pending = _slot.take()
    if pending is not None:
        with contextlib.suppress(OSError):
            os.close(pending.fd)
        _end(pending.pid)


def _end(pid: int) -> None:
    # The helper only reads, so stopping it wherever it is loses nothing; waiting for it to
    # finish scanning a large file would.
    with contextlib.suppress(OSError):
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, 0)
