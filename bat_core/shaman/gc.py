# SPDX-License-Identifier: GPL-3.0-or-later
"""Garbage collection of the file store: delete old blobs that no checkout links to.

Two steps, so a caller (or a test) can look at the plan before anything is deleted:
``plan_garbage_collection`` finds old, unreferenced blobs; ``collect_garbage`` re-checks
each one and deletes those whose mtime did not move in between (a requirements call or a
checkout touches blobs it wants to keep).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from .store import FileStore


@dataclass(frozen=True)
class GcCandidate:
    path: Path
    mtime: float


@dataclass(frozen=True)
class GcPlan:
    candidates: tuple[GcCandidate, ...]
    old_but_linked: int


@dataclass(frozen=True)
class GcResult:
    deleted: tuple[Path, ...]
    kept_because_touched: tuple[Path, ...]
    bytes_freed: int


def plan_garbage_collection(
    store: FileStore, jobs_root: Path, max_age_seconds: float, now: float | None = None
) -> GcPlan:
    """Old blobs (mtime before now - max_age) not reached by any symlink under ``jobs_root``."""
    threshold = (time.time() if now is None else now) - max_age_seconds
    old: dict[str, GcCandidate] = {}
    for dirpath, _dirs, names in os.walk(store.stored_root):
        for name in names:
            if not name.endswith(".blob"):
                continue
            path = Path(dirpath, name)
            try:
                mtime = path.lstat().st_mtime
            except FileNotFoundError:
                continue
            if mtime < threshold:
                # Compare resolved paths on both sides: a storage path that goes through a
                # symlink must not make linked blobs look unreferenced (Flamenco's W13).
                old[os.path.realpath(path)] = GcCandidate(path, mtime)
    linked = 0
    for dirpath, dirs, names in os.walk(jobs_root):
        for name in (*names, *dirs):
            entry = os.path.join(dirpath, name)
            if not os.path.islink(entry):
                continue
            if old.pop(os.path.realpath(entry), None) is not None:
                linked += 1
    return GcPlan(tuple(old.values()), linked)


def collect_garbage(store: FileStore, plan: GcPlan) -> GcResult:
    """Delete the planned blobs unless their mtime moved since planning."""
    deleted: list[Path] = []
    kept: list[Path] = []
    freed = 0
    for candidate in plan.candidates:
        try:
            st = candidate.path.lstat()
        except FileNotFoundError:
            continue
        if st.st_mtime != candidate.mtime:
            kept.append(candidate.path)
            continue
        store.remove_blob(candidate.path)
        deleted.append(candidate.path)
        freed += st.st_size
    return GcResult(tuple(deleted), tuple(kept), freed)
