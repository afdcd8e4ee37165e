# SPDX-License-Identifier: GPL-3.0-or-later
"""``pack FILE TARGET``: a self-contained pack in a folder, a .zip, S3 or a Shaman server."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("pack", help="pack a .blend with everything it needs and send it to TARGET")
    p.add_argument("file", type=Path)
    p.add_argument(
        "target",
        help="a folder, NAME.zip, shaman[+http]://host[:port]/[path]#checkout/path, "
        "s3:/ENDPOINT/bucket/path or s3://bucket/path",
    )
    p.add_argument("--project", type=Path, help="project root (default: the .blend's folder)")
    p.add_argument("--exclude", nargs="+", default=[], metavar="GLOB", help="leave matching files out")
    p.add_argument("--relative-only", action="store_true", help="pack only files referenced by relative paths")
    p.add_argument("--noop", action="store_true", help="dry run: show the plan, write nothing")
    p.add_argument("--compress", action="store_true", help="zstd-compress the packed .blend files")
    p.add_argument("--strict", action="store_true", help="fail before writing anything if a dependency is missing")
    p.add_argument("--report", type=Path, metavar="OUT.json", help="write a JSON report")
    p.add_argument("--verify", action="store_true", help="re-trace the packed file; fail unless all is inside")
    p.add_argument("--all-library-data", action="store_true", help="pack what unused library datablocks need too")
    p.add_argument("--workers", type=int, default=4, help="parallel transfers (default 4)")
    p.add_argument(
        "--trace-jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes walking libraries side by side (default: one per core, at most 4; 1 walks them in order)",
    )
    p.add_argument("--checkout-path", help="Shaman checkout path (overrides the #fragment of the URL)")
    p.add_argument("--s3-endpoint", help="S3 endpoint URL for s3://bucket/path targets")
    p.add_argument("--s3-region")
    p.add_argument("--s3-dedupe", action="store_true", help="content-addressed S3 layout with a manifest")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..blendfile import prescan

    # The main file's block headers are read by a helper while the rest of the core loads.
    with prescan.ahead(args.file):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from ..api import PackOptions, pack
    from ..trace.parallel import default_jobs
    from ..transfer.console import ConsoleProgress

    options = PackOptions(
        blend=args.file,
        target=args.target,
        project=args.project,
        exclude=tuple(args.exclude),
        relative_only=args.relative_only,
        noop=args.noop,
        compress=args.compress,
        strict=args.strict,
        verify=args.verify,
        all_library_data=args.all_library_data,
        report=args.report,
        workers=max(1, args.workers),
        trace_jobs=default_jobs() if args.trace_jobs is None else max(1, args.trace_jobs),
        checkout_path=args.checkout_path,
        shaman_token=os.environ.get("BAT_SHAMAN_TOKEN") or None,
        s3_endpoint=args.s3_endpoint,
        s3_region=args.s3_region,
        s3_dedupe=args.s3_dedupe,
    )
    progress = ConsoleProgress(stream=sys.stderr) if not args.quiet else None
    try:
        result = pack(options, listener=progress if progress is not None else (lambda _e: None))
    finally:
        if progress is not None:
            progress.close()
    report = result.report
    if args.noop:
        print(f"plan: {result.files_total} files, {result.bytes_total} bytes, {len(result.missing)} missing")
        for f in report["files"]:
            print(f"  {f['pack_path']}  <-  {f['source']}")
        for s in report["skipped"]:
            print(f"  skipped ({s['reason']}): {s['source']}")
    else:
        print(
            f"packed {result.files_total} files ({result.bytes_total} bytes) to {result.target}; "
            f"written this run: {result.uploaded_files} files, {result.uploaded_bytes} bytes"
        )
        if result.checkout_path:
            print(f"checkout: {result.checkout_path}  main .blend: {result.main_blend_in_pack}")
    for m in result.missing:
        print(f"  MISSING {m}")
    for issue in report["lint"]:
        print(f"  warning: {issue['message']}", file=sys.stderr)
    return 0
