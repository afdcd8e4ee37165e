# SPDX-License-Identifier: GPL-3.0-or-later
"""SHA-256 throughput of the Shaman client's hashing vs single-core hashlib and ``sha256sum``.

Makes (or reuses) a set of files, reads them once so the page cache is warm, then times,
alternating, several rounds of:

* ``hash_files``  - the client's hashing: all cores, threads, no checksum cache;
* ``hashlib 1 core`` - one thread, ``hashlib.file_digest`` per file;
* ``sha256sum``   - coreutils, one process over all files;
* ``sha256sum -P`` - coreutils, one process per core via ``xargs -P``.

Prints the median GB/s of each and the ratios against ``hash_files``.

    .venv/bin/python benchmarks/shaman_hash.py [--dir /tmp/bat-bench-hash] [--gb 2] [--rounds 3] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bat_core.shaman.hashing import hash_files

FILE_SIZE = 64 * 1024**2


def make_files(folder: Path, total: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    block = os.urandom(FILE_SIZE)
    for n in range(max(1, total // FILE_SIZE)):
        path = folder / f"f{n:04}.bin"
        if not path.exists() or path.stat().st_size != FILE_SIZE:
            # Distinct content per file, cheaply: a different prefix on the same random block.
            path.write_bytes(n.to_bytes(8, "little") + block[8:])
        paths.append(path)
    return paths


def warm(paths: list[Path]) -> None:
    for path in paths:
        with open(path, "rb") as f:
            while f.read(16 * 1024**2):
                pass


def ours(paths: list[Path]) -> None:
    hash_files(paths, use_cache=False)


def hashlib_one_core(paths: list[Path]) -> None:
    for path in paths:
        with open(path, "rb") as f:
            hashlib.file_digest(f, "sha256")


def sha256sum(paths: list[Path]) -> None:
    subprocess.run(["sha256sum", *map(str, paths)], check=True, stdout=subprocess.DEVNULL)


def sha256sum_parallel(paths: list[Path]) -> None:
    cores = str(os.cpu_count() or 1)
    subprocess.run(
        ["xargs", "-0", "-n", "1", "-P", cores, "sha256sum"],
        input=b"\0".join(str(p).encode() for p in paths),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bat-bench-hash"))
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    paths = make_files(args.dir, int(args.gb * 1024**3))
    total = sum(p.stat().st_size for p in paths)
    warm(paths)
    contenders: dict[str, Callable[[list[Path]], None]] = {
        "hash_files (all cores)": ours,
        "hashlib 1 core": hashlib_one_core,
        "sha256sum": sha256sum,
        f"sha256sum -P{os.cpu_count()}": sha256sum_parallel,
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for round_number in range(args.rounds):
        order = list(contenders.items())
        if round_number % 2:
            order.reverse()
        for name, run in order:
            started = time.perf_counter()
            run(paths)
            times[name].append(time.perf_counter() - started)
    print(f"{len(paths)} files, {total / 1e9:.2f} GB, warm page cache, {os.cpu_count()} cores, {args.rounds} rounds")
    print(f"  (load average during the run: {os.getloadavg()[0]:.1f}; numbers are only comparable on an idle machine)")
    ours_s = statistics.median(times["hash_files (all cores)"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<24} {total / median / 1e9:6.2f} GB/s   ours is {median / ours_s:5.2f}x as fast")
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
