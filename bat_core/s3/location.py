# SPDX-License-Identifier: GPL-3.0-or-later
"""Where an S3 target points: endpoint, bucket and key prefix, parsed from a target URL.

Two spellings are accepted:

* ``s3:/ENDPOINT/bucket/path/in/bucket`` — the reference tool's form: the endpoint host
  (optionally ``host:port``) comes first and is always reached over https;
* ``s3://bucket/path/in/bucket`` — the usual S3 form; the endpoint comes from
  ``--s3-endpoint URL`` (any scheme, e.g. ``http://127.0.0.1:9000`` for a local MinIO)
  or, without one, from boto3's own configuration (AWS itself, or ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import S3Error

# Loose on purpose: AWS's own rules are stricter (lower case, 3-63 characters), but Ceph
# and older MinIO accept legacy names, and the server is the judge of what exists.
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$")


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (no leading or trailing '/'; '' is the bucket root)."""

    bucket: str
    prefix: str
    endpoint_url: str | None
    """``scheme://host[:port]``, or None for boto3's default (AWS)."""

    @property
    def endpoint_host(self) -> str:
        """``host[:port]`` of the endpoint ('' for the default AWS endpoint)."""
        return urlsplit(self.endpoint_url).netloc if self.endpoint_url else ""

    def key(self, relative: str) -> str:
        """The object key of ``relative`` (a checked pack path or store path) under the prefix."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def url(self, key: str | None = None) -> str:
        """A target URL for ``key`` (default: the prefix) that ``parse_s3_url`` reads back.

        With a custom https endpoint the reference tool's ``s3:/HOST/...`` form is used so
        the URL alone is enough; otherwise ``s3://bucket/key`` (give the endpoint too).
        """
        path = self.prefix if key is None else key
        tail = f"/{path}" if path else ""
        if self.endpoint_url and self.endpoint_url.startswith("https://"):
            return f"s3:/{self.endpoint_host}/{self.bucket}{tail}"
        return f"s3://{self.bucket}{tail}"

    def describe(self) -> str:
        where = self.endpoint_url or "AWS"
        return f"S3 s3://{self.bucket}/{self.prefix} at {where}"


def is_s3_url(url: str) -> bool:
    return url.startswith("s3:")


def parse_s3_url(url: str, *, endpoint: str | None = None) -> S3Location:
    """Parse a target URL; ``endpoint`` is the ``--s3-endpoint`` value, if any."""
    if url.startswith("s3://"):
        rest = url[len("s3://") :]
        endpoint_url = normalise_endpoint(endpoint) if endpoint else None
    elif url.startswith("s3:/"):
        rest = url[len("s3:/") :]
        host, _, rest = rest.partition("/")
        if not host or not _HOST.match(host):
            raise S3Error(f"S3 target {url!r}: expected s3:/ENDPOINT-HOST/bucket/path, the host is missing or invalid")
        from_url = f"https://{host}"
        if endpoint and normalise_endpoint(endpoint) != from_url:
            raise S3Error(
                f"S3 target {url!r} names endpoint {host} but --s3-endpoint says {endpoint}; "
                "use s3://bucket/path with --s3-endpoint, or drop --s3-endpoint"
            )
        endpoint_url = from_url
    else:
        raise S3Error(f"S3 target {url!r}: expected s3://bucket/path or s3:/ENDPOINT-HOST/bucket/path")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise S3Error(f"S3 target {url!r}: the bucket name is missing")
    if not _BUCKET.match(bucket):
        raise S3Error(f"S3 target {url!r}: {bucket!r} is not a valid bucket name")
    return S3Location(bucket=bucket, prefix=_clean_prefix(prefix, url), endpoint_url=endpoint_url)


def normalise_endpoint(endpoint: str) -> str:
    """``scheme://host[:port]`` from an endpoint URL; a bare host means https."""
    raw = endpoint.strip()
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise S3Error(f"S3 endpoint {endpoint!r}: only http:// and https:// endpoints are supported")
    if "@" in parts.netloc:
        # Not echoed: the part before '@' may be a password.
        raise S3Error(
            "S3 endpoint: a user name or password in the endpoint URL is not supported; "
            "give the keys in the settings, the environment or ~/.aws/credentials"
        )
    if not parts.netloc or not _HOST.match(parts.netloc):
        raise S3Error(f"S3 endpoint {endpoint!r}: expected scheme://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise S3Error(f"S3 endpoint {endpoint!r}: expected scheme://host[:port] with no path")
    return f"{parts.scheme}://{parts.netloc}"


def _clean_prefix(prefix: str, url: str) -> str:
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") for p in parts) or "\\" in prefix or "\x00" in prefix:
        raise S3Error(f"S3 target {url!r}: the path in the bucket may not contain '.', '..' or backslashes")
    return "/".join(parts)
