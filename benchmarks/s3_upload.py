# SPDX-License-Identifier: GPL-3.0-or-later
"""Upload a ~1 GB pack to a loopback S3 endpoint: our S3 target against ``aws s3 cp --recursive``.

The endpoint is moto's S3 server in its own process (tests/s3/moto_process.py), so both
tools pay the same server cost; moto is a single Python process, so on a small machine it
is likely the bottleneck and the ratio says more than the absolute rates. The AWS CLI is
installed into its own virtual environment (``.venv-bench-s3``, never the project's) the
first time the script runs.

Fairness: both upload the same files from a warm page cache into a fresh prefix, with the
same number of requests in flight (the CLI's default of 10; our target's transfer manager
is capped at 10 too) and the same multipart threshold class; our target also computes the
SHA-256 of every file (its skip-unchanged identity), the CLI a CRC checksum per request.
The order alternates between rounds. Server and client CPU seconds are printed per run:
moto does more work for uploads that carry no checksum header (ours, which send SHA-256
metadata instead of CRC32 for compatibility with older S3-compatible servers).

    .venv/bin/python benchmarks/s3_upload.py [--dir /tmp/bat-bench-s3] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bat_core.s3 import open_s3_target  # noqa: E402
from bat_core.transfer import TransferItem, run_transfer  # noqa: E402

BIG_FILES = 3
BIG_SIZE = 200 * 1024**2
SMALL_FILES = 2000
SMALL_MAX = 400 * 1024
SPEC = f"big={BIG_FILES}x{BIG_SIZE} small={SMALL_FILES}<={SMALL_MAX} v1"
AWSCLI = "awscli==1.46.2"
CONCURRENCY = 10  # the AWS CLI's default max_concurrent_requests
KEY, SECRET = "benchmark", "benchmark-secret"


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
    for path in sorted(src.rglob("*")):
        if path.is_file() and path.name != ".spec":
            items.append(TransferItem(path, path.relative_to(src).as_posix(), path.stat().st_size))
    return items


def ensure_awscli() -> Path:
    venv = REPO / ".venv-bench-s3"
    aws = venv / "bin" / "aws"
    if not aws.exists():
        print(f"installing {AWSCLI} into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, AWSCLI], check=True)
    return aws


def warm(items: list[TransferItem]) -> None:
    for item in items:
        with open(item.source, "rb") as f:
            while f.read(16 * 1024**2):
                pass


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds the server process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_cpu_s() -> float:
    """CPU seconds of this process plus its finished children (the AWS CLI runs as one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_ours(endpoint: str, bucket: str, items: list[TransferItem]) -> float:
    target = open_s3_target(
        f"s3://{bucket}/ours", endpoint=endpoint, access_key=KEY, secret_key=SECRET, workers=CONCURRENCY
    )
    started = time.perf_counter()
    result = run_transfer(items, target, workers=CONCURRENCY)
    seconds = time.perf_counter() - started
    assert result.files_sent == len(items), result
    return seconds


def run_cli(aws: Path, endpoint: str, bucket: str, src: Path) -> float:
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    cmd = [str(aws), "s3", "cp", "--recursive", "--only-show-errors", "--exclude", ".spec"]
    cmd += ["--endpoint-url", endpoint, str(src), f"s3://{bucket}/cli"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    return time.perf_counter() - started


def count_objects(client: object, bucket: str, prefix: str) -> tuple[int, int]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
    objs = [o for page in pages for o in page.get("Contents", ())]
    return len(objs), sum(o["Size"] for o in objs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bat-bench-s3"))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    import boto3
    from s3.endpoint import start_moto, stop_moto

    src = args.dir / "src"
    build_tree(src)
    items = items_of(src)
    total = sum(i.size for i in items)
    aws = ensure_awscli()
    print(f"pack: {len(items)} files, {total / 1e9:.2f} GB; {os.cpu_count()} CPUs", flush=True)
    ours: list[float] = []
    cli: list[float] = []
    for n in range(args.rounds):
        # A fresh server per round: moto keeps every object in memory.
        proc, endpoint = start_moto()
        try:
            client = boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id=KEY,
                aws_secret_access_key=SECRET,
            )
            client.create_bucket(Bucket="bench")
            warm(items)
            order = ("ours", "cli") if n % 2 == 0 else ("cli", "ours")
            cpu: dict[str, tuple[float, float]] = {}
            for which in order:
                server0, client0 = server_cpu_s(proc.pid), client_cpu_s()
                if which == "ours":
                    ours.append(run_ours(endpoint, "bench", items))
                    assert count_objects(client, "bench", "ours/") == (len(items), total)
                else:
                    cli.append(run_cli(aws, endpoint, "bench", src))
                    assert count_objects(client, "bench", "cli/") == (len(items), total)
                cpu[which] = (server_cpu_s(proc.pid) - server0, client_cpu_s() - client0)
            print(
                f"round {n + 1}: ours {ours[-1]:.1f} s (server CPU {cpu['ours'][0]:.1f} s, client CPU "
                f"{cpu['ours'][1]:.1f} s), aws s3 cp {cli[-1]:.1f} s (server CPU {cpu['cli'][0]:.1f} s, "
                f"client CPU {cpu['cli'][1]:.1f} s)",
                flush=True,
            )
        finally:
            stop_moto(proc)
    t_ours, t_cli = statistics.median(ours), statistics.median(cli)
    # On a shared machine the load changes between rounds; the two runs of one round are
    # back to back, so the per-round ratio is the steadier figure.
    paired = [c / o for o, c in zip(ours, cli, strict=True)]
    print(f"ours:       {t_ours:6.1f} s  {total / t_ours / 1e6:7.1f} MB/s  (median)")
    print(f"aws s3 cp:  {t_cli:6.1f} s  {total / t_cli / 1e6:7.1f} MB/s  (median)")
    print(f"ratio of medians (aws time / our time): {t_cli / t_ours:.2f}x  (target >= 1.0x)")
    print(f"per-round ratios: {', '.join(f'{r:.2f}x' for r in paired)}; median {statistics.median(paired):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
