# SPDX-License-Identifier: GPL-3.0-or-later
"""Problems a pack would have elsewhere, found before anything is written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_RESERVED_PREFIXES = {name[:3] for name in WINDOWS_RESERVED}
_WINDOWS_BAD_CHARS = re.compile(r'[<>:"|?*\x00-\x1f]')
# Windows' classic limit is 260 characters for a whole path; leave room for where the pack lands.
MAX_PACK_PATH = 200


@dataclass(frozen=True)
class LintIssue:
    code: str  # "case-collision", "windows-name", "too-long", "not-nfc", "absolute-path"
    path: str
    message: str


def lint_pack_paths(pack_paths: Iterable[str]) -> list[LintIssue]:
    issues: list[LintIssue] = []
    seen: dict[str, str] = {}
    for path in sorted(set(pack_paths)):
        folded = path.casefold()
        other = seen.get(folded)
        if other is not None and other != path:
            issues.append(LintIssue("case-collision", path, f"{path!r} and {other!r} differ only in case"))
        seen.setdefault(folded, path)
        bad_chars = _WINDOWS_BAD_CHARS.search(path) is not None
        for part in path.split("/"):
            if (
                (bad_chars and _WINDOWS_BAD_CHARS.search(part))
                or part.endswith((" ", "."))
                or (part[:3].upper() in _RESERVED_PREFIXES and part.split(".")[0].upper() in WINDOWS_RESERVED)
            ):
                issues.append(LintIssue("windows-name", path, f"{part!r} is not a valid name on Windows"))
                break
        if len(path) > MAX_PACK_PATH:
            issues.append(LintIssue("too-long", path, f"{len(path)} characters (over {MAX_PACK_PATH})"))
        # ASCII text is always in NFC; most pack paths are, and normalising costs more than asking.
        if not path.isascii() and unicodedata.normalize("NFC", path) != path:
            issues.append(LintIssue("not-nfc", path, "name is not in Unicode NFC form (macOS/Windows may differ)"))
    return issues
