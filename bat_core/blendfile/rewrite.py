# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a copy of a .blend with some fixed-size fields replaced, byte for byte otherwise.

The copy is compressed the way its source was, written under a temporary name and renamed
into place, so a crash never leaves a half-written file under the final name. The source
file is only read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import RewriteError
from .compression import compress
from .file import BlendFile, FieldEdit


def apply_edits(content: bytearray, edits: Sequence[FieldEdit], source: Path) -> None:
    ordered = sorted(edits, key=lambda e: e.offset)
    previous_end = 0
    for edit in ordered:
        if len(edit.data) != edit.size:
            raise RewriteError(
                f"{source}: edit at byte {edit.offset} has {len(edit.data)} bytes for {edit.size}"
            )
        if edit.offset < previous_end:
            raise RewriteError(f"{source}: overlapping edits at byte {edit.offset}")
        if edit.offset < 0 or edit.offset + edit.size > len(content):
            raise RewriteError(f"{source}: edit at byte {edit.offset} lies outside the file")
        content[edit.offset : edit.offset + edit.size] = edit.data
        previous_end = edit.offset + edit.size


def write_rewritten_copy(blend: BlendFile, destination: Path, edits: Sequence[FieldEdit]) -> int:
    """Write `blend` with `edits` applied to `destination`; returns the bytes written."""
    if destination.resolve() == blend.path.resolve():
        raise RewriteError(f"{blend.path}: refusing to overwrite the source file")
    content = bytearray(blend.raw)
    apply_edits(content, edits, blend.path)
    payload = compress(content, blend.compression)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".bat-", suffix=".tmp", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
        os.replace(tmp_name, destination)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return len(payload)
