# SPDX-License-Identifier: GPL-3.0-or-later
"""The core's front door for the add-on and scripts: plain options in, plain results out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pack import PackRequest, PlanOptions, TargetSettings, build_report, run_pack
from .progress import CancelToken, ProgressListener, ignore_progress
from .trace import TraceOptions, TraceResult, trace
from .trace.report import write_json


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
    checkout_path: str | None = None
    checksum_cache: Path | None = None
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
            checksum_cache=options.checksum_cache,
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
    )
    outcome = run_pack(request, listener, cancel)
    report = build_report(request, outcome)
    if options.report is not None:
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


def check_dependencies(
    blend: Path,
    listener: ProgressListener = ignore_progress,
    cancel: CancelToken | None = None,
    all_library_data: bool = False,
) -> TraceResult:
    """Trace only: what is missing, outside the project, or absolute, with the datablocks that use it."""
    return trace(blend, TraceOptions(all_library_data=all_library_data), listener, cancel)
