# SPDX-License-Identifier: GPL-3.0-or-later
"""A real S3 endpoint for the tests: moto's server in its own process on 127.0.0.1.

The server checks credentials (moto's IAM authentication): the first few requests create
two users without authentication, every later request must be signed by a known key. One
user may do anything in S3, the other nothing (for "access denied").
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from s3.endpoint import S3Server, start_moto, stop_moto
from transfer.helpers import SourceTree, make_source_tree

# create_user + create_access_key + put_user_policy for the full user, then
# create_user + create_access_key for the powerless one: exactly this many unsigned calls.
_SETUP_CALLS = 5


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    pytest.importorskip("boto3")
    # Only looked up, never imported here: importing moto hooks into botocore in-process,
    # and these tests must talk HTTP to a server in another process.
    if importlib.util.find_spec("moto") is None:
        pytest.skip("moto is not installed")
    import boto3

    proc, url = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": str(_SETUP_CALLS)})
    try:
        iam = boto3.client(
            "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup"
        )
        iam.create_user(UserName="packer")
        key = iam.create_access_key(UserName="packer")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="packer", PolicyName="s3", PolicyDocument=json.dumps(policy))
        iam.create_user(UserName="nobody")
        denied = iam.create_access_key(UserName="nobody")["AccessKey"]
        yield S3Server(
            url, key["AccessKeyId"], key["SecretAccessKey"], denied["AccessKeyId"], denied["SecretAccessKey"]
        )
    finally:
        stop_moto(proc)


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    name = f"bat-{int(time.time() * 1000) % 10**9}-{secrets.token_hex(3)}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture(autouse=True)
def no_ambient_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see no AWS settings of the machine they run on, and never ask a metadata service."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def source_tree(tmp_path: Path) -> SourceTree:
    return make_source_tree(tmp_path)
