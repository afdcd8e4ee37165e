# SPDX-License-Identifier: GPL-3.0-or-later
"""Damaged, truncated, empty and foreign files end in one clear BlendFileError naming the file."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest
import zstandard
from samples.fixtures import SampleSet

from bat_core.blendfile import open_blend
from bat_core.errors import (
    BlendFileError,
    CorruptBlendFileError,
    FieldError,
    NotABlendFileError,
    TruncatedBlendFileError,
    UnsupportedBlendFileError,
)


@pytest.fixture(scope="module")
def plain_bytes(bpy50_samples: SampleSet) -> bytes:
    return (bpy50_samples.folder / "main.blend").read_bytes()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _expect(path: Path, error: type[BlendFileError]) -> BlendFileError:
    with pytest.raises(error) as info:
        open_blend(path).close()
    assert str(path) in str(info.value)
    return info.value


def test_empty_file(tmp_path: Path) -> None:
    err = _expect(_write(tmp_path, "empty.blend", b""), TruncatedBlendFileError)
    assert err.offset == 0


def test_text_file_is_not_a_blend(tmp_path: Path) -> None:
    err = _expect(_write(tmp_path, "notes.blend", b"hello, this is not blender\n" * 10), NotABlendFileError)
    assert err.offset == 0


def test_missing_file_and_directory(tmp_path: Path) -> None:
    _expect(tmp_path / "absent.blend", BlendFileError)
    (tmp_path / "folder.blend").mkdir()
    _expect(tmp_path / "folder.blend", BlendFileError)


@pytest.mark.parametrize("compression", ["none", "zstd", "gzip"])
@pytest.mark.parametrize("tenth", range(10))
def test_truncated_at_each_tenth(tmp_path: Path, plain_bytes: bytes, compression: str, tenth: int) -> None:
    if compression == "zstd":
        payload = zstandard.ZstdCompressor().compress(plain_bytes)
    elif compression == "gzip":
        payload = gzip.compress(plain_bytes)
    else:
        payload = plain_bytes
    cut = payload[: len(payload) * tenth // 10]
    err = _expect(_write(tmp_path, f"cut{tenth}.blend", cut), BlendFileError)
    assert isinstance(err, TruncatedBlendFileError | CorruptBlendFileError)


def test_truncated_inside_the_header(tmp_path: Path, plain_bytes: bytes) -> None:
    err = _expect(_write(tmp_path, "head.blend", plain_bytes[:10]), TruncatedBlendFileError)
    assert err.offset is not None


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (b"BLENDER17*01v0500", UnsupportedBlendFileError),  # unknown pointer-size marker
        (b"BLENDER17-01x0500", UnsupportedBlendFileError),  # unknown endianness marker
        (b"BLENDER17-02v0500", UnsupportedBlendFileError),  # future file-format version
        (b"BLENDER19-01v0500", UnsupportedBlendFileError),  # unknown header length
        (b"BLENDER17-01vABCD", NotABlendFileError),  # version is not a number
        (b"BLENDER17_01v0500", UnsupportedBlendFileError),  # large headers need 8-byte pointers
    ],
)
def test_unsupported_headers(tmp_path: Path, plain_bytes: bytes, header: bytes, error: type[BlendFileError]) -> None:
    err = _expect(_write(tmp_path, "bad-header.blend", header + plain_bytes[17:]), error)
    assert err.offset is not None


def _second_block_offset(plain: bytes) -> int:
    # Layout of 5.0 block headers: code, sdna index, old address, length (int64), count (int64).
    (length,) = struct.unpack_from("<q", plain, 17 + 16)
    return 17 + 32 + length


def test_negative_block_size(tmp_path: Path, plain_bytes: bytes) -> None:
    data = bytearray(plain_bytes)
    at = _second_block_offset(plain_bytes)
    struct.pack_into("<q", data, at + 16, -5)
    err = _expect(_write(tmp_path, "negative.blend", bytes(data)), CorruptBlendFileError)
    assert err.offset == at


def test_block_size_beyond_the_file_allocates_nothing(tmp_path: Path, plain_bytes: bytes) -> None:
    data = bytearray(plain_bytes)
    at = _second_block_offset(plain_bytes)
    struct.pack_into("<q", data, at + 16, 1 << 60)
    err = _expect(_write(tmp_path, "huge.blend", bytes(data)), TruncatedBlendFileError)
    assert err.offset == at


def _sdna_offset(plain: bytes) -> int:
    return plain.index(b"SDNANAME")


def test_impossible_sdna_name_count(tmp_path: Path, plain_bytes: bytes) -> None:
    data = bytearray(plain_bytes)
    struct.pack_into("<i", data, _sdna_offset(plain_bytes) + 8, 2_000_000_000)
    err = _expect(_write(tmp_path, "names.blend", bytes(data)), CorruptBlendFileError)
    assert err.offset is not None


def test_damaged_sdna_marker(tmp_path: Path, plain_bytes: bytes) -> None:
    data = bytearray(plain_bytes)
    at = plain_bytes.index(b"TLEN")
    data[at : at + 4] = b"TLEX"
    _expect(_write(tmp_path, "tlen.blend", bytes(data)), CorruptBlendFileError)


def test_struct_size_disagreeing_with_its_fields(tmp_path: Path, plain_bytes: bytes) -> None:
    data = bytearray(plain_bytes)
    tlen = plain_bytes.index(b"TLEN") + 4
    # Type #8 is a primitive in every DNA; grow a struct type instead: find the first non-zero
    # struct size after the primitives and change it.
    for i in range(20, 200):
        (size,) = struct.unpack_from("<H", plain_bytes, tlen + 2 * i)
        if size > 16:
            struct.pack_into("<H", data, tlen + 2 * i, size + 8)
            break
    path = _write(tmp_path, "tlen-size.blend", bytes(data))
    # Struct layouts are built on first use, so the damage shows when the struct is used.
    with open_blend(path) as bf, pytest.raises(CorruptBlendFileError, match="declares") as info:
        _ = bf.sdna.structs
    assert str(path) in str(info.value)


def test_garbage_after_compression_magic(tmp_path: Path) -> None:
    _expect(_write(tmp_path, "z.blend", b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 4), BlendFileError)
    _expect(_write(tmp_path, "g.blend", b"\x1f\x8b" + bytes(range(256)) * 4), BlendFileError)


def test_compressed_non_blend_content(tmp_path: Path) -> None:
    _expect(_write(tmp_path, "zt.blend", zstandard.ZstdCompressor().compress(b"just text")), NotABlendFileError)
    _expect(_write(tmp_path, "gt.blend", gzip.compress(b"just text")), NotABlendFileError)


def test_unknown_field_names_fail_clearly(bpy50_samples: SampleSet) -> None:
    with open_blend(bpy50_samples.folder / "main.blend") as bf:
        obj = bf.view(next(bf.blocks_with_code(b"OB")))
        with pytest.raises(FieldError, match="no field 'no_such_field'"):
            obj.get("no_such_field")
        with pytest.raises(FieldError):
            obj.get("loc.x")
        with pytest.raises(FieldError):
            bf.view(next(bf.blocks_with_code(b"OB")), struct_name="NoSuchStruct")
