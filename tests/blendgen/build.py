# SPDX-License-Identifier: GPL-3.0-or-later
"""Child process: build kinds with bpy, re-open each, ask Blender, write expected.json.

    python -m blendgen.build OUTDIR KIND [KIND ...]

Kinds are built one after the other from an empty factory file (bpy is global state; importing
it once per process saves most of the time). A Python error fails that kind only; a crash of
Blender ends the process, and the parent retries the kinds that got no expected.json alone.
Prints one ``RESULT <kind> ok|FAILED <seconds>`` line per kind.
"""

from __future__ import annotations

import shutil
import sys
import time
import traceback
from pathlib import Path

import bpy

from blendgen import blender
from blendgen.kinds import BUILDERS
from blendgen.recorder import Recorder


def build(outdir: Path, kind: str) -> Path:
    root = outdir / kind
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rec = Recorder(kind, root)
    BUILDERS[kind](rec)
    assert rec.main is not None, kind
    blender.reset()
    bpy.ops.wm.open_mainfile(filepath=str(rec.main), load_ui=False)
    oracle = bpy.utils.blend_paths(absolute=True, packed=False, local=False)
    rec.run_reopen_checks()
    return rec.write(rec.finish(oracle))


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m blendgen.build OUTDIR KIND [KIND ...]", file=sys.stderr)
        return 2
    outdir, kinds = Path(argv[0]).resolve(), argv[1:]
    unknown = [k for k in kinds if k not in BUILDERS]
    if unknown:
        print(f"unknown kind(s) {unknown}; known: {', '.join(sorted(BUILDERS))}", file=sys.stderr)
        return 2
    failed = 0
    for kind in kinds:
        start = time.monotonic()
        try:
            build(outdir, kind)
            status = "ok"
        except Exception:
            print(f"--- {kind} ---", file=sys.stderr)
            traceback.print_exc()
            status, failed = "FAILED", failed + 1
        print(f"RESULT {kind} {status} {time.monotonic() - start:.1f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
