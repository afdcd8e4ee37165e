# SPDX-License-Identifier: GPL-3.0-or-later
"""What a user sees when S3 goes wrong: one line that says what to do, and never a secret."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest
from s3.endpoint import S3Server
from transfer.helpers import SourceTree

from bat_core.errors import (
    CancelledError,
    S3AccessDeniedError,
    S3BucketMissingError,
    S3CredentialsError,
    S3ThrottledError,
    S3UnreachableError,
)
from bat_core.progress import CancelToken, ProgressEvent
from bat_core.s3 import INCOMPLETE_MARKER, open_s3_target
from bat_core.transfer import run_transfer

WRONG_SECRET = "wRoNg/SeCrEt+kEy0123456789abcdefghijKLMN"


def send(
    tree: SourceTree,
    url: str,
    *,
    endpoint: str | None,
    access_key: str,
    secret_key: str,
    events: list[ProgressEvent],
    max_attempts: int = 5,
) -> None:
    target = open_s3_target(
        url, endpoint=endpoint, access_key=access_key, secret_key=secret_key, max_attempts=max_attempts
    )
    run_transfer(tree.items, target, listener=events.append)


def everything_said(exc: BaseException, events: list[ProgressEvent], caplog: pytest.LogCaptureFixture) -> str:
    chain = []
    seen: BaseException | None = exc
    while seen is not None:
        chain.append(f"{type(seen).__name__}: {seen!s} {seen!r}")
        seen = seen.__cause__ or seen.__context__
    return "\n".join(chain) + "\n".join(repr(e) for e in events) + caplog.text


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    # Capture boto3's own debug logging too: a secret must not leak through it either.
    caplog.set_level(logging.DEBUG)


def test_a_wrong_secret_key_is_reported_as_bad_credentials_without_the_secret(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[ProgressEvent] = []
    with pytest.raises(S3CredentialsError) as info:
        send(
            source_tree,
            f"s3://{bucket}/p",
            endpoint=s3_server.endpoint_url,
            access_key=s3_server.access_key,
            secret_key=WRONG_SECRET,
            events=events,
        )
    message = str(info.value)
    assert "rejected the S3 credentials from the explicit settings (SignatureDoesNotMatch)" in message
    assert "check the access key and secret key" in message and "\n" not in message
    assert WRONG_SECRET not in everything_said(info.value, events, caplog)
    assert any(e.error for e in events)


def test_an_unknown_access_key_is_reported_as_bad_credentials(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[ProgressEvent] = []
    with pytest.raises(S3CredentialsError, match=r"\(InvalidAccessKeyId\)"):
        send(
            source_tree,
            f"s3://{bucket}/p",
            endpoint=s3_server.endpoint_url,
            access_key="AKIANOTAREALKEY00000",
            secret_key=WRONG_SECRET,
            events=events,
        )


def test_no_credentials_anywhere_says_where_to_put_them(
    s3_server: S3Server, bucket: str, source_tree: SourceTree
) -> None:
    target = open_s3_target(f"s3://{bucket}/p", endpoint=s3_server.endpoint_url)
    with pytest.raises(S3CredentialsError) as info:
        run_transfer(source_tree.items, target)
    assert str(info.value) == (
        f"no S3 credentials for {s3_server.endpoint_url}: set them in the add-on preferences, in "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or in a [127.0.0.1:"
        f"{s3_server.endpoint_url.rsplit(':', 1)[1]}] section of ~/.aws/credentials"
    )


def test_a_missing_bucket_is_named(s3_server: S3Server, source_tree: SourceTree) -> None:
    events: list[ProgressEvent] = []
    with pytest.raises(S3BucketMissingError) as info:
        send(
            source_tree,
            "s3://no-such-bucket-here/p",
            endpoint=s3_server.endpoint_url,
            access_key=s3_server.access_key,
            secret_key=s3_server.secret_key,
            events=events,
        )
    assert str(info.value) == (
        f"bucket 'no-such-bucket-here' does not exist at {s3_server.endpoint_url}: "
        "create it, or fix the bucket name in the target"
    )


def test_credentials_without_permission_are_reported_as_access_denied(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[ProgressEvent] = []
    with pytest.raises(S3AccessDeniedError) as info:
        send(
            source_tree,
            f"s3://{bucket}/p",
            endpoint=s3_server.endpoint_url,
            access_key=s3_server.denied_access_key,
            secret_key=s3_server.denied_secret_key,
            events=events,
        )
    assert f"need list, read and write permission on s3://{bucket}/p" in str(info.value)
    assert s3_server.denied_secret_key not in everything_said(info.value, events, caplog)


def test_an_unreachable_endpoint_fails_fast_with_what_to_check(
    source_tree: SourceTree, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    events: list[ProgressEvent] = []
    started = time.monotonic()
    with pytest.raises(S3UnreachableError) as info:
        send(
            source_tree,
            "s3://bucket/p",
            endpoint=f"http://127.0.0.1:{port}",
            access_key="AKIAEXAMPLE",
            secret_key=WRONG_SECRET,
            events=events,
            max_attempts=2,
        )
    assert time.monotonic() - started < 10
    assert str(info.value) == (
        f"cannot reach S3 endpoint http://127.0.0.1:{port} while listing s3://bucket/p/: the connection failed "
        "after 2 attempts; check the address and port and that the server is running"
    )
    assert WRONG_SECRET not in everything_said(info.value, events, caplog)


def test_throttling_that_outlasts_the_retries_says_so(
    s3_server: S3Server, bucket: str, source_tree: SourceTree
) -> None:
    s3_server.throttle(1000)
    try:
        with pytest.raises(S3ThrottledError) as info:
            send(
                source_tree,
                f"s3://{bucket}/p",
                endpoint=s3_server.endpoint_url,
                access_key=s3_server.access_key,
                secret_key=s3_server.secret_key,
                events=[],
                max_attempts=3,
            )
    finally:
        s3_server.throttle(0)
    assert str(info.value) == (
        f"{s3_server.endpoint_url} kept throttling requests (SlowDown) while listing s3://{bucket}/p/, "
        "after 3 attempts: try again later or with fewer parallel uploads"
    )
    assert s3_server.stats()["requests"]["GET"] >= 3  # it really retried


def test_brief_throttling_is_ridden_out_by_retries(s3_server: S3Server, bucket: str, source_tree: SourceTree) -> None:
    s3_server.throttle(3)  # the listing and some uploads get "slow down" once
    target = open_s3_target(
        f"s3://{bucket}/p",
        endpoint=s3_server.endpoint_url,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    result = run_transfer(source_tree.items, target)
    assert result.files_sent == len(source_tree.items)
    client = s3_server.client()
    for item in source_tree.items:
        assert client.get_object(Bucket=bucket, Key=f"p/{item.pack_path}")["Body"].read() == item.source.read_bytes()


def test_a_cancelled_plain_pack_stops_within_a_second_and_reads_as_incomplete(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, tmp_path: Path
) -> None:
    import os

    from transfer.helpers import item_for, write

    big = write(tmp_path / "big.bin", os.urandom(64 * 1024 * 1024))
    items = [*source_tree.items, item_for(big, "cache/big.bin")]
    cancel = CancelToken()
    cancelled_at: list[float] = []

    def listener(event: ProgressEvent) -> None:
        if event.stage == "transfer" and event.bytes_done > 2 * 1024 * 1024 and not cancel.cancelled:
            cancelled_at.append(time.monotonic())
            cancel.cancel()

    target = open_s3_target(
        f"s3://{bucket}/p",
        endpoint=s3_server.endpoint_url,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    with pytest.raises(CancelledError):
        run_transfer(items, target, listener=listener, cancel=cancel)
    assert cancelled_at and time.monotonic() - cancelled_at[0] < 1.5
    client = s3_server.client()
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="p/").get("Contents", ())}
    assert f"p/{INCOMPLETE_MARKER}" in keys
    assert "p/shot.blend" not in keys and "p/cache/big.bin" not in keys
    time.sleep(0.5)  # s3transfer aborts the multipart upload while shutting down
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_secrets_never_appear_in_reprs(s3_server: S3Server, bucket: str) -> None:
    target = open_s3_target(f"s3://{bucket}/p", endpoint=s3_server.endpoint_url, access_key="AK", secret_key="SEKRIT")
    assert "SEKRIT" not in repr(target) + repr(target.__dict__) + repr(target.result_info())
