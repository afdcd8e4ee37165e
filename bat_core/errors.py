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


class ShamanError(TransferError):
    """Sending a pack to a Shaman server failed; the message names the server and the file."""


class ShamanURLError(ShamanError):
    """A Shaman target URL cannot be used (wrong scheme, no host, bad checkout path, ...)."""


class ShamanUnavailableError(ShamanError):
    """The Shaman server cannot be reached, or answers that Shaman is not active (503)."""


class S3Error(TransferError):
    """An S3-compatible endpoint refused or failed a request; the message says what to do."""


class S3CredentialsError(S3Error):
    """No credentials were found, or the endpoint does not accept the ones given."""


class S3BucketMissingError(S3Error):
    """The bucket named in the target does not exist at the endpoint."""


class S3AccessDeniedError(S3Error):
    """The credentials are valid but lack a permission the transfer needs."""


class S3UnreachableError(S3Error):
    """The endpoint cannot be reached: wrong address, server down, TLS failure or timeout."""


class S3ThrottledError(S3Error):
    """The endpoint kept answering 'slow down' after every retry."""
