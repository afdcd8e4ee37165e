# SPDX-License-Identifier: GPL-3.0-or-later
"""The core's front door for the add-on and scripts: plain options in, plain results out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pack import PackRequest, PlanOptions, TargetSettings, build_report, run_pack
from .progress import CancelToken, ProgressListener, ignore_progress
from .trace import TraceOptions, TraceResult, trace
from .trace.bpath import BlendPath


@dataclass(frozen=True)
class PackOptions:
    blend: Path
    target: str  # a folder, a path ending .zip, shaman://..., shaman+http://..., s3:/..., s3://...
    project: Path | None = None
    exclude: tuple[str, ...] = ()
    relative_only: bool = False
    noop: bool = False
    compress: bool = False
    strict: bool = False
    verify: bool = False
    all_library_data: bool = False
    report: Path | None = None
    workers: int = 4
    trace_jobs: int = 1  # processes walking libraries side by side (only where forking is safe)
    checkout_path: str | None = None
    checksum_cache: Path | None = None
    cache_dir: Path | None = None  # the add-on's name for checksum_cache
    shaman_token: str | None = None
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_dedupe: bool = False

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return f"PackOptions(blend={self.blend!r}, target={self.target!r}, noop={self.noop}, strict={self.strict})"


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


def pack(
    options: PackOptions, listener: ProgressListener = ignore_progress, cancel: CancelToken | None = None
) -> PackResult:
    request = PackRequest(
        blend=Path(options.blend),
        target=options.target,
        plan=PlanOptions(project=options.project, exclude=tuple(options.exclude), relative_only=options.relative_only),
        settings=TargetSettings(
            shaman_token=options.shaman_token,
            checkout_path=options.checkout_path,
            checksum_cache=options.checksum_cache or options.cache_dir,
            s3_endpoint=options.s3_endpoint,
            s3_region=options.s3_region,
            s3_access_key=options.s3_access_key,
            s3_secret_key=options.s3_secret_key,
            s3_dedupe=options.s3_dedupe,
            workers=options.workers,
        ),
        noop=options.noop,
        compress=options.compress,
        strict=options.strict,
        verify=options.verify,
        all_library_data=options.all_library_data,
        trace_jobs=options.trace_jobs,
    )
    outcome = run_pack(request, listener, cancel)
    report = build_report(request, outcome)
    if options.report is not None:
        from .trace.report import write_json

        write_json(report, options.report)
    return PackResult(
        target=str(report["target"]),
        files_total=int(report["total_files"]),
        bytes_total=int(report["total_bytes"]),
        uploaded_files=int(report["uploaded_files"]),
        uploaded_bytes=int(report["uploaded_bytes"]),
        missing=tuple(report["missing"]),
        checkout_path=report.get("checkout_path"),
        main_blend_in_pack=str(report.get("main_blend_in_checkout") or report["main_blend"]),
        report=report,
    )


@dataclass(frozen=True)
class DependencyItem:
    path: str
    owners: tuple[str, ...]  # "IM:wood in shot.blend", ...


@dataclass(frozen=True)
class DependencyCheck:
    """A trace sorted the way an artist looks at it before sending a job."""

    blend: str
    files_total: int
    dependencies: tuple[DependencyItem, ...]
    missing: tuple[DependencyItem, ...]
    outside_project: tuple[DependencyItem, ...]
    absolute: tuple[DependencyItem, ...]
    report: dict[str, Any]
    trace: TraceResult


def check_dependencies(
    blend: Path,
    listener: ProgressListener = ignore_progress,
    cancel: CancelToken | None = None,
    project: Path | None = None,
    all_library_data: bool = False,
) -> DependencyCheck:
    """Trace only: what is missing, outside the project, or absolute, with the datablocks that use it."""
    result = trace(blend, TraceOptions(all_library_data=all_library_data), listener, cancel)
    root = Path(os.path.normpath(Path(project or result.main.parent).absolute()))
    groups: dict[str, dict[str, list[str]]] = {"all": {}, "missing": {}, "outside": {}, "absolute": {}}
    for ref in result.references:
        if ref.packed or ref.anchor_only:
            continue
        owner = ref.owner.describe()
        paths = [str(f) for f in ref.files] or [str(ref.resolved)]
        for p in paths:
            groups["all"].setdefault(p, []).append(owner)
            if root not in Path(p).parents:
                groups["outside"].setdefault(p, []).append(owner)
        if ref.missing:
            groups["missing"].setdefault(str(ref.resolved), []).append(owner)
        if BlendPath(ref.stored).is_absolute:
            groups["absolute"].setdefault(BlendPath(ref.stored).text(), []).append(owner)

    def items(name: str) -> tuple[DependencyItem, ...]:
        return tuple(DependencyItem(p, tuple(sorted(set(o)))) for p, o in sorted(groups[name].items()))

    return DependencyCheck(
        blend=str(result.main),
        files_total=len(result.files()),
        dependencies=items("all"),
        missing=items("missing"),
        outside_project=items("outside"),
        absolute=items("absolute"),
        report=_detailed(result),
        trace=result,
    )


def _detailed(result: TraceResult) -> dict[str, Any]:
    # The report module (json, tempfile) is loaded only by the commands that write reports.
    from .trace.report import detailed

    return detailed(result)
