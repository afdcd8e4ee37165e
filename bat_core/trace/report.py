# SPDX-License-Identifier: GPL-3.0-or-later
"""A trace as JSON: the reference tool's compact shape, and our detailed report."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .bpath import BlendPath
from .model import Expansion, Reference, TraceResult


def compact(result: TraceResult) -> dict[str, list[str]]:
    """{blend: sorted absolute paths it depends on}, the shape ``bat list --json`` has always had."""
    return {str(blend): [str(p) for p in files] for blend, files in result.files_by_blend().items()}


def reference_entry(ref: Reference) -> dict[str, Any]:
    return {
        "blend": str(ref.blend),
        "owner": {"type": ref.owner.id_code, "name": ref.owner.name, "blend": str(ref.owner.blend)},
        "struct": ref.struct,
        "field": ref.field,
        "stored": BlendPath(ref.stored).text(),
        "resolved": str(ref.resolved),
        "kind": ref.kind,
        "expansion": ref.expansion.value,
        "is_sequence": ref.expansion in (Expansion.SEQUENCE, Expansion.FILE_LIST, Expansion.POINT_CACHE),
        "is_udim": ref.expansion is Expansion.UDIM,
        "is_directory": ref.expansion is Expansion.DIRECTORY,
        "files": [{"path": str(f), "size": _size(f)} for f in ref.files],
        "exists": not ref.missing,
        "size": ref.size,
        "packed": ref.packed,
        "computed_path": ref.location is None,
        "details": dict(ref.details),
    }


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def detailed(result: TraceResult) -> dict[str, Any]:
    files = result.files()
    missing = result.missing()
    return {
        "main": str(result.main),
        "blend_files": [str(b) for b in result.blends],
        "dependencies": [reference_entry(r) for r in result.references],
        "missing": [str(p) for p in missing],
        "missing_datablocks": [
            {"library": str(m.library), "name": m.name, "needed_by": str(m.needed_by)}
            for m in result.missing_datablocks
        ],
        "packed": sorted({str(r.resolved) for r in result.references if r.packed}),
        "problems": list(result.problems),
        "totals": {"files": len(files), "bytes": sum(_size(f) for f in files), "missing": len(missing)},
    }


def write_json(data: Any, out: Path) -> None:
    """Write JSON atomically: a reader never sees half a report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".bat-report-", suffix=".json", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
