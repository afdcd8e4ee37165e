# SPDX-License-Identifier: GPL-3.0-or-later
"""``blocks FILE``: how many blocks of each type a .blend holds, and their total size."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("blocks", help="count and total size of the blocks of each type")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def _code_text(code: bytes) -> str:
    return code.rstrip(b"\0").decode("latin-1")


def summarize(path: Path) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {}
    from ..blendfile import open_blend  # imported when used: the CLI starts fast

    with open_blend(path) as bf:
        for block in bf.blocks:
            entry = summary.setdefault(_code_text(block.code), {"count": 0, "bytes": 0})
            entry["count"] += 1
            entry["bytes"] += block.size
    return summary


def run(args: argparse.Namespace) -> int:
    summary = summarize(args.file)
    if args.json:
        import json

        print(json.dumps({"file": str(args.file.resolve()), "blocks": summary}, indent=2))
        return 0
    width = max((len(code) for code in summary), default=4)
    print(f"{'code':<{width}}  {'count':>8}  {'bytes':>12}")
    for code, entry in sorted(summary.items(), key=lambda kv: -kv[1]["bytes"]):
        print(f"{code:<{width}}  {entry['count']:>8}  {entry['bytes']:>12}")
    total_count = sum(e["count"] for e in summary.values())
    total_bytes = sum(e["bytes"] for e in summary.values())
    print(f"{'total':<{width}}  {total_count:>8}  {total_bytes:>12}")
    return 0
