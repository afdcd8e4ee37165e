# SPDX-License-Identifier: GPL-3.0-or-later
"""The one error hierarchy of bat_core.

Every error a user can cause (bad files, missing dependencies, failing servers) is a
BatError with a message that names the file or server and says what is wrong. The CLI
prints ``str(error)`` as one line; the add-on shows it as a report.
"""

from __future__ import annotations

from pathlib import Path


class BatError(Exception):
    """Base of every error bat_core raises on purpose."""


class BlendFileError(BatError):
    """A .blend file cannot be read: truncated, corrupt, not a .blend, or unsupported."""

    def __init__(self, path: Path | str, message: str, offset: int | None = None) -> None:
        self.path = Path(path)
        self.offset = offset
        self.reason = message
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{self.path}: {message}{where}")


class NotABlendFileError(BlendFileError):
    """The file does not start with a .blend header (after decompression)."""


class TruncatedBlendFileError(BlendFileError):
    """The file ends in the middle of a header, block or compressed stream."""


class CorruptBlendFileError(BlendFileError):
    """A size, count or pointer in the file is impossible."""


class UnsupportedBlendFileError(BlendFileError):
    """A well-formed file in a variant this reader does not handle (e.g. a future header)."""


class FieldError(BatError):
    """A struct or field asked for by name does not exist in the file's SDNA."""


class RewriteError(BatError):
    """A value does not fit the field it should be written into."""


class TraceError(BatError):
    """Tracing failed in a way that is not about one file's format."""


class MissingDependencyError(TraceError):
    """Raised in strict mode when referenced files are absent."""


class PackError(BatError):
    """Planning or writing a pack failed."""


class TransferError(BatError):
    """Sending files to a target failed."""


class CancelledError(BatError):
    """The user cancelled; nothing that looks complete was left behind."""


class ShamanServerError(BatError):
    """The embedded Shaman server cannot start: unusable storage directory or address."""
