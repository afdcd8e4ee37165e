# SPDX-License-Identifier: GPL-3.0-or-later
"""Names a Shaman client sends: the checkout path and the original-filename header."""

from __future__ import annotations

import base64

# Flamenco 3 refuses these in a checkout path; ':' also stands for a Windows drive letter.
_FORBIDDEN = frozenset("?*:;{}\\")
FALLBACK_CHECKOUT_PATH = "bat-pack"
# The filename header is only for the server's log; a huge one could hit header limits.
_MAX_HEADER_BYTES = 1024


def sanitise_checkout_path(name: str) -> str:
    """Turn a job name or user-typed path into one every Shaman server accepts.

    Forbidden and control characters become ``_``, a leading ``/`` and empty, ``.`` and
    ``..`` components go (so the path stays inside the jobs folder); '/' nests. Never
    empty. ``shot 010: final?`` becomes ``shot 010_ final_``.
    """
    cleaned = "".join("_" if c in _FORBIDDEN or ord(c) < 32 or ord(c) == 127 else c for c in name)
    parts = [p for p in cleaned.split("/") if p.strip() not in ("", ".", "..")]
    return "/".join(parts) or FALLBACK_CHECKOUT_PATH


def filename_header(pack_path: str) -> str:
    """The ``X-Shaman-Original-Filename`` value: one RFC 2047 UTF-8 encoded-word, one line.

    Always encoded, so any Unicode name survives http.client's Latin-1 header encoding and
    a name that happens to contain ``=?`` is not misread; never folded (nginx rejects
    folded headers). Very long paths are shortened to their end, which names the file.
    """
    raw = pack_path.encode("utf-8", "replace")
    if len(raw) > _MAX_HEADER_BYTES:
        raw = raw[-_MAX_HEADER_BYTES:]
        # Do not start in the middle of a UTF-8 sequence.
        while raw and (raw[0] & 0xC0) == 0x80:
            raw = raw[1:]
    return "=?utf-8?b?" + base64.b64encode(raw).decode("ascii") + "?="
