# SPDX-License-Identifier: GPL-3.0-or-later
"""The main job on a built-in example, through the Blender add-on: build a production with real
Blender, start the embedded Shaman server on loopback, build the extension zip with Blender's own
tooling, install it into a temporary Blender user folder, run Pack & Send to Shaman in Blender's
batch mode (twice: the second send uploads nothing), then open the checkout in a fresh Blender
and count missing files. Run through scripts/demo (which prepares the environment).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bat_core.shaman.server import ShamanServer  # noqa: E402

CHECKOUT = "demo/shot_010"

# Runs in a fresh Blender: what does Blender itself say the checkout uses, and is it all there?
CHECK = """
import bpy, glob, json, os, sys
bpy.ops.wm.open_mainfile(filepath=sys.argv[-1])
root = os.path.normpath(sys.argv[-2])
paths = [p for p in bpy.utils.blend_paths(absolute=True, packed=False, local=False) if p]
def present(p):
    if "<UDIM>" in p or "<UVTILE>" in p:  # UDIM sets: the tiles are the files
        return bool(glob.glob(p.replace("<UDIM>", "[0-9]" * 4).replace("<UVTILE>", "u*_v*")))
    return os.path.exists(p)
missing = sorted(p for p in paths if not present(p))
missing += sorted(l.filepath for l in bpy.data.libraries if l.is_missing)
outside = sorted(p for p in paths if not os.path.normpath(p).startswith(root + os.sep))
print("@@" + json.dumps({"paths": len(paths), "missing": missing, "outside": outside,
                         "libraries": len(bpy.data.libraries)}))
"""


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"demo: {Path(command[1]).name} failed (exit {done.returncode})\n{done.stdout or ''}")
    return done


def blender_check(root: Path, blend: Path) -> dict[str, Any]:
    proc = run([sys.executable, "-c", CHECK, str(root), str(blend)], capture_output=True)
    line = next(line for line in proc.stdout.splitlines() if line.startswith("@@"))
    found: dict[str, Any] = json.loads(line[2:])
    return found


def human(size: int) -> str:
    return f"{size / 1e3:.1f} KB" if size < 1e6 else f"{size / 1e6:.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", nargs="?", type=Path, default=REPO / "example-output")
    args = parser.parse_args()
    out: Path = args.outdir.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    began = time.monotonic()

    step("building a sample production with real Blender (bpy)")
    run([sys.executable, str(REPO / "examples" / "make_production.py"), str(out / "production")], capture_output=True)
    shot = out / "production" / "project" / "shots" / "shot_010.blend"
    print(shot)

    step("building the extension zip with Blender's extension tooling (build + validate)")
    built = run([sys.executable, str(REPO / "scripts" / "build_extension.py"), "--output-dir", str(out / "dist")],
                capture_output=True)  # fmt: skip
    extension = Path(built.stdout.strip().splitlines()[-1])
    print(extension)

    step("starting the embedded Shaman server on loopback")
    with ShamanServer(out / "shaman-storage", host="127.0.0.1", port=0) as server:
        print(f"Shaman server at {server.url}")
        # A fresh user folder: the extension is installed there, as a user would, not imported
        # from this checkout; its checksum cache lands there too.
        env = {k: v for k, v in os.environ.items() if not k.startswith("BAT_")}
        env["BLENDER_USER_RESOURCES"] = str(out / "blender-user")
        answer = out / "addon-result.json"
        run([sys.executable, str(REPO / "scripts" / "demo_blender.py"), "--",
             str(extension), str(shot), server.url, CHECKOUT, str(answer)], env=env)  # fmt: skip
    found = json.loads(answer.read_text(encoding="utf-8"))
    first, again = found["first"], found["again"]

    checkout = out / "shaman-storage" / "jobs" / first["checkout_path"]
    main_blend = checkout / first["main_blend_in_pack"]
    step(f"opening the checkout in a fresh Blender: {main_blend}")
    check = blender_check(checkout, main_blend)
    missing, outside = check["missing"], check["outside"]

    step("result")
    print(f"checkout path: {first['checkout_path']}  (on the server: {main_blend})")
    print(f"first send:  uploaded {first['uploaded_files']} of {first['files_total']} files "
          f"({human(first['uploaded_bytes'])} of {human(first['bytes_total'])})")  # fmt: skip
    print(f"second send: uploaded {again['uploaded_files']} files ({again['uploaded_bytes']} bytes)")
    print(f"Blender opens the checkout: {check['paths']} external paths, {check['libraries']} libraries, "
          f"{len(missing)} missing files, {len(outside)} paths outside the checkout")  # fmt: skip
    for path in missing:
        print(f"  MISSING {path}")
    for path in outside:
        print(f"  OUTSIDE {path}")
    print(f"done in {time.monotonic() - began:.1f} s; everything is in {out}")
    return 0 if not missing and not outside else 1


if __name__ == "__main__":
    sys.exit(main())
