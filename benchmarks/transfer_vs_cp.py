# SPDX-License-Identifier: GPL-3.0-or-later
"""How fast the directory target copies a pack compared with ``cp -r`` on the same disk.

Builds (or reuses) a ~2 GB tree: a few files of several hundred MB and thousands of small
ones. Then copies it alternately with ``cp -r`` and with ``run_transfer`` into a
DirectoryTarget, several rounds, and prints the median times and the throughput ratio.

Fairness: the source is read once beforehand so both start from a warm page cache; every
copy goes to a fresh folder and ``sync`` flushes dirty pages before each timed copy
(untimed), so neither pays for the other's write-back; copies are deleted only at the end
because deleting on this ext4 (mounted with ``discard``) made the next run's timing
depend on the trims in flight; the order alternates each round; a VM's free page reporting
is held for the run (steady_memory.py).

    .venv/bin/python benchmarks/transfer_vs_cp.py [--dir /tmp/bat-bench] [--rounds 3] [--keep] [--keep-page-reporting]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from steady_memory import add_page_reporting_option, held_page_reporting

from bat_core.transfer import TransferItem, run_transfer
from bat_core.transfer.directory import DirectoryTarget

BIG_FILES = 3
BIG_SIZE = 400 * 1024**2
SMALL_FILES = 4000
SMALL_MAX = 400 * 1024
SPEC = f"big={BIG_FILES}x{BIG_SIZE} small={SMALL_FILES}<= {SMALL_MAX} v1"


def build_tree(src: Path) -> None:
    stamp = src / ".spec"
    if stamp.exists() and stamp.read_text() == SPEC:
        return
    if src.exists():
        shutil.rmtree(src)
    rng = random.Random(1234)
    print(f"building the source tree in {src} ...", flush=True)
    for n in range(BIG_FILES):
        path = src / "caches" / f"sim_{n}.vdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            for _ in range(BIG_SIZE // (16 * 1024**2)):
                f.write(os.urandom(16 * 1024**2))
    for n in range(SMALL_FILES):
        path = src / "textures" / f"set_{n % 40:02d}" / f"tex_{n:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(rng.randint(1024, SMALL_MAX)))
    stamp.write_text(SPEC)


def items_of(src: Path) -> list[TransferItem]:
    items = []
    for dirpath, _dirs, files in os.walk(src):
        for name in files:
            if name == ".spec":
                continue
            path = Path(dirpath) / name
            items.append(TransferItem(path, path.relative_to(src).as_posix(), path.stat().st_size))
    return items


def warm(items: list[TransferItem]) -> None:
    for item in items:
        with open(item.source, "rb") as f:
            while f.read(16 * 1024**2):
                pass


def fresh(dest: Path) -> None:
    if dest.exists():
        raise SystemExit(f"{dest} already exists")
    subprocess.run(["sync"], check=True)


def time_cp(src: Path, dest: Path) -> float:
    fresh(dest)
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(src), str(dest)], check=True)
    return time.perf_counter() - start


def time_ours(items: list[TransferItem], dest: Path, workers: int) -> float:
    fresh(dest)
    start = time.perf_counter()
    run_transfer(items, DirectoryTarget(dest, workers=workers), workers=workers)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bat-bench-transfer"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the source tree for the next run")
    add_page_reporting_option(parser)
    args = parser.parse_args()
    with held_page_reporting(not args.keep_page_reporting) as memory_note:
        print(memory_note, flush=True)
        return run(args)


def run(args: argparse.Namespace) -> int:
    src = args.dir / "src"
    copies = args.dir / "copies"
    if copies.exists():
        shutil.rmtree(copies)
    copies.mkdir(parents=True)
    build_tree(src)
    items = items_of(src)
    total = sum(i.size for i in items)
    print(f"{len(items)} files, {total / 1e9:.2f} GB; warming the page cache ...", flush=True)
    warm(items)
    cp_times: list[float] = []
    our_times: list[float] = []
    for round_no in range(args.rounds):
        cp_dest, our_dest = copies / f"cp_{round_no}", copies / f"ours_{round_no}"
        runs = [
            ("cp", lambda d=cp_dest: time_cp(src, d)),
            ("ours", lambda d=our_dest: time_ours(items, d, args.workers)),
        ]
        if round_no % 2:
            runs.reverse()
        for name, run in runs:
            seconds = run()
            (cp_times if name == "cp" else our_times).append(seconds)
            print(
                f"  round {round_no + 1}: {name:4s} {seconds:6.2f} s  {total / seconds / 1e9:5.2f} GB/s",
                flush=True,
            )
    shutil.rmtree(copies)
    if not args.keep:
        shutil.rmtree(args.dir)
    cp_median, our_median = statistics.median(cp_times), statistics.median(our_times)
    print(f"cp -r  median {cp_median:.2f} s = {total / cp_median / 1e9:.2f} GB/s")
    print(f"ours   median {our_median:.2f} s = {total / our_median / 1e9:.2f} GB/s (workers={args.workers})")
    print(f"throughput ratio ours / cp -r = {cp_median / our_median:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
