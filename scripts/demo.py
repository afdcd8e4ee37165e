# SPDX-License-Identifier: GPL-3.0-or-later
"""The main job on a built-in example: build a production with real Blender, trace it, pack it and
send it to the embedded Shaman server on loopback, then open the checkout in Blender and count
missing files. Run through scripts/demo (which prepares the environment).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bat_core.api import PackOptions, pack  # noqa: E402
from bat_core.shaman.server import ShamanServer  # noqa: E402
from bat_core.transfer.console import ConsoleProgress  # noqa: E402

CHECK = """
import bpy, glob, json, os, sys
bpy.ops.wm.open_mainfile(filepath=sys.argv[-1])
paths = bpy.utils.blend_paths(absolute=True, packed=False, local=False)
def present(p):
    if "<UDIM>" in p or "<UVTILE>" in p:  # UDIM sets: at least the tiles must be there
        return bool(glob.glob(p.replace("<UDIM>", "[0-9]" * 4).replace("<UVTILE>", "u*_v*")))
    return os.path.exists(p)
missing = sorted(p for p in paths if p and not present(p))
missing += sorted(l.filepath for l in bpy.data.libraries if l.is_missing)
print("@@" + json.dumps({"paths": len(paths), "missing": missing, "libraries": len(bpy.data.libraries)}))
"""


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def blender_check(blend: Path) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", CHECK, str(blend)], capture_output=True, text=True, check=True)
    line = next(line for line in proc.stdout.splitlines() if line.startswith("@@"))
    result: dict[str, object] = json.loads(line[2:])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", nargs="?", type=Path, default=REPO / "example-output")
    args = parser.parse_args()
    out: Path = args.outdir.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    step("building a sample production with real Blender (bpy)")
    subprocess.run([sys.executable, str(REPO / "examples" / "make_production.py"), str(out / "production")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shot = out / "production" / "project" / "shots" / "shot_010.blend"

    step(f"tracing {shot}")
    subprocess.run([sys.executable, "-m", "bat_core", "list", str(shot)], check=True, cwd=REPO)

    step("starting the embedded Shaman server on loopback")
    with ShamanServer(out / "shaman-storage", host="127.0.0.1", port=0) as server:
        print(f"Shaman server at {server.url}")
        url = server.url.replace("http://", "shaman+http://").rstrip("/") + "/#demo/shot_010"
        step(f"pack & send to {url}")
        progress = ConsoleProgress(stream=sys.stdout)
        result = pack(PackOptions(blend=shot, target=url, project=shot.parent.parent, strict=True,
                                  report=out / "report.json", checksum_cache=out / "checksum-cache"), progress)
        progress.close()
        print(f"uploaded {result.uploaded_files} of {result.files_total} files "
              f"({result.uploaded_bytes} of {result.bytes_total} bytes)")
        step("sending the unchanged pack again")
        again = pack(PackOptions(blend=shot, target=url, project=shot.parent.parent,
                                 checksum_cache=out / "checksum-cache"))
        print(f"second send uploaded {again.uploaded_files} files, {again.uploaded_bytes} bytes")

    checkout = Path(result.checkout_path or "")
    jobs = out / "shaman-storage" / "jobs"
    main_blend = jobs / checkout / result.main_blend_in_pack if not checkout.is_absolute() else checkout
    if not main_blend.is_file():
        main_blend = jobs / (result.checkout_path or "") / str(result.report.get("main_blend"))
    step(f"opening the checkout in Blender: {main_blend}")
    check = blender_check(main_blend)
    missing = check["missing"]
    assert isinstance(missing, list)
    print(f"checkout path: {result.checkout_path}")
    print(f"Blender reports {check['paths']} external paths, {check['libraries']} libraries, "
          f"{len(missing)} missing files")
    for m in missing:
        print(f"  MISSING {m}")
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
