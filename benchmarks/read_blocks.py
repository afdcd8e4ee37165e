# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: open large real .blend files and decode every ID block; ours vs BAT 1.23.

    python benchmarks/read_blocks.py [--files DIR] [--repeat N]

Makes the files with bpy (benchmarks/make_large_files.py) when DIR lacks them, installs the
reference tool (blender-asset-tracer 1.23 from PyPI) into its own environment
(.venv-bench, never imported by product code), runs each reader in a fresh process per file
and repeat, and prints wall time (open + decode, after the reader's modules are imported) and
peak memory (max RSS of the process) with the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
FILES = ("many_ids.blend", "many_ids_zstd.blend", "dense_mesh.blend", "dense_mesh_zstd.blend")

OURS = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from bat_core.blendfile import open_blend
t0 = time.perf_counter()
names = 0
with open_blend(sys.argv[1]) as bf:
    for block in bf.id_blocks():
        view = bf.view(block)
        view.id_name()
        view.get_pointer("id.lib") if view.struct.name != "ID" else view.get_pointer("lib")
        names += 1
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "ids": names,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

REFERENCE = """
import json, resource, sys, time
from pathlib import Path
from blender_asset_tracer import blendfile
t0 = time.perf_counter()
names = 0
bf = blendfile.BlendFile(Path(sys.argv[1]))
for block in bf.blocks:
    # BAT strips the NUL padding: ID blocks have two-letter codes.
    if len(block.code) == 2:
        block.id_name
        try:
            block.get((b"id", b"lib"))
        except KeyError:
            block.get(b"lib")
        names += 1
bf.close()
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "ids": names,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def ensure_reference() -> Path:
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "blender-asset-tracer==1.23", "zstandard"], check=True
        )
    return python


def ensure_files(folder: Path) -> None:
    if all((folder / f).exists() for f in FILES):
        return
    folder.mkdir(parents=True, exist_ok=True)
    print(f"making large files with bpy in {folder} ...", flush=True)
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "make_large_files.py"), str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def measure(python: Path, code: str, blend: Path) -> dict[str, float]:
    proc = subprocess.run([str(python), "-c", code, str(blend), str(REPO)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed on {blend}:\n{proc.stderr}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=Path, default=Path("/tmp/bat-bench-large"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    reference = ensure_reference()
    ensure_files(args.files)
    print(
        f"{'file':<24}{'size MB':>9}{'ids':>8}{'ours s':>9}{'BAT s':>9}{'speedup':>9}"
        f"{'ours MB':>9}{'BAT MB':>9}{'mem ratio':>10}"
    )
    speedups = []
    for name in FILES:
        blend = args.files / name
        ours = [measure(Path(sys.executable), OURS, blend) for _ in range(args.repeat)]
        theirs = [measure(reference, REFERENCE, blend) for _ in range(args.repeat)]
        if ours[0]["ids"] != theirs[0]["ids"]:
            raise SystemExit(f"{name}: ours decoded {ours[0]['ids']} IDs, BAT {theirs[0]['ids']}")
        t_ours = statistics.median(r["seconds"] for r in ours)
        t_ref = statistics.median(r["seconds"] for r in theirs)
        m_ours = max(r["max_rss_kb"] for r in ours) / 1024
        m_ref = max(r["max_rss_kb"] for r in theirs) / 1024
        speedups.append(t_ref / t_ours)
        print(
            f"{name:<24}{blend.stat().st_size / 1e6:>9.1f}{int(ours[0]['ids']):>8}{t_ours:>9.3f}{t_ref:>9.3f}"
            f"{t_ref / t_ours:>8.1f}x{m_ours:>9.1f}{m_ref:>9.1f}{m_ours / m_ref:>10.2f}"
        )
    print(
        f"speedup (BAT time / our time): min {min(speedups):.1f}x, "
        f"geometric mean {statistics.geometric_mean(speedups):.1f}x; target >= 3x, memory ratio <= 1.0"
    )


if __name__ == "__main__":
    main()
