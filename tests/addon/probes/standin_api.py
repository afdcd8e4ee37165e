# SPDX-License-Identifier: GPL-3.0-or-later
"""A slow, controllable stand-in for ``bat_core.api``, used only where a test must watch a job
run for seconds: the real-window probe (gui_modal.py) that checks the interface stays live and
a real ESC cancels. Every other add-on test packs with the real core.

It does real, simple work on real files: the dependencies are listed by Blender itself in
``<blend>.deps.json`` (written by common.make_production from bpy.data), existing ones are
copied into a directory or a ZIP (DELAY seconds each), missing ones are reported.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import PKG

DELAY = 0.0  # seconds per copied file; the GUI probe slows the copy down to watch it run

progress = importlib.import_module(f"{PKG}.bat_core.progress")
errors = importlib.import_module(f"{PKG}.bat_core.errors")


@dataclass(frozen=True)
class PackOptions:
    blend: Path
    target: str
    project: Path | None = None
    exclude: tuple[str, ...] = ()
    relative_only: bool = False
    noop: bool = False
    compress: bool = False
    strict: bool = False
    verify: bool = False
    shaman_token: str | None = None
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    cache_dir: Path | None = None


@dataclass(frozen=True)
class PackResult:
    target: str
    files_total: int
    bytes_total: int
    uploaded_files: int
    uploaded_bytes: int
    missing: tuple[str, ...]
    checkout_path: str | None
    main_blend_in_pack: str
    report: dict[str, Any]


@dataclass(frozen=True)
class Dependency:
    path: str
    owner: str


@dataclass(frozen=True)
class TraceResult:
    dependencies: tuple[Dependency, ...]
    missing: tuple[Dependency, ...]
    outside_project: tuple[Dependency, ...]
    absolute: tuple[Dependency, ...]


def _log(kind: str, values: dict[str, Any]) -> None:
    with open(os.environ["BAT_STANDIN_LOG"], "a", encoding="utf-8") as f:
        f.write(json.dumps({"call": kind, **values}, default=str) + "\n")


def _deps(blend: Path) -> list[Dependency]:
    listed = json.loads(blend.with_suffix(".deps.json").read_text(encoding="utf-8"))
    return [Dependency(d["path"], d["owner"]) for d in listed]


def _on_disk(blend: Path, dep: Dependency) -> Path:
    return blend.parent / dep.path[2:] if dep.path.startswith("//") else Path(dep.path)


def _in_pack(dep: Dependency) -> str:
    """Where a dependency goes in the pack: its relative place, or _outside/ for the rest."""
    rel = dep.path[2:] if dep.path.startswith("//") else ""
    return rel if rel and not rel.startswith("../") else f"_outside/{Path(dep.path).name}"


def _pause(cancel: Any) -> None:
    """Wait DELAY seconds in small steps, checking cancel like an uploader between chunks."""
    import time

    end = time.monotonic() + DELAY
    while time.monotonic() < end:
        cancel.raise_if_cancelled()
        time.sleep(0.02)


def pack(options: PackOptions, listener: Any, cancel: Any) -> PackResult:
    _log("pack", dataclasses.asdict(options))
    deps = _deps(options.blend)
    present = [d for d in deps if _on_disk(options.blend, d).exists()]
    missing = tuple(d.path for d in deps if d not in present)
    files = [(options.blend, options.blend.name)] + [(_on_disk(options.blend, d), _in_pack(d)) for d in present]
    total = sum(src.stat().st_size for src, _ in files)
    listener(progress.ProgressEvent(progress.Stage.TRACE, f"{len(deps)} dependencies", files_total=len(files)))
    if options.target.startswith(("shaman", "s3")) or options.noop:
        fragment = options.target.partition("#")[2]
        return PackResult(options.target, len(files), total, 0, 0, missing, fragment or None, options.blend.name, {})
    target = Path(options.target)
    if target.is_file() and target.suffix != ".zip":
        raise errors.PackError(f"{target}: exists and is a file, not a directory")
    done = 0
    archive = zipfile.ZipFile(target, "w") if target.suffix == ".zip" else None
    try:
        for index, (src, rel) in enumerate(files):
            cancel.raise_if_cancelled()
            if archive is not None:
                archive.write(src, rel)
            else:
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target / rel)
            done += src.stat().st_size
            _pause(cancel)
            event = progress.ProgressEvent(progress.Stage.TRANSFER, "", rel, index + 1, len(files), done, total)
            listener(event)
    finally:
        if archive is not None:
            archive.close()
    report = {"files": [rel for _, rel in files], "missing": list(missing)}
    return PackResult(str(target), len(files), total, 0, 0, missing, None, options.blend.name, report)


def check_dependencies(blend: Path, listener: Any, cancel: Any, project: Path | None = None) -> TraceResult:
    _log("check", {"blend": blend, "project": project})
    deps = _deps(blend)
    root = project or blend.parent
    listener(progress.ProgressEvent(progress.Stage.TRACE, "traced", files_done=len(deps), files_total=len(deps)))
    return TraceResult(
        dependencies=tuple(deps),
        missing=tuple(d for d in deps if not _on_disk(blend, d).exists()),
        outside_project=tuple(d for d in deps if not _on_disk(blend, d).resolve().is_relative_to(root.resolve())),
        absolute=tuple(d for d in deps if not d.path.startswith("//")),
    )
