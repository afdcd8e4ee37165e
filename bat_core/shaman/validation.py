# SPDX-License-Identifier: GPL-3.0-or-later
"""Which checkout paths and in-checkout file paths the server accepts.

Each function returns ``None`` for an acceptable path, or a short reason that the HTTP layer
puts into its error message.
"""

from __future__ import annotations

# Characters Flamenco 3 refuses in a checkout path (':' also rules out Windows drive letters).
_F3_FORBIDDEN = frozenset("?*:;{}\\")


def checkout_path_problem(path: str, *, strict: bool) -> str | None:
    """Why ``path`` cannot be a checkout path (relative to the jobs root), or None.

    F3 rejects: empty, a leading '/', any of ``? * : ; { } \\``, and ``../`` or ``/..``.
    Strict mode additionally rejects what F3 lets slip through but never means anything
    sensible: a bare ``..`` or ``.`` component, empty components, NUL and other control
    characters.
    """
    if path == "":
        return "it is empty"
    if path.startswith("/"):
        return "it is absolute"
    bad = sorted({c for c in path if c in _F3_FORBIDDEN})
    if bad:
        return f"it contains {' '.join(repr(c) for c in bad)}"
    if "../" in path or "/.." in path:
        return "it contains '..'"
    if not strict:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "it contains control characters"
    for part in path.split("/"):
        if part == "":
            return "it contains an empty component"
        if part in (".", ".."):
            return f"it contains a {part!r} component"
    return None


def file_path_problem(path: str) -> str | None:
    """Why ``path`` cannot name a file inside a checkout, or None.

    F3 checks nothing here (a ``..`` escapes the checkout); this is the strict rule set, as
    Flamenco 2 had it: relative, '/'-separated, no empty/'.'/'..' components, no backslash,
    no NUL or control characters.
    """
    if path == "":
        return "it is empty"
    if path.startswith("/"):
        return "it is absolute"
    if "\\" in path:
        return "it contains a backslash"
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "it contains control characters"
    if len(path) >= 2 and path[1] == ":" and path[0].isalpha():
        return "it starts with a drive letter"
    for part in path.split("/"):
        if part == "":
            return "it contains an empty component"
        if part in (".", ".."):
            return f"it contains a {part!r} component"
    return None
