# SPDX-License-Identifier: GPL-3.0-or-later
"""``s3-checkout MANIFEST_URL DIR``: turn a content-addressed S3 pack into a plain folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "s3-checkout",
        help="materialise a pack sent with --s3-dedupe into a folder (e.g. on a render farm node)",
        description=(
            "Download every file of a content-addressed S3 pack into DIR and check its SHA-256. "
            "Files already in DIR with the right content are kept. Credentials come from "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a [HOST] section of ~/.aws/credentials, "
            "or boto3's default chain."
        ),
    )
    p.add_argument("manifest_url", metavar="MANIFEST_URL", help="s3://bucket/…/packs/NAME.json or s3:/HOST/bucket/…")
    p.add_argument("directory", metavar="DIR", type=Path)
    p.add_argument("--s3-endpoint", metavar="URL", help="endpoint for s3:// URLs, e.g. http://127.0.0.1:9000")
    p.add_argument("--s3-region", metavar="REGION", help="region to sign requests for (default us-east-1)")
    p.add_argument("--workers", type=int, default=8, help="parallel downloads (default 8)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..progress import ignore_progress
    from ..s3.checkout import checkout_pack
    from ..transfer.console import ConsoleProgress

    console = None if args.quiet else ConsoleProgress(sys.stderr)
    try:
        result = checkout_pack(
            args.manifest_url,
            args.directory,
            endpoint=args.s3_endpoint,
            region=args.s3_region,
            workers=max(1, args.workers),
            listener=console if console is not None else ignore_progress,
        )
    finally:
        if console is not None:
            console.close()
    facts = {
        "directory": str(result.directory),
        "main": result.main,
        "files_total": result.files_total,
        "files_downloaded": result.files_downloaded,
        "bytes_downloaded": result.bytes_downloaded,
        "files_skipped": result.files_skipped,
        "seconds": round(result.seconds, 3),
    }
    if args.json:
        print(json.dumps(facts, indent=2))
    else:
        main = result.directory / result.main if result.main else result.directory
        print(
            f"checked out {result.files_total} files ({result.files_downloaded} downloaded, "
            f"{result.files_skipped} already there) into {result.directory}; main file: {main}"
        )
    return 0
