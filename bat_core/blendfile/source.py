# SPDX-License-Identifier: GPL-3.0-or-later
"""Random access to the (decompressed) content of a .blend file without holding all of it.

Three sources share one small interface:

* MemorySource: the whole content in memory (small files, gzip, single-frame zstd);
* FileSource: an uncompressed file (or a spilled temporary file) read with pread;
* FrameSource: a zstd file in the *seekable* format Blender 3.0+ writes (independent frames
  plus a seek table at the end), decompressing only the frames that are asked for.

Block scanning asks for *windows* (a buffer covering an offset) so that it can unpack many
headers per call; field access asks for small reads.
"""

from __future__ import annotations

import bisect
import gzip
import os
import stat
import struct
import tempfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol

from ..errors import BlendFileError, CorruptBlendFileError, NotABlendFileError, TruncatedBlendFileError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SEEKABLE_FOOTER_MAGIC = 0x8F92EAB1
SKIPPABLE_SEEK_TABLE_MAGIC = 0x184D2A5E

# Content up to this size is simply kept in memory; beyond it, read on demand.
IN_MEMORY_LIMIT = 48 << 20
UNCOMPRESSED_IN_MEMORY_LIMIT = 1 << 20
WINDOW = 256 << 10
# Blender writes frames of about 1 MiB; refuse to trust a seek table that claims far more.
MAX_FRAME = 64 << 20
_CHUNK = 1 << 20


class Compression(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


class Source(Protocol):
    size: int

    def read(self, at: int, n: int) -> bytes:
        """Up to n bytes from offset `at` (fewer only at the end of the content)."""
        ...

    def window(self, at: int, need: int) -> tuple[int, bytes | memoryview]:
        """(start, buffer) with start <= at, holding at least `need` bytes from `at` where the content has them."""
        ...

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The whole content, in order."""
        ...

    def close(self) -> None: ...


class MemorySource:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self.size = len(data)

    def read(self, at: int, n: int) -> bytes:
        return self._data[at : at + n]

    def window(self, at: int, need: int) -> tuple[int, bytes | memoryview]:
        return 0, self._data

    def chunks(self) -> Iterator[bytes | memoryview]:
        view = memoryview(self._data)
        for start in range(0, self.size, _CHUNK):
            yield view[start : start + _CHUNK]

    def close(self) -> None:
        pass


class FileSource:
    """An uncompressed file on disk; owns `handle` and closes it."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle = handle
        self._fd = handle.fileno()
        self.size = size

    def read(self, at: int, n: int) -> bytes:
        return os.pread(self._fd, n, at)

    def stat(self) -> os.stat_result:
        return os.fstat(self._fd)

    def window(self, at: int, need: int) -> tuple[int, bytes | memoryview]:
        return at, os.pread(self._fd, max(need, WINDOW), at)

    def chunks(self) -> Iterator[bytes | memoryview]:
        for start in range(0, self.size, _CHUNK):
            yield os.pread(self._fd, _CHUNK, start)

    def close(self) -> None:
        self._handle.close()


class FrameSource:
    """Blender's seekable zstd: frames are decompressed on demand and a few are cached."""

    def __init__(self, path: Path, handle: BinaryIO, frames: list[tuple[int, int, int, int]]) -> None:
        import zstandard

        self._path = path
        self._handle = handle
        self._fd = handle.fileno()
        # (compressed offset, compressed size, decompressed offset, decompressed size)
        self._frames = frames
        self._starts = [f[2] for f in frames]
        self.size = frames[-1][2] + frames[-1][3] if frames else 0
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._dctx = zstandard.ZstdDecompressor()
        self._error = zstandard.ZstdError
        self._content_size = zstandard.frame_content_size

    def _frame(self, index: int) -> bytes:
        hit = self._cache.get(index)
        if hit is not None:
            self._cache.move_to_end(index)
            return hit
        c_off, c_size, _d_off, d_size = self._frames[index]
        raw = os.pread(self._fd, c_size, c_off)
        if len(raw) != c_size:
            raise TruncatedBlendFileError(self._path, f"zstd frame #{index} is cut short", c_off)
        try:
            # zstandard allocates a frame's declared content size up front, whatever
            # max_output_size says: a damaged header could ask for exabytes.
            declared = self._content_size(raw)
            if declared not in (-1, d_size):
                raise CorruptBlendFileError(
                    self._path, f"zstd frame #{index} declares {declared} bytes, its seek table says {d_size}", c_off
                )
            data = self._dctx.decompress(raw, max_output_size=d_size)
        except self._error as exc:
            raise CorruptBlendFileError(self._path, f"damaged zstd frame #{index} ({exc})", c_off) from exc
        if len(data) != d_size:
            raise CorruptBlendFileError(
                self._path,
                f"zstd frame #{index} holds {len(data)} bytes, its seek table says {d_size}",
                c_off,
            )
        self._cache[index] = data
        if len(self._cache) > 8:
            self._cache.popitem(last=False)
        return data

    def _index(self, at: int) -> int:
        return bisect.bisect_right(self._starts, at) - 1

    def read(self, at: int, n: int) -> bytes:
        if at >= self.size or n <= 0:
            return b""
        index = self._index(at)
        start = self._frames[index][2]
        data = self._frame(index)
        piece = data[at - start : at - start + n]
        if len(piece) == n or index + 1 >= len(self._frames):
            return piece
        parts = [piece]
        got = len(piece)
        while got < n and index + 1 < len(self._frames):
            index += 1
            more = self._frame(index)[: n - got]
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def window(self, at: int, need: int) -> tuple[int, bytes | memoryview]:
        if at >= self.size:
            return at, b""
        index = self._index(at)
        start = self._frames[index][2]
        data = self._frame(index)
        if at + need <= start + len(data) or index + 1 >= len(self._frames):
            return start, data
        return at, self.read(at, max(need, WINDOW))

    def chunks(self) -> Iterator[bytes | memoryview]:
        for index in range(len(self._frames)):
            yield self._frame(index)

    def close(self) -> None:
        self._handle.close()


def detect(path: Path, magic: bytes) -> Compression:
    if magic.startswith(ZSTD_MAGIC):
        return Compression.ZSTD
    if magic.startswith(GZIP_MAGIC):
        return Compression.GZIP
    if not magic:
        raise TruncatedBlendFileError(path, "file is empty", 0)
    if b"BLENDER".startswith(magic[:7]) or magic.startswith(b"BLENDER"):
        return Compression.NONE
    raise NotABlendFileError(path, "not a .blend file (neither BLENDER header nor gzip/zstd data)", 0)


def _seek_table(handle: BinaryIO, file_size: int) -> list[tuple[int, int, int, int]] | None:
    """The frames of a seekable zstd file, or None when there is no trustworthy seek table."""
    if file_size < 17:
        return None
    fd = handle.fileno()
    footer = os.pread(fd, 9, file_size - 9)
    n_frames, descriptor, magic = struct.unpack("<IBI", footer)
    if magic != SEEKABLE_FOOTER_MAGIC or n_frames == 0:
        return None
    entry = 12 if descriptor & 0x80 else 8
    table_size = n_frames * entry + 9
    if table_size + 8 > file_size:
        return None
    skippable_at = file_size - table_size - 8
    skip_magic, skip_size = struct.unpack("<II", os.pread(fd, 8, skippable_at))
    if skip_magic != SKIPPABLE_SEEK_TABLE_MAGIC or skip_size != table_size:
        return None
    raw = os.pread(fd, n_frames * entry, skippable_at + 8)
    frames: list[tuple[int, int, int, int]] = []
    c_off = d_off = 0
    for i in range(n_frames):
        c_size, d_size = struct.unpack_from("<II", raw, i * entry)
        if c_size == 0 or d_size > MAX_FRAME:
            return None
        frames.append((c_off, c_size, d_off, d_size))
        c_off += c_size
        d_off += d_size
    if c_off != skippable_at:
        return None
    return frames


def _read_stream(path: Path, stream: BinaryIO) -> Source:
    """Decompress a whole stream in chunks: in memory while small, spilled to a temporary file beyond."""
    buffer = bytearray()
    spill: BinaryIO | None = None
    try:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            if spill is None:
                buffer += chunk
                if len(buffer) > IN_MEMORY_LIMIT:
                    spill = tempfile.TemporaryFile(prefix="bat-blend-")  # noqa: SIM115 - owned by FileSource
                    spill.write(buffer)
                    buffer = bytearray()
            else:
                spill.write(chunk)
    except BaseException:
        if spill is not None:
            spill.close()
        raise
    if spill is None:
        return MemorySource(bytes(buffer))
    spill.flush()
    return FileSource(spill, spill.tell())


def _open_gzip(path: Path, raw: BinaryIO) -> Source:
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            return _read_stream(path, stream)  # type: ignore[arg-type]
    except EOFError as exc:
        raise TruncatedBlendFileError(path, "gzip stream ends early") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise CorruptBlendFileError(path, f"damaged gzip data ({exc})") from exc


def _open_zstd(path: Path, raw: BinaryIO, file_size: int) -> Source:
    import zstandard

    frames = _seek_table(raw, file_size)
    if frames is not None:
        return FrameSource(path, raw, frames)
    raw.seek(0)
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        source = _read_stream(path, reader)
    except zstandard.ZstdError as exc:
        raise CorruptBlendFileError(path, f"damaged zstd data ({exc})") from exc
    finally:
        raw.close()
    if source.size == 0:
        raise TruncatedBlendFileError(path, "zstd stream holds no data", 0)
    return source


def open_source(path: Path) -> tuple[Compression, Source]:
    """Detect the compression by magic bytes and give random access to the content."""
    try:
        # Non-blocking, so that a path naming a FIFO cannot stall us waiting for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise BlendFileError(path, f"cannot open file: {exc.strerror or exc}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise BlendFileError(path, "not a regular file (a folder, device or pipe)")
    os.set_blocking(fd, True)
    raw = os.fdopen(fd, "rb")  # ownership passes to the source or is closed below
    keep_open = False
    try:
        file_size = info.st_size
        compression = detect(path, raw.read(7))
        raw.seek(0)
        if compression is Compression.GZIP:
            return compression, _open_gzip(path, raw)
        if compression is Compression.ZSTD:
            source = _open_zstd(path, raw, file_size)
            keep_open = isinstance(source, FrameSource)
            return compression, source
        # An uncompressed file is read in place (pread): a trace keeps every library open, and
        # holding their content in memory cost their summed size for little speed.
        if file_size <= min(IN_MEMORY_LIMIT, UNCOMPRESSED_IN_MEMORY_LIMIT):
            return compression, MemorySource(raw.read())
        keep_open = True
        return compression, FileSource(raw, file_size)
    except OSError as exc:
        raise BlendFileError(path, f"cannot read file: {exc.strerror or exc}") from exc
    finally:
        if not keep_open:
            raw.close()


def compressor_for(compression: Compression) -> object:
    """A streaming compressor with .compress(chunk) and .flush() matching a source's compression."""
    if compression is Compression.GZIP:
        return zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip container
    if compression is Compression.ZSTD:
        import zstandard

        return zstandard.ZstdCompressor(level=3).compressobj()
    return None
