# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing of the two Shaman upload headers, the way Flamenco 3 (Go) reads them."""

from __future__ import annotations

import base64
import binascii
import re

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_bool(value: str) -> bool:
    """Go's strconv.ParseBool: the exact spellings it knows, ValueError for anything else.

    The Flamenco Python client sends ``True``/``False``; ``yes`` is not a boolean to Go.
    """
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "latin-1", "us-ascii": "ascii"}
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


class UnsupportedCharsetError(ValueError):
    """An RFC 2047 encoded-word names a charset Go's decoder does not know."""


def _decode_word(charset: str, encoding: str, text: str) -> str | None:
    """One encoded-word's text, or None when it is malformed (it then passes unchanged)."""
    codec = _CHARSETS.get(charset.lower())
    if codec is None:
        raise UnsupportedCharsetError(f"unsupported charset {charset!r}")
    raw = text.encode("ascii", errors="replace")
    try:
        if encoding in "bB":
            data = base64.b64decode(raw, validate=True)
        else:
            if re.search(rb"=(?![0-9A-Fa-f]{2})", raw):
                return None
            data = _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw.replace(b"_", b" "))
        return data.decode(codec)
    except (binascii.Error, UnicodeDecodeError):
        return None


def decode_filename(value: str) -> str:
    """MIME-decode an X-Shaman-Original-Filename value (Go mime.WordDecoder.DecodeHeader).

    Encoded-words of any length are accepted (the F3 client writes one long word); blanks
    between two encoded-words are dropped; malformed words stay as they are; an unknown
    charset raises UnsupportedCharsetError.
    """
    out: list[str] = []
    pos = 0
    previous_was_word = False
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        decoded = _decode_word(match.group(1), match.group(2), match.group(3))
        if decoded is None:
            out.append(between + match.group(0))
            previous_was_word = False
        else:
            if not (previous_was_word and between.strip() == ""):
                out.append(between)
            out.append(decoded)
            previous_was_word = True
        pos = match.end()
    out.append(value[pos:])
    return "".join(out)
