# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m bat_core pack ... s3://...`` end to end: the report counts real uploads only,
and a wrong secret gives one line on stderr with the secret nowhere in any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from blendgen.production import Production
from s3.endpoint import S3Server

pytestmark = pytest.mark.bpy

REPO = Path(__file__).resolve().parents[2]
WRONG_SECRET = "NotTheRealSecret/4f9a+ZZZZZZZZZZZZZZZZZZZZ"


def bat_pack(
    production: Production, target: str, server: S3Server, secret: str, report: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=server.access_key, AWS_SECRET_ACCESS_KEY=secret)
    return subprocess.run(
        [sys.executable, "-m", "bat_core", "pack", str(production.main), target, "--project", str(production.root),
         "--s3-endpoint", server.endpoint_url, "--report", str(report), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_report_counts_only_real_uploads(
    s3_server: S3Server, bucket: str, productions: dict[str, Production], tmp_path: Path
) -> None:
    production = productions["image_single"]
    target = f"s3://{bucket}/shot"
    first = bat_pack(production, target, s3_server, s3_server.secret_key, tmp_path / "first.json")
    assert first.returncode == 0, first.stderr
    s3_server.reset_stats()
    second = bat_pack(production, target, s3_server, s3_server.secret_key, tmp_path / "second.json")
    assert second.returncode == 0, second.stderr

    one = json.loads((tmp_path / "first.json").read_text())
    two = json.loads((tmp_path / "second.json").read_text())
    assert one["uploaded_files"] == one["total_files"] > 1
    assert one["uploaded_bytes"] == one["total_bytes"]
    assert (two["uploaded_files"], two["uploaded_bytes"]) == (0, 0)
    assert s3_server.uploaded_bytes() == 0
    for text in (first.stdout, first.stderr, second.stdout, second.stderr, json.dumps(one), json.dumps(two)):
        assert s3_server.secret_key not in text


def test_a_wrong_secret_is_one_line_and_never_printed(
    s3_server: S3Server, bucket: str, productions: dict[str, Production], tmp_path: Path
) -> None:
    production = productions["image_single"]
    done = bat_pack(production, f"s3://{bucket}/shot", s3_server, WRONG_SECRET, tmp_path / "r.json")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("bat: error: ")
    assert "rejected the S3 credentials" in lines[-1] and "check the access key and secret key" in lines[-1]
    assert "Traceback" not in done.stderr
    report = (tmp_path / "r.json").read_text() if (tmp_path / "r.json").exists() else ""
    assert WRONG_SECRET not in done.stdout + done.stderr + report
