# SPDX-License-Identifier: GPL-3.0-or-later
"""Detect and undo the compression of a .blend file by its magic bytes, never by its name.

Blender up to 2.9x wrote gzip, Blender 3.0+ writes zstd (as seekable multi-frame streams);
uncompressed files start with ``BLENDER``. Uncompressed files are memory-mapped so that
opening reads only the pages that block headers live on.
"""

from __future__ import annotations

import gzip
import mmap
import zlib
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from ..errors import BlendFileError, CorruptBlendFileError, NotABlendFileError, TruncatedBlendFileError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_CHUNK = 1 << 20


class Compression(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


def detect(path: Path, magic: bytes) -> Compression:
    if magic.startswith(ZSTD_MAGIC):
        return Compression.ZSTD
    if magic.startswith(GZIP_MAGIC):
        return Compression.GZIP
    if magic.startswith(b"BLENDER"[: len(magic)]) and magic:
        return Compression.NONE
    if not magic:
        raise TruncatedBlendFileError(path, "file is empty", 0)
    raise NotABlendFileError(path, "not a .blend file (neither BLENDER header nor gzip/zstd data)", 0)


def _read_all(path: Path, stream: BinaryIO) -> bytes:
    """Read a decompressing stream in chunks; sizes claimed by the stream's header are never trusted."""
    parts = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return bytes(parts)
        parts += chunk


def _gunzip(path: Path, raw: BinaryIO) -> bytes:
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            return _read_all(path, stream)  # type: ignore[arg-type]
    except EOFError as exc:
        raise TruncatedBlendFileError(path, "gzip stream ends early") from exc
    except (OSError, zlib.error) as exc:
        raise CorruptBlendFileError(path, f"damaged gzip data ({exc})") from exc


def _unzstd(path: Path, raw: BinaryIO) -> bytes:
    import zstandard

    try:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        data = _read_all(path, reader)
    except zstandard.ZstdError as exc:
        raise CorruptBlendFileError(path, f"damaged zstd data ({exc})") from exc
    if not data:
        raise TruncatedBlendFileError(path, "zstd stream holds no data", 0)
    return data


def load(path: Path) -> tuple[Compression, bytes | mmap.mmap]:
    """Return the compression and the decompressed content (an mmap for plain files)."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below or owned by the mmap's lifetime
    except OSError as exc:
        raise BlendFileError(path, f"cannot open file: {exc.strerror or exc}") from exc
    with raw:
        magic = raw.read(4)
        compression = detect(path, magic)
        raw.seek(0)
        try:
            if compression is Compression.GZIP:
                return compression, _gunzip(path, raw)
            if compression is Compression.ZSTD:
                return compression, _unzstd(path, raw)
            try:
                return compression, mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):
                # Files on some network or virtual file systems cannot be mapped.
                return compression, raw.read()
        except OSError as exc:
            raise BlendFileError(path, f"cannot read file: {exc.strerror or exc}") from exc


def compress(data: bytes | bytearray | memoryview, compression: Compression) -> bytes:
    """Compress content the way a source file was compressed (for rewritten copies)."""
    if compression is Compression.NONE:
        return bytes(data)
    if compression is Compression.GZIP:
        return gzip.compress(bytes(data), compresslevel=6)
    import zstandard

    return bytes(zstandard.ZstdCompressor(level=3).compress(bytes(data)))
