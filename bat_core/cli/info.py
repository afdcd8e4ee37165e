# SPDX-License-Identifier: GPL-3.0-or-later
"""``info FILE``: what kind of .blend a file is."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("info", help="show a .blend file's version, pointer size, endianness and compression")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def describe(path: Path) -> dict[str, Any]:
    from ..blendfile import open_blend  # imported when used: the CLI starts fast

    with open_blend(path) as bf:
        return {
            "file": str(path.resolve()),
            "version": bf.version,
            "file_format_version": bf.header.format_version,
            "pointer_size": bf.pointer_size,
            "endianness": bf.endianness,
            "compression": bf.compression.value,
            "blocks": len(bf.blocks),
            "structs": len(bf.sdna),
            "size": path.stat().st_size,
            "decompressed_size": bf.decompressed_size,
        }


def run(args: argparse.Namespace) -> int:
    facts = describe(args.file)
    if args.json:
        import json

        print(json.dumps(facts, indent=2))
        return 0
    v = facts["version"]
    print(f"{facts['file']}")
    print(f"  Blender version   {v // 100}.{v % 100} ({v})")
    print(f"  file format       {facts['file_format_version']}")
    print(f"  pointer size      {facts['pointer_size']} bytes")
    print(f"  endianness        {facts['endianness']}")
    print(f"  compression       {facts['compression']}")
    print(f"  blocks            {facts['blocks']}")
    print(f"  SDNA structs      {facts['structs']}")
    print(f"  size              {facts['size']} bytes ({facts['decompressed_size']} decompressed)")
    return 0
