# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a copy of a .blend with some fixed-size fields replaced, byte for byte otherwise.

The copy is streamed chunk by chunk (never the whole file in memory), compressed the way its
source was, written under a temporary name and renamed into place, so a crash never leaves a
half-written file under the final name. The source file is only read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import RewriteError
from .file import FieldEdit, RawBlend
from .source import Compression, compressor_for

_KERNEL_COPY = hasattr(os, "copy_file_range")  # Linux


def check_edits(edits: Sequence[FieldEdit], size: int, source: Path) -> list[FieldEdit]:
    ordered = sorted(edits, key=lambda e: e.offset)
    previous_end = 0
    for edit in ordered:
        if edit.offset < previous_end:
            raise RewriteError(f"{source}: overlapping edits at byte {edit.offset}")
        if edit.offset < 0 or edit.size < 0 or edit.offset + edit.size > size:
            raise RewriteError(f"{source}: edit at byte {edit.offset} lies outside the file")
        previous_end = edit.offset + edit.size
    return ordered


def edited_chunks(blend: RawBlend, edits: Sequence[FieldEdit]) -> Iterator[bytes | bytearray | memoryview]:
    """The decompressed content with edits applied, in order.

    An edit replaces ``size`` bytes at ``offset`` with its data, which may be longer or shorter
    (a resized block); everything else passes through untouched.
    """
    pending = check_edits(edits, blend.decompressed_size, blend.path)
    index = 0
    position = 0  # offset in the source of the chunk being emitted
    for chunk in blend.source.chunks():
        end = position + len(chunk)
        cursor = position  # source offset up to which this chunk has been handled
        view = memoryview(chunk)
        while index < len(pending) and pending[index].offset < end:
            edit = pending[index]
            if edit.offset >= cursor:
                if edit.offset > cursor:
                    yield view[cursor - position : edit.offset - position]
                yield edit.data
                cursor = edit.offset
            skip_to = edit.offset + edit.size
            if skip_to > end:
                cursor = end  # the edit runs on into the next chunk
                break
            cursor = max(cursor, skip_to)
            index += 1
        if cursor < end:
            yield view[cursor - position :]
        position = end


def write_rewritten_copy(
    blend: RawBlend, destination: Path, edits: Sequence[FieldEdit], compression: Compression | None = None
) -> int:
    """Write `blend` with `edits` applied to `destination`; returns the bytes written.

    The copy is compressed like its source unless `compression` says otherwise.
    """
    if destination.exists() and destination.resolve() == blend.path.resolve():
        raise RewriteError(f"{blend.path}: refusing to overwrite the source file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    compressor: Any = compressor_for(compression or blend.compression)
    fd, tmp_name = tempfile.mkstemp(prefix=".bat-", suffix=".tmp", dir=destination.parent)
    written = 0
    try:
        if compressor is None and blend.compression is Compression.NONE and _KERNEL_COPY:
            try:
                written = _copy_with_edits(blend, fd, edits)
            finally:
                os.close(fd)
            os.replace(tmp_name, destination)
            return written
        with os.fdopen(fd, "wb") as out:
            for chunk in edited_chunks(blend, edits):
                data = compressor.compress(bytes(chunk)) if compressor is not None else chunk
                out.write(data)
                written += len(data)
            if compressor is not None:
                tail = compressor.flush()
                out.write(tail)
                written += len(tail)
        os.replace(tmp_name, destination)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return written


def _copy_with_edits(blend: RawBlend, out: int, edits: Sequence[FieldEdit]) -> int:
    """An uncompressed copy: the kernel copies the unchanged spans file to file, only the edits
    pass through this process (half the memory traffic of reading and writing every byte)."""
    ordered = check_edits(edits, blend.decompressed_size, blend.path)
    written = 0
    with open(blend.path, "rb", buffering=0) as src:
        position = 0
        for edit in ordered:
            written += _copy_span(src.fileno(), out, position, edit.offset - position, blend.path)
            written += _write_all(out, edit.data)
            position = edit.offset + edit.size
        written += _copy_span(src.fileno(), out, position, blend.decompressed_size - position, blend.path)
    return written


def _copy_span(src: int, out: int, offset: int, count: int, path: Path) -> int:
    done = 0
    while done < count:
        try:
            n = os.copy_file_range(src, out, count - done, offset + done)
        except OSError:
            n = 0  # refused (another file system, an old kernel): copy it through this process
        if n == 0:
            data = os.pread(src, min(count - done, 1 << 24), offset + done)
            if not data:
                raise RewriteError(f"{path}: the file ended {count - done} bytes early while being copied")
            n = _write_all(out, data)
        done += n
    return done


def _write_all(out: int, data: bytes | bytearray | memoryview) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(out, view) :]
    return len(data)
