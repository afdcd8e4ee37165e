# SPDX-License-Identifier: GPL-3.0-or-later
"""Which S3 credentials to use; the first source that has them wins.

1. explicit values (the add-on's preferences, or a caller of ``open_s3_target``);
2. the standard environment variables ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``
   (and ``AWS_SESSION_TOKEN``);
3. a section named after the endpoint host in ``~/.aws/credentials`` (or the file named by
   ``AWS_SHARED_CREDENTIALS_FILE``): ``[host:port]`` first, then ``[host]``. This is how
   the reference tool keeps keys for non-AWS endpoints apart from AWS profiles;
4. boto3's default chain (profiles, SSO, container and instance roles, ...).

Secrets never leave this object except into boto3: the dataclass hides them from
``repr``, and no message here quotes a file's content, only its name.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import S3CredentialsError


@dataclass(frozen=True)
class Credentials:
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    source: str = ""
    """Where they came from, for messages: never the values themselves."""


@dataclass(frozen=True)
class DefaultChain:
    """No explicit credentials: boto3 looks them up itself."""

    source: str = "boto3's default credential chain"


def resolve_credentials(
    endpoint_host: str,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials | DefaultChain:
    env = os.environ if environ is None else environ
    if access_key or secret_key:
        if not (access_key and secret_key):
            raise S3CredentialsError(
                "S3 credentials: an access key was given without its secret key (or the other way "
                "round); give both, or neither to use the environment or ~/.aws/credentials"
            )
        return Credentials(access_key, secret_key, None, "the explicit settings")
    env_key, env_secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if env_key and env_secret:
        token = env.get("AWS_SESSION_TOKEN") or None
        return Credentials(env_key, env_secret, token, "the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment")
    if endpoint_host:
        found = _from_credentials_file(_credentials_file(env), endpoint_host)
        if found is not None:
            return found
    return DefaultChain()


def _credentials_file(env: Mapping[str, str]) -> Path:
    named = env.get("AWS_SHARED_CREDENTIALS_FILE")
    return Path(named).expanduser() if named else Path.home() / ".aws" / "credentials"


def _from_credentials_file(path: Path, endpoint_host: str) -> Credentials | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise S3CredentialsError(f"S3 credentials: cannot read {path}: {type(exc).__name__}") from None
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error:
        # configparser quotes the offending line, which may hold a secret: say only where.
        raise S3CredentialsError(
            f"S3 credentials: {path} is not a valid INI file; fix it or remove the section for {endpoint_host}"
        ) from None
    host = endpoint_host.rpartition(":")[0] if endpoint_host.rsplit(":", 1)[-1].isdigit() else ""
    for section in (endpoint_host, host):
        if not section or not parser.has_section(section):
            continue
        key = parser.get(section, "aws_access_key_id", fallback="").strip()
        secret = parser.get(section, "aws_secret_access_key", fallback="").strip()
        if not (key and secret):
            raise S3CredentialsError(
                f"S3 credentials: section [{section}] of {path} needs both aws_access_key_id and aws_secret_access_key"
            )
        token = parser.get(section, "aws_session_token", fallback="").strip() or None
        return Credentials(key, secret, token, f"section [{section}] of {path}")
    return None
