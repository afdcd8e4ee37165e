# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan a pack: which file goes where, and which stored paths change in which .blend.

Pure: reads the trace (and file sizes), writes nothing. A dry run is a plan printed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import PackError
from ..trace import Reference, TraceResult
from ..trace.bpath import BlendPath, relative_blend_path
from .layout import PackLayout
from .lint import LintIssue, lint_pack_paths


@dataclass(frozen=True)
class PlannedFile:
    source: Path
    pack_path: str
    size: int
    kind: str
    is_blend: bool = False
    is_main: bool = False


@dataclass(frozen=True)
class SkippedFile:
    source: Path
    reason: str  # "excluded" or "absolute path (--relative-only)"


@dataclass(frozen=True)
class PathChange:
    """A stored path to replace in one packed .blend."""

    reference: Reference
    new: bytes


@dataclass(frozen=True)
class PackPlan:
    main: Path
    project: Path
    main_pack_path: str
    files: tuple[PlannedFile, ...]
    skipped: tuple[SkippedFile, ...]
    missing: tuple[Path, ...]
    changes: dict[Path, tuple[PathChange, ...]]  # per .blend source
    lint: tuple[LintIssue, ...]
    trace: TraceResult

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def blend_files(self) -> list[PlannedFile]:
        return [f for f in self.files if f.is_blend]


@dataclass(frozen=True)
class PlanOptions:
    project: Path | None = None
    exclude: tuple[str, ...] = ()
    relative_only: bool = False


def excluded(path: Path, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    import fnmatch

    text = path.as_posix()
    return any(fnmatch.fnmatchcase(text, p) or fnmatch.fnmatchcase(path.name, p) for p in patterns)


def project_root(main: Path, options: PlanOptions) -> Path:
    """The folder whose layout the pack keeps: ``--project``, or the main .blend's folder."""
    return Path(os.path.normpath((options.project or main.parent).absolute()))


def _size(path: Path, known: dict[Path, int]) -> int:
    hit = known.get(path)
    if hit is not None:
        return hit
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _sizes_seen(trace: TraceResult) -> dict[Path, int]:
    """File sizes the trace found (it looked at each file anyway)."""
    return {f: size for ref in trace.references if ref.sizes for f, size in zip(ref.files, ref.sizes, strict=True)}


def _reference_target(ref: Reference) -> Path:
    """The local path a stored path names (a file, a folder, or a pattern with <UDIM>)."""
    return ref.resolved


def make_plan(trace: TraceResult, options: PlanOptions) -> PackPlan:
    main = trace.main
    project = project_root(main, options)
    if project not in main.parents:
        raise PackError(f"{main}: the .blend is not inside the project folder {project}")

    eligible: dict[Path, str] = {}  # file -> kind
    skipped: dict[Path, str] = {}
    blends = [b for b in trace.blends]
    for blend in blends:
        if blend != main and excluded(blend, options.exclude):
            skipped[blend] = "excluded"
    for ref in trace.references:
        if ref.packed or (ref.missing and not ref.files):
            continue
        absolute_ref = not BlendPath(ref.stored).is_blend_relative and ref.location is not None
        for f in ref.files:
            if excluded(f, options.exclude):
                skipped.setdefault(f, "excluded")
            elif options.relative_only and absolute_ref:
                skipped.setdefault(f, "absolute path (--relative-only)")
            else:
                eligible.setdefault(f, ref.kind)
    for f in eligible:
        skipped.pop(f, None)
    for blend in blends:
        if blend in skipped:
            eligible.pop(blend, None)
        elif blend != main and blend not in eligible:
            # A library reached only through excluded or absolute references stays where it is.
            skipped.setdefault(blend, "not packed")

    anchors = [ref.resolved for ref in trace.references if not ref.packed and ref.location is not None]
    layout = PackLayout(project, [main, *eligible, *anchors])
    known = _sizes_seen(trace)
    files: list[PlannedFile] = [PlannedFile(main, layout.place(main), _size(main, known), "blend", True, True)]
    blend_set = set(blends)
    # Sorted by parts, which is how Paths compare, without a Path comparison per step.
    for path, kind in sorted(eligible.items(), key=lambda item: item[0].parts):
        if path == main:
            continue
        files.append(PlannedFile(path, layout.place(path), _size(path, known), kind, path in blend_set))
    placed = {f.source: f.pack_path for f in files}

    changes: dict[Path, list[PathChange]] = {f.source: [] for f in files if f.is_blend}
    for ref in trace.references:
        if ref.blend not in changes or ref.packed or ref.location is None:
            continue
        new = _new_stored(ref, layout, placed, skipped)
        if new is not None and new != ref.stored:
            changes[ref.blend].append(PathChange(ref, new))

    missing = tuple(trace.missing())
    changed = {id(c.reference) for cs in changes.values() for c in cs}
    remaining_absolute = [
        LintIssue(
            "absolute-path",
            str(ref.resolved),
            f"{ref.owner.describe()} keeps an absolute path {BlendPath(ref.stored).text()!r}",
        )
        for ref in trace.references
        if ref.blend in changes
        and not ref.packed
        and ref.location is not None
        and BlendPath(ref.stored).is_absolute
        and id(ref) not in changed
    ]
    lint = tuple(lint_pack_paths(f.pack_path for f in files)) + tuple(remaining_absolute)
    return PackPlan(
        main=main,
        project=project,
        main_pack_path=placed[main],
        files=tuple(files),
        skipped=tuple(SkippedFile(p, why) for p, why in sorted(skipped.items())),
        missing=missing,
        changes={b: tuple(c) for b, c in changes.items()},
        lint=lint,
        trace=trace,
    )


def _new_stored(ref: Reference, layout: PackLayout, placed: dict[Path, str], skipped: dict[Path, str]) -> bytes | None:
    """The stored path a packed copy of ref.blend needs, or None to leave it as it is."""
    if ref.missing and not ref.files:
        return None
    if not ref.files and not ref.anchor_only:
        return None
    packed_files = [f for f in ref.files if f in placed]
    if ref.files and not packed_files:
        # Nothing of it goes into the pack: keep it reachable from where the pack is opened.
        if BlendPath(ref.stored).is_blend_relative:
            return os.fsencode(str(ref.resolved))
        return None
    blend_place = placed.get(ref.blend)
    if blend_place is None:
        return None
    target = layout.place(_reference_target(ref))
    new = relative_blend_path(target, blend_place.rpartition("/")[0])
    # Folders keep their trailing separator: Blender joins file names onto them.
    if ref.stored.endswith((b"/", b"\\")) and not new.endswith(b"/"):
        new += b"/"
    return new
