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
from .file import BlendFile, FieldEdit
from .source import compressor_for


def check_edits(edits: Sequence[FieldEdit], size: int, source: Path) -> list[FieldEdit]:
    ordered = sorted(edits, key=lambda e: e.offset)
    previous_end = 0
    for edit in ordered:
        if len(edit.data) != edit.size:
            raise RewriteError(f"{source}: edit at byte {edit.offset} has {len(edit.data)} bytes for {edit.size}")
        if edit.offset < previous_end:
            raise RewriteError(f"{source}: overlapping edits at byte {edit.offset}")
        if edit.offset < 0 or edit.offset + edit.size > size:
            raise RewriteError(f"{source}: edit at byte {edit.offset} lies outside the file")
        previous_end = edit.offset + edit.size
    return ordered


def edited_chunks(blend: BlendFile, edits: Sequence[FieldEdit]) -> Iterator[bytes | bytearray | memoryview]:
    """The decompressed content with edits applied, in order."""
    pending = check_edits(edits, blend.decompressed_size, blend.path)
    position = 0
    for chunk in blend.source.chunks():
        end = position + len(chunk)
        if pending and pending[0].offset < end:
            patched = bytearray(chunk)
            while pending and pending[0].offset < end:
                edit = pending[0]
                lo = max(edit.offset, position)
                hi = min(edit.offset + edit.size, end)
                patched[lo - position : hi - position] = edit.data[lo - edit.offset : hi - edit.offset]
                if edit.offset + edit.size <= end:
                    pending.pop(0)
                else:
                    break
            yield patched
        else:
            yield chunk
        position = end


def write_rewritten_copy(blend: BlendFile, destination: Path, edits: Sequence[FieldEdit]) -> int:
    """Write `blend` with `edits` applied to `destination`; returns the bytes written."""
    if destination.exists() and destination.resolve() == blend.path.resolve():
        raise RewriteError(f"{blend.path}: refusing to overwrite the source file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    compressor: Any = compressor_for(blend.compression)
    fd, tmp_name = tempfile.mkstemp(prefix=".bat-", suffix=".tmp", dir=destination.parent)
    written = 0
    try:
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
