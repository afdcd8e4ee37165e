# SPDX-License-Identifier: GPL-3.0-or-later
"""Sending a 1 GB set to the embedded Shaman server: our client vs ``curl``, in one run.

Both talk to the same server program (``python -m bat_core.shaman.server``, strict mode,
in its own process, on loopback), each run against a fresh storage folder so every file
is really uploaded. Both use the same number of parallel streams (``--streams``):

* ours: ``run_transfer`` with a ShamanTarget (no checksum cache, so it hashes every file,
  asks for the requirements, uploads with status pre-flights, creates the checkout);
  the time of its upload phase alone is measured too (from the first TRANSFER event);
* curl: the same files POSTed streamed (``-T``) to ``/api/v3/shaman/files/<sha>/<size>``,
  the files split over ``--streams`` curl processes; checksums computed beforehand,
  untimed.

The files are read once beforehand (warm page cache); the order alternates each round.

    .venv/bin/python benchmarks/shaman_send.py [--dir /tmp/bat-bench-send] [--gb 1] [--rounds 2]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bat_core.progress import ProgressEvent, Stage
from bat_core.shaman.target import open_shaman_target
from bat_core.transfer import TransferItem, run_transfer

REPO = Path(__file__).resolve().parent.parent
FILE_SIZE = 64 * 1024**2


class Server:
    def __init__(self, storage: Path) -> None:
        self.storage = storage
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bat_core.shaman.server", "--storage", str(storage), "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        self.url = line.rsplit(" ", 1)[1].strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.storage, ignore_errors=True)


def make_files(folder: Path, total: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    block = os.urandom(FILE_SIZE)
    paths = []
    for n in range(max(1, total // FILE_SIZE)):
        path = folder / f"f{n:04}.bin"
        if not path.exists() or path.stat().st_size != FILE_SIZE:
            path.write_bytes(n.to_bytes(8, "little") + block[8:])
        paths.append(path)
    for path in paths:
        path.read_bytes()  # warm the page cache
    return paths


def run_ours(paths: list[Path], work: Path, streams: int) -> tuple[float, float]:
    server = Server(work / "storage-ours")
    items = [TransferItem(p, f"set/{p.name}", p.stat().st_size) for p in paths]
    first_transfer: list[float] = []

    def listener(event: ProgressEvent) -> None:
        if event.stage is Stage.TRANSFER and not first_transfer:
            first_transfer.append(time.perf_counter())

    try:
        target = open_shaman_target(
            server.url.replace("http://", "shaman+http://") + "#bench", use_cache=False, connections=streams
        )
        started = time.perf_counter()
        result = run_transfer(items, target, workers=streams, listener=listener)
        ended = time.perf_counter()
        assert result.files_sent == len(items), result
        target.close()
    finally:
        server.stop()
    return ended - started, ended - first_transfer[0]


def run_curl(paths: list[Path], checksums: dict[Path, str], work: Path, streams: int) -> float:
    server = Server(work / "storage-curl")
    try:
        commands = []
        for n in range(streams):
            args = ["curl", "-sS", "--fail"]
            for i, path in enumerate(paths[n::streams]):
                if i:
                    args.append("--next")
                url = f"{server.url}api/v3/shaman/files/{checksums[path]}/{path.stat().st_size}"
                args += ["-o", "/dev/null", "-X", "POST", "-H", "Content-Type: application/octet-stream"]
                args += ["-H", "X-Shaman-Can-Defer-Upload: false", "-T", str(path), url]
            commands.append(args)
        started = time.perf_counter()
        processes = [subprocess.Popen(c) for c in commands]
        codes = [p.wait() for p in processes]
        elapsed = time.perf_counter() - started
        assert codes == [0] * len(codes), codes
        stored = list((server.storage / "file-store" / "stored").rglob("*.blob"))
        assert len(stored) == len(paths), len(stored)
    finally:
        server.stop()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bat-bench-send"))
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    paths = make_files(args.dir / "files", int(args.gb * 1024**3))
    total = sum(p.stat().st_size for p in paths)
    checksums = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    ours_total: list[float] = []
    ours_upload: list[float] = []
    curl: list[float] = []
    for round_number in range(args.rounds):
        runs = ["ours", "curl"] if round_number % 2 == 0 else ["curl", "ours"]
        for which in runs:
            subprocess.run(["sync"], check=False)
            if which == "ours":
                whole, upload = run_ours(paths, args.dir, args.streams)
                ours_total.append(whole)
                ours_upload.append(upload)
            else:
                curl.append(run_curl(paths, checksums, args.dir, args.streams))
    c = statistics.median(curl)
    t = statistics.median(ours_total)
    u = statistics.median(ours_upload)
    print(f"{len(paths)} files, {total / 1e9:.2f} GB, {args.streams} streams, loopback, {args.rounds} rounds (median)")
    print(f"  (load average during the run: {os.getloadavg()[0]:.1f}; numbers are only comparable on an idle machine)")
    print(f"  curl POST (checksums known)      {c:6.2f} s  {total / c / 1e9:5.2f} GB/s")
    print(f"  ours, upload phase only          {u:6.2f} s  {total / u / 1e9:5.2f} GB/s   curl/ours = {c / u:.2f}")
    print(f"  ours, hash + upload + checkout   {t:6.2f} s  {total / t / 1e9:5.2f} GB/s   curl/ours = {c / t:.2f}")
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
