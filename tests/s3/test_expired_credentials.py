# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials that expire in the middle of a pack: a one-line error that says so, no secret in it,
and no pack that looks complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from blendgen.production import Production
from s3.endpoint import S3Server

from bat_core.api import PackOptions, pack
from bat_core.errors import BatError


def test_expired_credentials_stop_the_pack_with_a_clear_message(
    productions: dict[str, Production], s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    production = productions["library_chain"]
    options = PackOptions(
        blend=production.main,
        target=f"s3://{bucket}/expired",
        project=production.root,
        s3_endpoint=s3_server.endpoint_url,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_region="us-east-1",
    )
    s3_server.fail_next(1000, code="ExpiredToken")
    with pytest.raises(BatError) as info:
        pack(options)
    message = str(info.value)
    assert "\n" not in message.strip()
    assert "credential" in message.lower() or "expired" in message.lower(), message
    assert s3_server.secret_key not in message and s3_server.access_key not in message
    s3_server.fail_next(0)
    listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="expired/")
    keys = {o["Key"] for o in listed.get("Contents", [])}
    main_key = "expired/" + str(production.main.relative_to(production.root))
    assert main_key not in keys, "a pack without its main .blend never looks complete"
