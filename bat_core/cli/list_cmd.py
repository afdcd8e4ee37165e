# SPDX-License-Identifier: GPL-3.0-or-later
"""``list FILE``: every file a .blend depends on, as a tree, as JSON, or as a detailed report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..trace import TraceResult

EXIT_MISSING = 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("list", help="list the files a .blend depends on (through its libraries)")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print {blend: [dependencies]} as JSON")
    p.add_argument("--report", type=Path, metavar="OUT.json", help="write the detailed report to OUT.json")
    p.add_argument("--all-library-data", action="store_true", help="count every datablock in libraries, used or not")
    p.add_argument("--strict", action="store_true", help=f"exit {EXIT_MISSING} when anything is missing")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes walking libraries side by side (default: one per core, at most 4; 1 walks them in order)",
    )
    p.set_defaults(run=run)


def print_tree(result: TraceResult) -> None:
    from ..trace.bpath import BlendPath

    by_blend: dict[Path, list[Any]] = {b: [] for b in result.blends}
    for ref in result.references:
        by_blend.setdefault(ref.blend, []).append(ref)
    for blend, refs in by_blend.items():
        label = "" if blend == result.main else "  (library)"
        print(f"{blend}{label}")
        for ref in sorted(refs, key=lambda r: (r.kind, str(r.resolved))):
            if ref.anchor_only:
                continue
            state = "packed" if ref.packed else ("MISSING" if ref.missing else f"{len(ref.files)} file(s)")
            print(
                f"  {ref.kind:<22} {BlendPath(ref.stored).text() or str(ref.resolved)}  [{state}]"
                f"  <- {ref.owner.id_code}:{ref.owner.name}"
            )
            if len(ref.files) > 1:
                for f in ref.files[:5]:
                    print(f"  {'':<22}   {f}")
                if len(ref.files) > 5:
                    print(f"  {'':<22}   ... {len(ref.files) - 5} more")
    missing = result.missing()
    print(f"{len(result.files())} files, {len(missing)} missing, {len(result.blends)} .blend files")
    for m in result.missing_datablocks:
        print(f"  missing datablock {m.name} from {m.library} (needed by {m.needed_by.name})")
    for problem in result.problems:
        print(f"  problem: {problem}")


def run(args: argparse.Namespace) -> int:
    from ..blendfile import prescan

    # The main file's block headers are read by a helper while the tracer loads.
    with prescan.ahead(args.file):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    # Imported here so that the CLI starts without loading what other commands need.
    from ..trace import TraceOptions, trace
    from ..trace.parallel import default_jobs
    from ..trace.report import compact, detailed, write_json

    jobs = default_jobs() if args.jobs is None else max(1, args.jobs)
    result = trace(args.file, TraceOptions(all_library_data=args.all_library_data, jobs=jobs))
    if args.report:
        write_json(detailed(result), args.report)
    if args.json:
        json.dump(compact(result), sys.stdout, indent=2, ensure_ascii=False)
        print()
    elif not args.report:
        print_tree(result)
    if args.strict and result.missing():
        print(f"bat: {len(result.missing())} referenced files are missing", file=sys.stderr)
        return EXIT_MISSING
    return 0
