# SPDX-License-Identifier: GPL-3.0-or-later
"""The S3 target's plain layout: the pack as the directory target would write it, re-sent only when changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from s3.endpoint import S3Server
from transfer.helpers import SourceTree, item_for, make_source_tree, write

from bat_core.progress import CancelToken, ProgressEvent, Stage
from bat_core.s3 import INCOMPLETE_MARKER, open_s3_target
from bat_core.transfer import run_transfer
from bat_core.transfer.directory import DirectoryTarget
from bat_core.transfer.target import TransferItem


def target_for(server: S3Server, bucket: str, prefix: str, **kwargs: object) -> object:
    return open_s3_target(
        f"s3://{bucket}/{prefix}",
        endpoint=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        **kwargs,  # type: ignore[arg-type]
    )


def download_prefix(server: S3Server, bucket: str, prefix: str, dest: Path) -> dict[str, bytes]:
    """Every object under ``prefix/`` written below ``dest``; returns relative path -> bytes."""
    client = server.client()
    found: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for obj in page.get("Contents", ()):
            rel = obj["Key"][len(prefix) + 1 :]
            data = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            write(dest / rel, data)
            found[rel] = data
    return found


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_pack_downloads_back_exactly_as_the_directory_target_writes_it(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, tmp_path: Path
) -> None:
    target = target_for(s3_server, bucket, "packs/shot_010")
    result = run_transfer(source_tree.items, target)  # type: ignore[arg-type]

    assert result.files_sent == len(source_tree.items)
    assert result.bytes_sent == sum(i.size for i in source_tree.items)
    downloaded = download_prefix(s3_server, bucket, "packs/shot_010", tmp_path / "down")
    run_transfer(source_tree.items, DirectoryTarget(tmp_path / "dir"))
    assert downloaded == tree_bytes(tmp_path / "dir")
    assert INCOMPLETE_MARKER not in downloaded


def test_every_object_carries_the_sha256_of_its_content(
    s3_server: S3Server, bucket: str, source_tree: SourceTree
) -> None:
    run_transfer(source_tree.items, target_for(s3_server, bucket, "p"))  # type: ignore[arg-type]
    client = s3_server.client()
    from transfer.helpers import sha256

    for item in source_tree.items:
        head = client.head_object(Bucket=bucket, Key=f"p/{item.pack_path}")
        assert head["Metadata"]["sha256"] == sha256(item.source), item.pack_path
        assert head["ContentLength"] == item.size


def test_a_second_upload_of_an_unchanged_pack_sends_no_object_data(
    s3_server: S3Server, bucket: str, source_tree: SourceTree
) -> None:
    run_transfer(source_tree.items, target_for(s3_server, bucket, "p"))  # type: ignore[arg-type]
    main = source_tree.item("shot.blend")
    main.source.write_bytes(main.source.read_bytes())  # the packer re-stages it: new mtime, same bytes
    s3_server.reset_stats()

    result = run_transfer(source_tree.items, target_for(s3_server, bucket, "p"))  # type: ignore[arg-type]

    assert (result.files_sent, result.bytes_sent) == (0, 0)
    assert result.files_skipped == len(source_tree.items)
    stats = s3_server.stats()
    assert s3_server.uploaded_bytes() == 0
    assert stats["requests"].get("PUT", 0) == 0 and stats["requests"].get("DELETE", 0) == 0


def test_a_changed_file_is_uploaded_again_with_the_main_blend_and_nothing_else(
    s3_server: S3Server, bucket: str, source_tree: SourceTree
) -> None:
    run_transfer(source_tree.items, target_for(s3_server, bucket, "p"))  # type: ignore[arg-type]
    wood = source_tree.item("textures/wood.png")
    data = bytearray(wood.source.read_bytes())
    data[1234] ^= 0xFF  # same size: only the SHA-256 tells
    wood.source.write_bytes(bytes(data))
    s3_server.reset_stats()

    result = run_transfer(source_tree.items, target_for(s3_server, bucket, "p"))  # type: ignore[arg-type]

    main = source_tree.item("shot.blend")
    assert result.files_sent == 2
    assert result.bytes_sent == wood.size + main.size
    # Object data plus the small marker object: nothing of the unchanged files.
    assert wood.size + main.size <= s3_server.uploaded_bytes() < wood.size + main.size + 4096
    got = s3_server.client().get_object(Bucket=bucket, Key="p/textures/wood.png")["Body"].read()
    assert got == bytes(data)


def test_objects_uploaded_by_other_tools_without_a_sha256_are_replaced(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    tree = make_source_tree(tmp_path)
    client = s3_server.client()
    for item in tree.items:  # same keys and sizes, but no identity to trust
        client.put_object(Bucket=bucket, Key=f"p/{item.pack_path}", Body=item.source.read_bytes())

    result = run_transfer(tree.items, target_for(s3_server, bucket, "p"))  # type: ignore[arg-type]

    assert result.files_sent == len(tree.items)


def test_a_large_file_goes_up_in_parts_and_comes_back_identical(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    big = write(tmp_path / "src" / "cache.vdb", os.urandom(40 * 1024 * 1024 + 12345))
    main = write(tmp_path / "src" / "main.blend", b"BLENDER" + os.urandom(1000))
    items = [item_for(big, "cache/cache.vdb"), item_for(main, "main.blend", is_main=True)]
    s3_server.reset_stats()
    events: list[ProgressEvent] = []
    target: Any = target_for(s3_server, bucket, "big")
    steps: list[int] = []  # the bytes the target reported for the big file, report by report
    send = target.send

    def recording_send(item: TransferItem, on_bytes: Callable[[int], None], cancel: CancelToken) -> object:
        def counted(n: int) -> None:
            if item.pack_path == "cache/cache.vdb":
                steps.append(n)
            on_bytes(n)

        return send(item, counted, cancel)

    target.send = recording_send
    run_transfer(items, target, listener=events.append)

    got = s3_server.client().get_object(Bucket=bucket, Key="big/cache/cache.vdb")["Body"].read()
    assert got == big.read_bytes()
    # A multipart upload: one initiating and one completing POST besides the part PUTs.
    assert s3_server.stats()["requests"].get("POST", 0) >= 2
    transfer = [e for e in events if e.stage is Stage.TRANSFER]
    done = [e.bytes_done for e in transfer]
    assert done == sorted(done) and done[-1] == big.stat().st_size + main.stat().st_size
    # Progress moved during the big file, not only at its end: the target reported it part by
    # part. (Counting distinct progress events instead depended on the upload outlasting a few
    # of the engine's 0.1 s reporting intervals, which a fast loopback upload did not.)
    assert len(steps) > 3 and sum(steps) == big.stat().st_size, steps


def test_the_result_names_where_the_pack_went_and_never_a_secret(
    s3_server: S3Server, bucket: str, source_tree: SourceTree
) -> None:
    target = target_for(s3_server, bucket, "a/b")
    info = target.result_info()  # type: ignore[attr-defined]
    assert info["url"] == f"s3://{bucket}/a/b"
    assert info["endpoint"] == s3_server.endpoint_url
    assert info["credentials_source"] == "the explicit settings"
    text = repr(info) + repr(target) + target.describe()  # type: ignore[attr-defined]
    assert s3_server.secret_key not in text and s3_server.access_key not in text


def test_the_endpoint_is_a_server_in_another_process_not_an_in_process_mock(s3_server: S3Server) -> None:
    import socket
    from urllib.parse import urlsplit

    # A real listening socket on loopback, answering HTTP: not a patched boto3 in this process.
    parts = urlsplit(s3_server.endpoint_url)
    assert parts.hostname == "127.0.0.1"
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(12).startswith(b"HTTP/1.")


def test_checking_a_previous_pack_reports_hash_progress_up_to_the_bytes_compared(
    s3_server: S3Server, bucket: str, source_tree: SourceTree
) -> None:
    run_transfer(source_tree.items, target_for(s3_server, bucket, "p"))  # type: ignore[arg-type]
    events: list[ProgressEvent] = []
    run_transfer(source_tree.items, target_for(s3_server, bucket, "p"), listener=events.append)  # type: ignore[arg-type]
    hashing = [e for e in events if e.stage is Stage.HASH]
    total = sum(i.size for i in source_tree.items)
    assert hashing and hashing[-1].bytes_done == hashing[-1].bytes_total == total
    assert hashing[-1].files_done == len(source_tree.items)
    assert "compared 8 files with S3" in hashing[-1].message
