# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the loopback S3 server (moto_process.py) and talk to its test controls."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent


@dataclass
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str = field(repr=False)
    denied_access_key: str
    denied_secret_key: str = field(repr=False)

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def stats(self) -> dict[str, dict[str, int]]:
        answer: dict[str, dict[str, int]] = requests.get(f"{self.endpoint_url}/__bat/stats", timeout=10).json()
        return answer

    def reset_stats(self) -> None:
        requests.post(f"{self.endpoint_url}/__bat/reset", timeout=10).raise_for_status()

    def throttle(self, count: int) -> None:
        requests.post(f"{self.endpoint_url}/__bat/throttle", params={"count": count}, timeout=10).raise_for_status()

    def fail_next(self, count: int, code: str = "ExpiredToken", status: str = "400 Bad Request") -> None:
        """The next `count` S3 requests answer with this S3 error code."""
        requests.post(
            f"{self.endpoint_url}/__bat/fail", params={"count": count, "code": code, "status": status}, timeout=10
        ).raise_for_status()

    def uploaded_bytes(self) -> int:
        """Request-body bytes the server received in PUT and POST requests since the last reset."""
        body = self.stats()["body_bytes"]
        return body.get("PUT", 0) + body.get("POST", 0)


def start_moto(extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, **(extra_env or {}))
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "moto_process.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"moto server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def stop_moto(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
