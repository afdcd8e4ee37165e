# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the packed .blend copies, with their paths rewritten, into a staging folder.

Byte-level: each stored path is replaced in place (char arrays) or its string block is
replaced (``char *`` strings may grow); nothing is re-saved through Blender, and the user's
files are only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..blendfile import FieldEdit, RawBlend, write_rewritten_copy
from ..blendfile.source import Compression
from ..errors import PackError, RewriteError
from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage
from .plan import PackPlan, PathChange


@dataclass(frozen=True)
class StagedBlend:
    source: Path
    staged: Path
    pack_path: str
    size: int
    changes: int


def edits_for(bf: RawBlend, changes: tuple[PathChange, ...]) -> list[FieldEdit]:
    edits: list[FieldEdit] = []
    for change in changes:
        loc = change.reference.location
        assert loc is not None
        if loc.is_pointer_string:
            block = bf.block_with_data_at(loc.offset)
            if block is None:
                raise PackError(
                    f"{bf.path}: no string block at byte {loc.offset} for {change.reference.owner.describe()}"
                )
            edits.extend(bf.replace_block_edits(block, change.new + b"\0"))
            continue
        if len(change.new) + 1 > loc.size:
            raise PackError(
                f"{bf.path}: new path for {change.reference.owner.describe()} ({len(change.new)} bytes) does not fit "
                f"{change.reference.struct}.{change.reference.field} ({loc.size - 1} bytes); move the project closer "
                "to its files or shorten folder names"
            )
        edits.append(FieldEdit(loc.offset, loc.size, change.new.ljust(loc.size, b"\0")))
    return edits


def stage_blends(
    plan: PackPlan, staging: Path, compress: bool, listener: ProgressListener, cancel: CancelToken | None
) -> dict[Path, StagedBlend]:
    """Rewrite every packed .blend that needs it; returns source -> staged copy."""
    staged: dict[Path, StagedBlend] = {}
    blends = plan.blend_files()
    for done, planned in enumerate(blends):
        if cancel is not None:
            cancel.raise_if_cancelled()
        changes = plan.changes.get(planned.source, ())
        if not changes and not compress:
            continue
        listener(
            ProgressEvent(
                Stage.REWRITE,
                message=f"rewriting {len(changes)} paths",
                current_file=planned.pack_path,
                files_done=done,
                files_total=len(blends),
            )
        )
        out = staging / planned.pack_path
        try:
            # The trace read these files this run; only the bytes and the edited blocks are needed.
            with RawBlend.open_raw(planned.source) as bf:
                edits = edits_for(bf, changes)
                write_rewritten_copy(bf, out, edits, compression=Compression.ZSTD if compress else None)
        except RewriteError as exc:
            raise PackError(str(exc)) from exc
        staged[planned.source] = StagedBlend(planned.source, out, planned.pack_path, out.stat().st_size, len(changes))
    listener(ProgressEvent(Stage.REWRITE, message="rewritten", files_done=len(blends), files_total=len(blends)))
    return staged
