# SPDX-License-Identifier: GPL-3.0-or-later
"""Send a pack into one ``.zip`` file.

The archive is written to ``NAME.zip.part`` next to the final name and renamed on commit,
so a ``NAME.zip`` that exists is always complete; abort deletes the part file. ZIP64
extensions are enabled (zipfile adds the ZIP64 end record by itself past 65,535 entries
or 4 GiB of archive) and forced per entry for files of 2 GiB and more, whose sizes would
not fit the classic header. Names are stored as UTF-8 (zipfile sets the language
encoding flag for every non-ASCII name).

Files that are already compressed are stored, not deflated: deflating them costs CPU for
a gain of a few bytes. That is decided by extension for media and archive formats; by
magic bytes for .blend files (Blender writes zstd-compressed .blend files since 3.0, gzip
before); and for OpenEXR, which may or may not be compressed internally (ZIP, PIZ, DWAA
...), by deflating a sample of the file and storing it when the sample barely shrinks.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..errors import TransferError
from ..progress import CancelToken, ProgressListener
from .target import BytesCallback, SendOutcome, TransferItem, check_pack_path

PART_SUFFIX = ".part"

STORED_SUFFIXES = frozenset(
    {
        # images
        ".png", ".jpg", ".jpeg", ".webp", ".jp2", ".j2c", ".avif", ".heic", ".gif",
        # video
        ".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".ogv", ".mpg", ".mpeg", ".flv",
        # audio
        ".mp3", ".ogg", ".oga", ".opus", ".flac", ".aac", ".m4a", ".wma",
        # archives and compressed streams
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".lz4",
    }
)  # fmt: skip
_COMPRESSED_MAGIC = (b"\x28\xb5\x2f\xfd", b"\x1f\x8b")  # zstd, gzip
_SAMPLE_SIZE = 256 * 1024
_SAMPLE_MAX_RATIO = 0.9
_ZIP64_ENTRY_SIZE = 2 * 1024**3
_CHUNK = 1024 * 1024
_EARLIEST = (1980, 1, 1, 0, 0, 0)
_LATEST = (2107, 12, 31, 23, 59, 58)


class ZipTarget:
    """A pack written as one ZIP archive at ``path``."""

    def __init__(self, path: Path, *, zip64_from: int = _ZIP64_ENTRY_SIZE) -> None:
        self.path = Path(os.path.abspath(path))
        self._zip64_from = zip64_from
        self.part = self.path.with_name(self.path.name + PART_SUFFIX)
        self._zip: zipfile.ZipFile | None = None
        self._lock = threading.Lock()

    @property
    def max_workers(self) -> int:
        return 1  # one archive, one stream: entries are written one after the other

    def describe(self) -> str:
        return f"ZIP {self.path}"

    def begin(
        self, items: Sequence[TransferItem], cancel: CancelToken, listener: ProgressListener
    ) -> Sequence[TransferItem]:
        if self.path.is_dir():
            raise TransferError(f"{self.describe()}: is a folder, expected a .zip file name")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._zip = zipfile.ZipFile(self.part, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        except OSError as exc:
            raise TransferError(f"{self.describe()}: cannot create {self.part}: {exc.strerror}") from exc
        return list(items)

    def send(self, item: TransferItem, on_bytes: BytesCallback, cancel: CancelToken) -> SendOutcome:
        name = check_pack_path(item.pack_path)
        with self._lock:
            archive = self._zip
            if archive is None:
                raise TransferError(f"{self.describe()}: send() before begin() or after commit()")
            with open(item.source, "rb") as src:
                st = os.fstat(src.fileno())
                info = zipfile.ZipInfo(name, date_time=zip_date_time(st.st_mtime))
                info.compress_type = compression_for(item.source, src)
                info.file_size = st.st_size
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=st.st_size >= self._zip64_from) as dst:
                    while True:
                        cancel.raise_if_cancelled()
                        chunk = src.read(_CHUNK)
                        if not chunk:
                            break
                        dst.write(chunk)
                        on_bytes(len(chunk))
        return SendOutcome.SENT

    def commit(self) -> None:
        with self._lock:
            archive, self._zip = self._zip, None
        try:
            if archive is not None:
                archive.close()
            os.replace(self.part, self.path)
        except OSError as exc:
            raise TransferError(f"{self.describe()}: cannot finish {self.part}: {exc.strerror}") from exc

    def abort(self) -> None:
        archive, self._zip = self._zip, None
        if archive is not None:
            with contextlib.suppress(Exception):
                archive.close()
        with contextlib.suppress(OSError):
            os.unlink(self.part)


def zip_date_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    """Local date and time for a ZIP entry, clamped to the years a ZIP header can hold."""
    stamp = time.localtime(mtime)[:6]
    return max(_EARLIEST, min(_LATEST, stamp))


def compression_for(path: Path, stream: BinaryIO) -> int:
    """ZIP_STORED for data that is already compressed, else ZIP_DEFLATED.

    Reads the start of ``stream`` when the extension alone does not tell, and puts the
    stream back at its start.
    """
    suffix = PurePosixPath(path.name.lower()).suffix
    if suffix in STORED_SUFFIXES:
        return zipfile.ZIP_STORED
    if suffix not in (".blend", ".exr") and not suffix.startswith(".blend"):
        return zipfile.ZIP_DEFLATED
    head = stream.read(_SAMPLE_SIZE)
    stream.seek(0)
    if suffix == ".exr":
        shrunk = len(zlib.compress(head, 1))
        return zipfile.ZIP_STORED if shrunk > _SAMPLE_MAX_RATIO * len(head) else zipfile.ZIP_DEFLATED
    return zipfile.ZIP_STORED if head.startswith(_COMPRESSED_MAGIC) else zipfile.ZIP_DEFLATED
