# SPDX-License-Identifier: GPL-3.0-or-later
"""Send packs to S3-compatible storage, and check content-addressed packs out of it.

boto3 is imported only when a target connects, so this package imports without it.
"""

from __future__ import annotations

from .credentials import Credentials, DefaultChain, resolve_credentials
from .location import S3Location, is_s3_url, normalise_endpoint, parse_s3_url
from .target import INCOMPLETE_MARKER, S3Target

__all__ = [
    "INCOMPLETE_MARKER",
    "Credentials",
    "DefaultChain",
    "S3Location",
    "S3Target",
    "is_s3_url",
    "normalise_endpoint",
    "open_s3_target",
    "parse_s3_url",
    "resolve_credentials",
]


def open_s3_target(
    url: str,
    *,
    endpoint: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    dedupe: bool = False,
    main_pack_path: str | None = None,
    workers: int = 4,
    max_attempts: int = 5,
) -> S3Target:
    """An S3 target for ``url`` (``s3://bucket/path`` or ``s3:/ENDPOINT/bucket/path``).

    Parses and resolves credentials now (so bad input fails before any packing work);
    connects only when the transfer begins. ``max_attempts`` counts the first try of a
    request plus boto3's retries (throttling, dropped connections).
    """
    location = parse_s3_url(url, endpoint=endpoint)
    credentials = resolve_credentials(location.endpoint_host, access_key=access_key, secret_key=secret_key)
    return S3Target(
        location,
        credentials,
        region=region,
        dedupe=dedupe,
        main_pack_path=main_pack_path,
        workers=workers,
        max_attempts=max_attempts,
    )
