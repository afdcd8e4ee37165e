# SPDX-License-Identifier: GPL-3.0-or-later
"""Content-addressed packs (--s3-dedupe): shared content stored once, manifests last, s3-checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from s3.endpoint import S3Server
from transfer.helpers import item_for, sha256, write

from bat_core.errors import CancelledError, S3Error
from bat_core.progress import CancelToken, ProgressEvent
from bat_core.s3 import open_s3_target
from bat_core.s3.checkout import checkout_pack
from bat_core.transfer import TransferItem, run_transfer

REPO = Path(__file__).resolve().parents[2]


def dedupe_target(server: S3Server, bucket: str, **kwargs: object) -> object:
    return open_s3_target(
        f"s3://{bucket}/prod",
        endpoint=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        dedupe=True,
        **kwargs,  # type: ignore[arg-type]
    )


def make_pack(root: Path, shot: str, shared: dict[str, bytes], own: dict[str, bytes]) -> list[TransferItem]:
    items = [item_for(write(root / shot / rel, data), rel) for rel, data in {**shared, **own}.items()]
    main = write(root / shot / "main.blend", b"BLENDER-v500" + shot.encode() * 1000)
    items.append(item_for(main, f"{shot}.blend", is_main=True))
    return items


def blobs(server: S3Server, bucket: str) -> dict[str, int]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="prod/blobs/")
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", ())}


@pytest.fixture
def shared_files() -> dict[str, bytes]:
    return {f"textures/shared_{n:02d}.png": os.urandom(20_000 + n) for n in range(18)}


def test_two_packs_sharing_ninety_percent_of_their_files_store_the_shared_blobs_once(
    s3_server: S3Server, bucket: str, tmp_path: Path, shared_files: dict[str, bytes]
) -> None:
    pack_a = make_pack(tmp_path, "shot_010", shared_files, {"cache/a.vdb": os.urandom(30_000)})
    pack_b = make_pack(tmp_path, "shot_020", shared_files, {"cache/b.vdb": os.urandom(30_000)})
    shared_bytes = sum(len(d) for d in shared_files.values())

    first = run_transfer(pack_a, dedupe_target(s3_server, bucket))  # type: ignore[arg-type]
    s3_server.reset_stats()
    second = run_transfer(pack_b, dedupe_target(s3_server, bucket))  # type: ignore[arg-type]

    assert first.files_sent == len(pack_a)
    assert second.files_sent == 2 and second.files_skipped == len(shared_files)
    assert second.bytes_sent == sum(i.size for i in pack_b) - shared_bytes
    # Measured at the server: the second pack's shared files never went over the wire.
    manifest_size = 8192
    assert s3_server.uploaded_bytes() < second.bytes_sent + manifest_size
    stored = blobs(s3_server, bucket)
    assert len(stored) == len(shared_files) + 4  # shared once, plus each pack's own cache and main
    for data in shared_files.values():
        import hashlib

        assert stored[f"prod/blobs/{hashlib.sha256(data).hexdigest()}-{len(data)}"] == len(data)


def test_identical_files_within_one_pack_are_uploaded_once(s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    items = [item_for(write(tmp_path / f"copy{n}.png", data), f"tex/copy{n}.png") for n in range(3)]
    result = run_transfer(items, dedupe_target(s3_server, bucket, main_pack_path="x.blend"))  # type: ignore[arg-type]
    assert (result.files_sent, result.files_skipped) == (1, 2)
    assert len(blobs(s3_server, bucket)) == 1


def test_the_manifest_maps_every_pack_path_to_its_blob_and_is_named_after_the_main_blend(
    s3_server: S3Server, bucket: str, tmp_path: Path, shared_files: dict[str, bytes]
) -> None:
    items = make_pack(tmp_path, "shot_010", shared_files, {})
    target = dedupe_target(s3_server, bucket)
    run_transfer(items, target)  # type: ignore[arg-type]

    info = target.result_info()  # type: ignore[attr-defined]
    assert info["manifest_key"] == "prod/packs/shot_010.blend.json"
    assert info["manifest_url"] == f"s3://{bucket}/prod/packs/shot_010.blend.json"
    body = s3_server.client().get_object(Bucket=bucket, Key=info["manifest_key"])["Body"].read()
    doc = json.loads(body)
    assert doc["main"] == "shot_010.blend"
    assert {f["path"]: f["sha256"] for f in doc["files"]} == {i.pack_path: sha256(i.source) for i in items}


def test_repacking_unchanged_content_uploads_nothing(
    s3_server: S3Server, bucket: str, tmp_path: Path, shared_files: dict[str, bytes]
) -> None:
    items = make_pack(tmp_path, "shot_010", shared_files, {})
    run_transfer(items, dedupe_target(s3_server, bucket))  # type: ignore[arg-type]
    s3_server.reset_stats()
    result = run_transfer(items, dedupe_target(s3_server, bucket))  # type: ignore[arg-type]
    assert result.files_sent == 0
    assert s3_server.uploaded_bytes() == 0


def test_a_cancelled_dedupe_pack_stops_within_a_second_and_leaves_no_manifest(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    big = write(tmp_path / "big.bin", os.urandom(64 * 1024 * 1024))
    small = write(tmp_path / "main.blend", b"BLENDER" * 100)
    items = [item_for(big, "big.bin"), item_for(small, "main.blend", is_main=True)]
    cancel = CancelToken()
    cancelled_at: list[float] = []

    def listener(event: ProgressEvent) -> None:
        if event.stage == "transfer" and event.bytes_done > 1024 * 1024 and not cancel.cancelled:
            import time

            cancelled_at.append(time.monotonic())
            cancel.cancel()

    import time

    with pytest.raises(CancelledError):
        run_transfer(items, dedupe_target(s3_server, bucket), listener=listener, cancel=cancel)  # type: ignore[arg-type]
    assert cancelled_at, "the upload finished before it could be cancelled"
    assert time.monotonic() - cancelled_at[0] < 1.5
    listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="prod/packs/")
    assert listed.get("KeyCount", 0) == 0
    # No half-written blob is visible under its content name either.
    assert f"prod/blobs/{sha256(big)}-{big.stat().st_size}" not in blobs(s3_server, bucket)


def test_checkout_materialises_a_pack_byte_for_byte_and_keeps_what_is_already_there(
    s3_server: S3Server, bucket: str, tmp_path: Path, shared_files: dict[str, bytes]
) -> None:
    large = {"cache/fluid.vdb": os.urandom(20 * 1024 * 1024 + 7)}  # several ranged GETs
    items = make_pack(tmp_path / "src", "shot_010", shared_files, large)
    target = dedupe_target(s3_server, bucket)
    run_transfer(items, target)  # type: ignore[arg-type]
    url = target.result_info()["manifest_url"]  # type: ignore[attr-defined]
    dest = tmp_path / "farm"

    result = checkout_pack(
        url, dest, endpoint=s3_server.endpoint_url, access_key=s3_server.access_key, secret_key=s3_server.secret_key
    )

    assert result.files_downloaded == len(items) and result.files_skipped == 0
    for item in items:
        assert (dest / item.pack_path).read_bytes() == item.source.read_bytes(), item.pack_path
    (dest / "textures/shared_03.png").write_bytes(b"damaged")
    again = checkout_pack(
        url, dest, endpoint=s3_server.endpoint_url, access_key=s3_server.access_key, secret_key=s3_server.secret_key
    )
    # The damaged file, and the main .blend: removed first so a half-updated folder reads as incomplete.
    assert (again.files_downloaded, again.files_skipped) == (2, len(items) - 2)
    assert (dest / "textures/shared_03.png").read_bytes() == shared_files["textures/shared_03.png"]


def test_checkout_refuses_a_blob_whose_content_does_not_match_its_name(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    item = item_for(write(tmp_path / "a.png", os.urandom(1000)), "a.png")
    target = dedupe_target(s3_server, bucket, main_pack_path="a.png")
    run_transfer([item], target)  # type: ignore[arg-type]
    blob = next(iter(blobs(s3_server, bucket)))
    s3_server.client().put_object(Bucket=bucket, Key=blob, Body=os.urandom(1000))

    with pytest.raises(S3Error, match="does not hold the content its name promises"):
        checkout_pack(
            target.result_info()["manifest_url"],  # type: ignore[attr-defined]
            tmp_path / "out",
            endpoint=s3_server.endpoint_url,
            access_key=s3_server.access_key,
            secret_key=s3_server.secret_key,
        )
    assert not (tmp_path / "out" / "a.png").exists()


def test_s3_checkout_command_line_takes_credentials_from_the_environment(
    s3_server: S3Server, bucket: str, tmp_path: Path, shared_files: dict[str, bytes]
) -> None:
    items = make_pack(tmp_path / "src", "shot_010", shared_files, {})
    target = dedupe_target(s3_server, bucket)
    run_transfer(items, target)  # type: ignore[arg-type]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=s3_server.access_key, AWS_SECRET_ACCESS_KEY=s3_server.secret_key)
    url = target.result_info()["manifest_url"]  # type: ignore[attr-defined]
    done = subprocess.run(
        [sys.executable, "-m", "bat_core", "s3-checkout", url, str(tmp_path / "out"), "--s3-endpoint",
         s3_server.endpoint_url, "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert facts["files_downloaded"] == len(items) and facts["main"] == "shot_010.blend"
    for item in items:
        assert (tmp_path / "out" / item.pack_path).read_bytes() == item.source.read_bytes()
    assert s3_server.secret_key not in done.stdout + done.stderr


def test_s3_checkout_of_a_missing_manifest_is_one_clear_line(s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=s3_server.access_key, AWS_SECRET_ACCESS_KEY=s3_server.secret_key)
    done = subprocess.run(
        [sys.executable, "-m", "bat_core", "s3-checkout", f"s3://{bucket}/prod/packs/nope.json",
         str(tmp_path / "out"), "--s3-endpoint", s3_server.endpoint_url],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"bat: error: no pack manifest at s3://{bucket}/prod/packs/nope.json ({s3_server.endpoint_url}): check the URL"
    ]
