# SPDX-License-Identifier: GPL-3.0-or-later
"""A boto3 S3 client and transfer manager for one location, and one-line errors for its failures.

boto3 is imported here, lazily, so ``bat_core`` imports (and every other target works)
on a Python without boto3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import (
    BatError,
    S3AccessDeniedError,
    S3BucketMissingError,
    S3CredentialsError,
    S3Error,
    S3ThrottledError,
    S3UnreachableError,
)
from .credentials import Credentials, DefaultChain
from .location import S3Location

DEFAULT_REGION = "us-east-1"
# Files below this go up in one PUT; above it in parts of this size, several in parallel.
# Larger than boto3's 8 MiB default: fewer requests per large file, still small enough
# that a cancel or a retry of one part costs little.
MULTIPART_THRESHOLD = 16 * 1024 * 1024
MULTIPART_CHUNKSIZE = 16 * 1024 * 1024

_CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "InvalidClientTokenId",
        "TokenRefreshRequired",
        "InvalidSecurity",
    }
)
_ACCESS_CODES = frozenset({"AccessDenied", "AllAccessDisabled", "Forbidden", "403", "AccountProblem"})
_THROTTLE_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "503"}
)


@dataclass(frozen=True)
class S3Connection:
    """What every request needs: the location, where the credentials came from, the client."""

    location: S3Location
    credentials_source: str
    client: Any
    max_attempts: int

    def endpoint_name(self) -> str:
        return self.location.endpoint_url or "AWS S3"

    def transfer_manager(self, max_concurrency: int) -> Any:
        from boto3.s3.transfer import TransferConfig, create_transfer_manager

        config = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=MULTIPART_CHUNKSIZE,
            max_concurrency=max_concurrency,
            use_threads=True,
        )
        return create_transfer_manager(self.client, config)

    def error(self, exc: BaseException, doing: str) -> BaseException:
        """A one-line BatError for a botocore/s3transfer failure while ``doing`` something.

        Exceptions that are not about S3 (ours, cancellations, OSError) come back as they are.
        """
        return translate_error(exc, self, doing)


def connect(
    location: S3Location,
    credentials: Credentials | DefaultChain,
    *,
    region: str | None = None,
    max_pool: int = 10,
    max_attempts: int = 5,
    connect_timeout_s: float = 10.0,
    read_timeout_s: float = 60.0,
) -> S3Connection:
    try:
        import boto3.session
        from botocore.config import Config
    except ImportError:
        raise S3Error("S3 targets need boto3, which is not installed: pip install boto3") from None
    if isinstance(credentials, Credentials):
        session = boto3.session.Session(
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.session_token,
        )
    else:
        session = boto3.session.Session()
    config = Config(
        region_name=region or session.region_name or DEFAULT_REGION,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
        max_pool_connections=max_pool,
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        # Path-style keeps bucket names out of host names: MinIO, Ceph and loopback
        # endpoints (an IP address has no sub-domains) need it.
        s3={"addressing_style": "path"} if location.endpoint_url else {},
        # Content identity is our SHA-256 metadata; extra CRC trailers only trip up older
        # S3-compatible servers.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra="blender-asset-tracer",
    )
    client = session.client("s3", endpoint_url=location.endpoint_url, config=config)
    return S3Connection(location, credentials.source, client, max_attempts)


def translate_error(exc: BaseException, conn: S3Connection, doing: str) -> BaseException:
    if isinstance(exc, BatError) or not isinstance(exc, Exception):
        return exc
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover - connect() already needed botocore
        return exc
    endpoint = conn.endpoint_name()
    loc = conn.location
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        host = loc.endpoint_host or "HOST"
        return S3CredentialsError(
            f"no S3 credentials for {endpoint}: set them in the add-on preferences, in "
            f"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or in a [{host}] section of ~/.aws/credentials"
        )
    if isinstance(exc, bx.ClientError):
        return _client_error(exc, conn, doing)
    if isinstance(exc, bx.SSLError):
        return S3UnreachableError(
            f"cannot reach S3 endpoint {endpoint}: the TLS handshake failed; check that the endpoint "
            "speaks https with a trusted certificate (or use http:// for a local test server)"
        )
    unreachable = (
        bx.EndpointConnectionError,
        bx.ConnectTimeoutError,
        bx.ReadTimeoutError,
        bx.ConnectionClosedError,
        bx.ProxyConnectionError,
    )
    if isinstance(exc, unreachable):
        what = {
            bx.ConnectTimeoutError: "the connection timed out",
            bx.ReadTimeoutError: "the server stopped answering",
            bx.ConnectionClosedError: "the server closed the connection",
        }.get(type(exc), "the connection failed")
        return S3UnreachableError(
            f"cannot reach S3 endpoint {endpoint} while {doing}: {what} after {conn.max_attempts} attempts; "
            "check the address and port and that the server is running"
        )
    if isinstance(exc, bx.BotoCoreError):
        return S3Error(f"S3 endpoint {endpoint}: {doing} failed: {type(exc).__name__}")
    return exc


def _client_error(exc: Any, conn: S3Connection, doing: str) -> S3Error:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) or {}
    meta = response.get("ResponseMetadata", {}) or {}
    code = str(error.get("Code") or meta.get("HTTPStatusCode") or "unknown")
    status = meta.get("HTTPStatusCode")
    endpoint = conn.endpoint_name()
    loc = conn.location
    if code in _CREDENTIAL_CODES:
        return S3CredentialsError(
            f"{endpoint} rejected the S3 credentials from {conn.credentials_source} ({code}) while {doing}: "
            "check the access key and secret key"
        )
    if code in ("NoSuchBucket", "404") and doing.startswith("listing"):
        return S3BucketMissingError(
            f"bucket {loc.bucket!r} does not exist at {endpoint}: create it, or fix the bucket name in the target"
        )
    if code == "NoSuchBucket":
        return S3BucketMissingError(f"bucket {loc.bucket!r} disappeared from {endpoint} while {doing}")
    if code in _ACCESS_CODES or status == 403:
        return S3AccessDeniedError(
            f"{endpoint} denied access while {doing}: the credentials from {conn.credentials_source} "
            f"need list, read and write permission on s3://{loc.bucket}/{loc.prefix}"
        )
    if code in _THROTTLE_CODES or status == 503:
        attempts = int(meta.get("RetryAttempts", conn.max_attempts - 1)) + 1
        return S3ThrottledError(
            f"{endpoint} kept throttling requests ({code}) while {doing}, after {attempts} attempts: "
            "try again later or with fewer parallel uploads"
        )
    message = str(error.get("Message") or "").strip()
    detail = f": {message}" if message else ""
    return S3Error(f"{endpoint} refused {doing} ({code}{detail})")
