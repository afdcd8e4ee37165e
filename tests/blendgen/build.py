# SPDX-License-Identifier: GPL-3.0-or-later
"""Child process: build one kind with bpy, re-open it, ask Blender, write expected.json.

    python -m blendgen.build OUTDIR KIND

One kind per process: bpy is global state, and some simulations can crash Blender; a crash
then costs one kind, not the run.
"""

from __future__ import annotations

import shutil
import sys
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
    if len(argv) != 2:
        print("usage: python -m blendgen.build OUTDIR KIND", file=sys.stderr)
        return 2
    outdir, kind = Path(argv[0]).resolve(), argv[1]
    if kind not in BUILDERS:
        print(f"unknown kind {kind!r}; known: {', '.join(sorted(BUILDERS))}", file=sys.stderr)
        return 2
    print(build(outdir, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
