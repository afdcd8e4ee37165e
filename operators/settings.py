# SPDX-License-Identifier: GPL-3.0-or-later
"""Where each setting comes from, and how settings become the core's target strings.

No bpy here: the operators read their properties, the scene settings and the preferences as
plain strings and hand them to these functions, which the tests can call directly.

Precedence, first non-empty wins: the operator property (explicit, e.g. from a batch script),
the scene's BAT settings (the N-panel), the ``BAT_*`` environment variable, the add-on
preference, and last the generic ``AWS_*`` variable. ``BAT_*`` variables beat the preferences
so a farm can point a saved user configuration elsewhere; ``AWS_*`` variables come last because
a user may have them set for unrelated tools.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._errors import AddonError

# Documented in the preferences panel and the README: name -> (BAT variable, generic fallbacks).
ENVIRONMENT: dict[str, tuple[str, tuple[str, ...]]] = {
    "shaman_url": ("BAT_SHAMAN_URL", ()),
    "shaman_token": ("BAT_SHAMAN_TOKEN", ()),
    "s3_endpoint": ("BAT_S3_ENDPOINT", ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")),
    "s3_region": ("BAT_S3_REGION", ("AWS_REGION", "AWS_DEFAULT_REGION")),
    "s3_bucket": ("BAT_S3_BUCKET", ()),
    "s3_access_key": ("BAT_S3_ACCESS_KEY", ("AWS_ACCESS_KEY_ID",)),
    "s3_secret_key": ("BAT_S3_SECRET_KEY", ("AWS_SECRET_ACCESS_KEY",)),
    "project_root": ("BAT_PROJECT_ROOT", ()),
    "cache_dir": ("BAT_CACHE_DIR", ()),
}


def resolve(name: str, *, explicit: str = "", scene: str = "", preference: str = "", env: Mapping[str, str]) -> str:
    """The value of setting ``name`` by the precedence in the module docstring ("" if none)."""
    bat_var, generic = ENVIRONMENT.get(name, ("", ()))
    candidates = [explicit, scene, env.get(bat_var, "") if bat_var else "", preference]
    candidates += [env.get(var, "") for var in generic]
    for value in candidates:
        if value.strip():
            return value.strip()
    return ""


def split_patterns(text: str) -> tuple[str, ...]:
    """Exclude patterns as typed in one text field: separated by ';', ',' or new lines."""
    return tuple(p.strip() for p in re.split(r"[;,\n]", text) if p.strip())


def shaman_target(url: str, checkout_path: str) -> str:
    """The core's Shaman target string for a server URL and an optional checkout path.

    Users paste what Flamenco shows (``http://host:8080/``); the core wants ``shaman+http://``
    for plain HTTP and ``shaman://`` for HTTPS, with the checkout path as the fragment.
    """
    url = url.strip()
    if not url:
        raise AddonError(
            "No Shaman server given: set the Shaman URL in the add-on preferences, "
            "the BAT_SHAMAN_URL environment variable, or the operator's shaman_url"
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "http":
        rest = url[len("http://") :]
        base = "shaman+http://" + rest
    elif scheme == "https":
        base = "shaman://" + url[len("https://") :]
    elif scheme in ("shaman", "shaman+http", "shaman+https"):
        base = url
    else:
        raise AddonError(f"Shaman URL {url!r}: expected http://, https:// or shaman:// followed by host[:port]")
    if not urlsplit(base).hostname:
        raise AddonError(f"Shaman URL {url!r}: no host name")
    base = base.split("#", 1)[0]
    if not base.endswith("/"):
        base += "/"
    checkout = checkout_path.strip().strip("/")
    if checkout and ".." in checkout.split("/"):
        raise AddonError(f"Checkout path {checkout_path!r}: '..' is not allowed")
    return f"{base}#{checkout}" if checkout else base


def s3_target(bucket: str, path: str) -> str:
    """``s3://bucket/path``; the endpoint travels separately in PackOptions.s3_endpoint."""
    bucket = bucket.strip().strip("/")
    if not bucket:
        raise AddonError(
            "No S3 bucket given: set it in the add-on preferences, the BAT_S3_BUCKET environment "
            "variable, or the operator's bucket property"
        )
    if "/" in bucket:
        bucket, _, more = bucket.partition("/")
        path = f"{more}/{path}" if path else more
    key = path.strip().strip("/")
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}/"


def zip_target(path: str) -> str:
    """A ZIP target must end in .zip (that is how the core recognises it); add it if left off."""
    path = path.strip()
    if not path:
        raise AddonError("No ZIP file given: choose where to write the .zip")
    return path if path.lower().endswith(".zip") else path + ".zip"


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass(frozen=True)
class Secrets:
    """Values that must never reach a log line, a report or an exception message."""

    values: tuple[str, ...]

    def redact(self, text: str) -> str:
        for value in self.values:
            if len(value) >= 4:
                text = text.replace(value, "***")
        return text
