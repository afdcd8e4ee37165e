# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman target URLs: where the server is and which checkout path the pack should get.

The syntax is BAT's: ``shaman://host[:port]/[path]#checkout/path`` talks HTTPS,
``shaman+http://...`` plain HTTP (``shaman+https://`` is accepted as a spelling of the
first). ``path`` is where a Flamenco Manager is mounted (usually nothing); the Shaman API
lives at ``<path>/api/v3/shaman/``. The fragment is the checkout path the user asks for;
the server may answer with a different one, which is the one that counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from ..errors import ShamanURLError

_SCHEMES = {"shaman": "https", "shaman+https": "https", "shaman+http": "http"}
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class ShamanURL:
    scheme: str
    """``https`` or ``http``: what is spoken on the wire."""
    host: str
    port: int
    base_path: str
    """Where the Manager is mounted; always starts and ends with ``/``."""
    checkout_path: str | None
    """The URL fragment, percent-decoded; None when the URL has none."""

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if _DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}{quote(self.base_path)}"

    @property
    def api_url(self) -> str:
        """The Shaman API root with a trailing slash."""
        return self.base_url + "api/v3/shaman/"


def parse_shaman_url(url: str) -> ShamanURL:
    """Split a ``shaman://`` URL; raise ShamanURLError saying what is wrong with it.

    Credentials in the URL are refused (and never repeated in the message): a token is
    passed separately so it cannot end up in logs or saved settings by accident.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port_value = parts.port
    except ValueError as exc:
        raise ShamanURLError(f"Shaman URL {_safe(text)!r} is malformed: {exc}") from None
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise ShamanURLError(
            f"Shaman URL {_safe(text)!r} must start with shaman:// (HTTPS) or shaman+http:// (plain HTTP)"
        )
    if parts.username is not None or parts.password is not None:
        raise ShamanURLError("Shaman URL must not contain a user name or password; pass the token separately")
    host = parts.hostname
    if not host:
        raise ShamanURLError(f"Shaman URL {_safe(text)!r} has no host name")
    if parts.query:
        raise ShamanURLError(f"Shaman URL {_safe(text)!r} has a query ('?...'), which means nothing here")
    base_path = unquote(parts.path or "/")
    if not base_path.startswith("/"):
        base_path = "/" + base_path
    if not base_path.endswith("/"):
        base_path += "/"
    fragment = unquote(parts.fragment) if parts.fragment else None
    return ShamanURL(
        scheme=scheme,
        host=host,
        port=port_value if port_value is not None else _DEFAULT_PORTS[scheme],
        base_path=base_path,
        checkout_path=fragment or None,
    )


def _safe(url: str) -> str:
    """The URL without anything between '//' and '@', for messages."""
    head, sep, rest = url.partition("//")
    if sep and "@" in rest.split("/", 1)[0]:
        rest = "***@" + rest.split("@", 1)[1]
    return head + sep + rest
