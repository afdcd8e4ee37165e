# SPDX-License-Identifier: GPL-3.0-or-later
"""The pack pipeline: trace -> plan -> rewrite -> transfer (-> verify), each step's result handed on."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError, PackError
from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage, ignore_progress
from ..trace import TraceOptions, trace
from ..trace.bpath import BlendPath
from ..trace.model import Reference
from ..trace.tracer import normalize
from ..transfer.directory import DirectoryTarget
from ..transfer.early import EarlyCopies
from ..transfer.engine import TransferResult, run_transfer
from ..transfer.target import Target, TransferItem
from .layout import project_place
from .plan import PackPlan, PlanOptions, excluded, make_plan, project_root
from .stage import StagedBlend, stage_blends
from .targets import TargetSettings, open_target, result_info, target_kind


@dataclass(frozen=True)
class PackRequest:
    blend: Path
    target: str
    plan: PlanOptions = field(default_factory=PlanOptions)
    settings: TargetSettings = field(default_factory=TargetSettings)
    noop: bool = False
    compress: bool = False
    strict: bool = False
    verify: bool = False
    all_library_data: bool = False
    trace_jobs: int = 1


@dataclass(frozen=True)
class PackOutcome:
    plan: PackPlan
    transfer: TransferResult | None
    staged: dict[Path, StagedBlend]
    target_info: dict[str, Any]
    verified: bool


def run_pack(
    request: PackRequest, listener: ProgressListener = ignore_progress, cancel: CancelToken | None = None
) -> PackOutcome:
    if not request.noop and target_kind(request.target) == "directory":
        DirectoryTarget(Path(request.target)).check_root()
    early = _early_copies(request, cancel)
    try:
        return _run_pack(request, listener, cancel, early)
    finally:
        if early is not None:
            early.close()


def _early_copies(request: PackRequest, cancel: CancelToken | None) -> EarlyCopies | None:
    """Copies started while tracing, for a folder target; none for a dry run, or with --strict,
    which must fail before anything is written."""
    if request.noop or request.strict or target_kind(request.target) != "directory":
        return None
    target = open_target(request.target, request.settings, "")
    assert isinstance(target, DirectoryTarget)
    early = EarlyCopies(target, cancel=cancel)
    target.early = early
    return early


def _early_offers(request: PackRequest, early: EarlyCopies) -> Callable[[Reference], None]:
    """The tracer's callback: offer each file whose place in the pack is already certain."""
    project = project_root(normalize(request.blend), request.plan)
    patterns = request.plan.exclude

    def offer(ref: Reference) -> None:
        # Libraries get rewritten; a file reached only by an absolute path may stay out with
        # --relative-only: the plan decides those.
        if ref.packed or not ref.files or ref.kind == "library":
            return
        if request.plan.relative_only and ref.location is not None and not BlendPath(ref.stored).is_blend_relative:
            return
        for path, size in zip(ref.files, ref.sizes or (None,) * len(ref.files), strict=True):
            # The size test first: it turns away nearly every file (thousands of small textures).
            if not early.big_enough(path, size) or path.suffix.lower() == ".blend":
                continue
            place = project_place(path, project)
            if place is None or excluded(path, patterns):
                continue
            early.offer(path, place)

    return offer


def _run_pack(
    request: PackRequest, listener: ProgressListener, cancel: CancelToken | None, early: EarlyCopies | None
) -> PackOutcome:
    options = TraceOptions(all_library_data=request.all_library_data, jobs=request.trace_jobs)
    offers = _early_offers(request, early) if early is not None else None
    result = trace(request.blend, options, listener, cancel, on_reference=offers)
    plan = make_plan(result, request.plan)
    listener(
        ProgressEvent(
            Stage.PLAN,
            message=f"{len(plan.files)} files, {plan.total_bytes} bytes, "
            f"{len(plan.missing)} missing, {len(plan.lint)} warnings",
            files_total=len(plan.files),
            bytes_total=plan.total_bytes,
        )
    )
    for issue in plan.lint:
        listener(ProgressEvent(Stage.PLAN, message=f"warning: {issue.code}: {issue.message}", current_file=issue.path))
    if request.strict and plan.missing:
        shown = ", ".join(str(p) for p in plan.missing[:5])
        more = f" and {len(plan.missing) - 5} more" if len(plan.missing) > 5 else ""
        raise MissingDependencyError(f"{request.blend}: {len(plan.missing)} dependencies are missing: {shown}{more}")
    if request.noop:
        return PackOutcome(plan, None, {}, {}, False)

    # Into a folder target, the rewritten .blend files are written next to the early copies and
    # renamed into place like them; elsewhere they wait in a temporary folder.
    staging = early.staging_folder() if early is not None else Path(tempfile.mkdtemp(prefix="bat-staging-"))
    try:
        staged = stage_blends(plan, staging, request.compress, listener, cancel)
        if early is not None:
            for blend in staged.values():
                early.adopt(blend.pack_path, blend.staged)
        items = [
            TransferItem(
                source=staged[f.source].staged if f.source in staged else f.source,
                pack_path=f.pack_path,
                size=staged[f.source].size if f.source in staged else f.size,
                is_main=f.is_main,
            )
            for f in plan.files
        ]
        if early is not None:
            target: Target = early.target
        else:
            target = open_target(request.target, request.settings, plan.main_pack_path)
        transfer = run_transfer(items, target, workers=request.settings.workers, listener=listener, cancel=cancel)
        info = result_info(target)
        verified = False
        if request.verify:
            _verify(request, plan, items, listener)
            verified = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    listener(
        ProgressEvent(
            Stage.DONE,
            message="done",
            files_done=transfer.files_total,
            files_total=transfer.files_total,
            bytes_done=transfer.bytes_total,
            bytes_total=transfer.bytes_total,
        )
    )
    return PackOutcome(plan, transfer, staged, info, verified)


def _verify(request: PackRequest, plan: PackPlan, items: list[TransferItem], listener: ProgressListener) -> None:
    """Re-trace the packed main file; every dependency must resolve inside the pack."""
    kind = target_kind(request.target)
    scratch = Path(tempfile.mkdtemp(prefix="bat-verify-"))
    try:
        if kind == "directory":
            root = Path(request.target)
        elif kind == "zip":
            root = scratch / "pack"
            import zipfile

            with zipfile.ZipFile(request.target) as zf:
                zf.extractall(root)
        else:
            # Remote targets: lay out what was sent, as links, and check the rewritten paths there.
            root = scratch / "pack"
            for item in items:
                place = root / item.pack_path
                place.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(item.source.absolute(), place)
        listener(ProgressEvent(Stage.VERIFY, message=f"re-tracing {plan.main_pack_path}"))
        again = trace(root / plan.main_pack_path)
        root_abs = Path(os.path.normpath(root.absolute()))
        allowed_outside = {s.source for s in plan.skipped}
        outside = [
            f
            for ref in again.references
            if not ref.packed
            for f in ref.files
            if root_abs not in Path(os.path.normpath(f)).parents and f not in allowed_outside
        ]
        if outside:
            raise PackError(f"verify: {len(outside)} dependencies resolve outside the pack, e.g. {outside[0]}")
        if len(again.missing()) > len(plan.missing):
            new = [str(m) for m in again.missing()][:3]
            raise PackError(f"verify: the packed file misses {len(again.missing())} files, e.g. {', '.join(new)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def build_report(request: PackRequest, outcome: PackOutcome) -> dict[str, Any]:
    plan = outcome.plan
    changes = {b: len(c) for b, c in plan.changes.items()}
    files: list[dict[str, Any]] = []
    for f in plan.files:
        staged = outcome.staged.get(f.source)
        files.append(
            {
                "source": str(f.source),
                "pack_path": f.pack_path,
                "bytes": staged.size if staged else f.size,
                "kind": f.kind,
                "rewritten_paths": changes.get(f.source, 0) if f.is_blend else 0,
            }
        )
    transfer = outcome.transfer
    report: dict[str, Any] = {
        "main": str(plan.main),
        "project": str(plan.project),
        "target": request.target if target_kind(request.target) in ("directory", "zip") else _redacted(request.target),
        "main_blend": plan.main_pack_path,
        "dry_run": request.noop,
        "files": files,
        "skipped": [{"source": str(s.source), "reason": s.reason} for s in plan.skipped],
        "missing": [str(m) for m in plan.missing],
        "lint": [{"code": i.code, "path": i.path, "message": i.message} for i in plan.lint],
        "total_files": len(files),
        "total_bytes": sum(int(f["bytes"]) for f in files),
        "uploaded_files": transfer.files_sent if transfer else 0,
        "uploaded_bytes": transfer.bytes_sent if transfer else 0,
        "seconds": round(transfer.seconds, 3) if transfer else 0.0,
        "verified": outcome.verified,
        "absolute_paths_kept": [
            BlendPath(r.stored).text()
            for r in plan.trace.references
            if r.blend in plan.changes
            and BlendPath(r.stored).is_absolute
            and r.location is not None
            and not any(c.reference is r for c in plan.changes[r.blend])
        ],
    }
    report.update(outcome.target_info)
    return report


def _redacted(target: str) -> str:
    """Targets are URLs; credentials never belong in a report."""
    if "@" in target.split("/")[2 if "://" in target else 1]:
        scheme, rest = target.split("://", 1) if "://" in target else ("", target)
        rest = rest.split("@", 1)[1]
        return f"{scheme}://{rest}" if scheme else rest
    return target
