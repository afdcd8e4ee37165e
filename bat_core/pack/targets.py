# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn a TARGET argument into a transfer target: a folder, a .zip, S3 or a Shaman server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..transfer.directory import DirectoryTarget
from ..transfer.target import Target


@dataclass(frozen=True)
class TargetSettings:
    """Everything a remote target may need; secrets stay in here and out of messages."""

    shaman_token: str | None = None
    checkout_path: str | None = None
    checksum_cache: Path | None = None
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_dedupe: bool = False
    workers: int = 4

    def __repr__(self) -> str:  # never print the secrets
        return f"TargetSettings(checkout_path={self.checkout_path!r}, s3_endpoint={self.s3_endpoint!r})"


def target_kind(target: str) -> str:
    if target.startswith(("shaman://", "shaman+http://", "shaman+https://")):
        return "shaman"
    if target.startswith(("s3:/", "s3://")):
        return "s3"
    if target.lower().endswith(".zip"):
        return "zip"
    return "directory"


def open_target(target: str, settings: TargetSettings, main_pack_path: str) -> Target:
    kind = target_kind(target)
    if kind == "shaman":
        from ..shaman.target import open_shaman_target

        options: dict[str, Any] = {
            "token": settings.shaman_token,
            "main_pack_path": main_pack_path,
            "connections": settings.workers,
        }
        if settings.checkout_path:
            options["checkout_path"] = settings.checkout_path
        if settings.checksum_cache is not None:
            options["cache_dir"] = settings.checksum_cache
        return open_shaman_target(target, **options)
    if kind == "s3":
        from ..s3 import open_s3_target

        return open_s3_target(
            target,
            endpoint=settings.s3_endpoint,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            dedupe=settings.s3_dedupe,
            main_pack_path=main_pack_path,
            workers=settings.workers,
        )
    if kind == "zip":
        from ..transfer.ziptarget import ZipTarget

        return ZipTarget(Path(target))
    return DirectoryTarget(Path(target), workers=settings.workers)


def result_info(target: Target) -> dict[str, Any]:
    info = getattr(target, "result_info", None)
    if callable(info):
        value = info()
        if isinstance(value, dict):
            return value
    return {}
