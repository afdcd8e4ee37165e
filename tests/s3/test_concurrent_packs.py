# SPDX-License-Identifier: GPL-3.0-or-later
"""Several packs of overlapping productions at the same time, to one Shaman server and one S3 bucket:
all succeed, and every stored byte is verified by checksum."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path
from typing import Any

from blendgen.production import Production
from s3.endpoint import S3Server

from bat_core.api import PackOptions, PackResult, pack
from bat_core.shaman.server import ShamanServer

PACKS = 3


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _overlapping_copies(production: Production, root: Path) -> list[tuple[Path, Path]]:
    """Copies of one production; each changes one texture, so they share all other files."""
    copies = []
    for i in range(PACKS):
        project = root / f"copy{i}"
        shutil.copytree(production.root, project, symlinks=True)
        main = project / production.main.relative_to(production.root)
        texture = sorted(project.rglob("*.png"))[0]
        texture.write_bytes(texture.read_bytes() + f"variant {i}".encode())
        copies.append((project, main))
    return copies


def _run_all(jobs: list[PackOptions]) -> list[PackResult]:
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            results[i] = pack(jobs[i])
        except BaseException as exc:  # collected and re-raised below, never swallowed
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    assert all(isinstance(r, PackResult) for r in results)
    return results


def _check_sources(result: PackResult, read: Any) -> int:
    """Every non-.blend file in the pack has its source's bytes; returns bytes verified."""
    verified = 0
    for entry in result.report["files"]:
        if entry["pack_path"].endswith(".blend"):
            continue
        data = read(entry["pack_path"])
        assert hashlib.sha256(data).hexdigest() == _sha(Path(entry["source"])), entry
        verified += len(data)
    return verified


def test_concurrent_packs_to_one_shaman_server(productions: dict[str, Production], tmp_path: Path) -> None:
    copies = _overlapping_copies(productions["library_chain"], tmp_path / "src")
    with ShamanServer(tmp_path / "storage", host="127.0.0.1", port=0) as server:
        base = server.url.replace("http://", "shaman+http://").rstrip("/")
        jobs = [
            PackOptions(
                blend=main,
                target=f"{base}/#concurrent/job{i}",
                project=project,
                workers=2,
                checksum_cache=tmp_path / f"cache{i}",
            )
            for i, (project, main) in enumerate(copies)
        ]
        results = _run_all(jobs)
        total = sum(r.bytes_total for r in results)
        assert server.stats.upload_bytes_received <= 1.25 * total
    verified = 0
    for result in results:
        checkout = tmp_path / "storage" / "jobs" / str(result.checkout_path)
        verified += _check_sources(result, lambda p, c=checkout: (c / p).read_bytes())
    blobs = list((tmp_path / "storage" / "file-store" / "stored").rglob("*.blob"))
    assert blobs
    for blob in blobs:
        # file-store/stored/<sha[0:2]>/<sha[2:]>/<size>.blob
        sha = blob.parent.parent.name + blob.parent.name
        assert _sha(blob) == sha and blob.stat().st_size == int(blob.stem), blob
        verified += blob.stat().st_size
    print(f"shaman: {len(blobs)} blobs and {len(results)} checkouts, {verified} bytes verified by SHA-256")


def test_concurrent_packs_to_one_s3_bucket(
    productions: dict[str, Production], s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    copies = _overlapping_copies(productions["library_chain"], tmp_path / "src")
    credentials = {
        "s3_endpoint": s3_server.endpoint_url,
        "s3_access_key": s3_server.access_key,
        "s3_secret_key": s3_server.secret_key,
        "s3_region": "us-east-1",
    }
    jobs = [
        PackOptions(blend=main, target=f"s3://{bucket}/packs/job{i}", project=project, workers=2, **credentials)
        for i, (project, main) in enumerate(copies)
    ]
    results = _run_all(jobs)
    client = s3_server.client()
    verified = 0
    for i, result in enumerate(results):
        prefix = f"packs/job{i}"
        verified += _check_sources(
            result, lambda p, pre=prefix: client.get_object(Bucket=bucket, Key=f"{pre}/{p}")["Body"].read()
        )
        for entry in result.report["files"]:
            head = client.head_object(Bucket=bucket, Key=f"{prefix}/{entry['pack_path']}")
            assert head["ContentLength"] == entry["bytes"]
    assert verified > 0
    print(f"s3: {len(results)} packs, {verified} bytes verified by SHA-256")
