# SPDX-License-Identifier: GPL-3.0-or-later
"""Every way of reaching a file's content (memory, pread, seekable zstd frames, spilled streams) reads the same."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard
from samples.fixtures import SampleSet

from bat_core.blendfile import open_blend, source
from bat_core.blendfile.source import FileSource, FrameSource, MemorySource


def _summary(path: Path) -> tuple[bytes, list[bytes], int]:
    with open_blend(path) as bf:
        names = sorted(bf.view(b).id_name() for b in bf.id_blocks())
        return bf.content(), names, len(bf.blocks)


def test_blender_zstd_files_are_read_frame_by_frame(bpy50_samples: SampleSet) -> None:
    with open_blend(bpy50_samples.folder / "main_zstd.blend") as bf:
        assert isinstance(bf.source, FrameSource)
    # Two separate saves differ in a few bytes (the GLOB block names the file), not in their datablocks.
    _, names, blocks = _summary(bpy50_samples.folder / "main_zstd.blend")
    assert (names, blocks) == _summary(bpy50_samples.folder / "main.blend")[1:]


@pytest.mark.parametrize("limit", [1024, 64 << 20])
def test_large_and_small_content_read_alike(
    bpy50_samples: SampleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(source, "IN_MEMORY_LIMIT", limit)
    plain = bpy50_samples.folder / "main.blend"
    single_frame = tmp_path / "single_frame.blend"
    single_frame.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    gzipped = tmp_path / "gzipped.blend"
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))
    expected = _summary(plain)
    for path in (plain, single_frame, gzipped):
        with open_blend(path) as bf:
            kind = MemorySource if limit > 1024 else FileSource
            assert isinstance(bf.source, kind), path
        assert _summary(path) == expected, path


def test_damaged_frame_is_reported_with_its_offset(bpy50_samples: SampleSet, tmp_path: Path) -> None:
    data = bytearray((bpy50_samples.folder / "main_zstd.blend").read_bytes())
    with open_blend(bpy50_samples.folder / "main_zstd.blend") as bf:
        frames = bf.source._frames  # type: ignore[attr-defined]
    assert len(frames) > 1
    c_off, c_size, _, _ = frames[-1]
    data[c_off + c_size // 2 : c_off + c_size // 2 + 16] = b"\xff" * 16
    damaged = tmp_path / "damaged.blend"
    damaged.write_bytes(bytes(data))
    from bat_core.errors import BlendFileError

    with pytest.raises(BlendFileError) as info, open_blend(damaged) as bf:
        bf.content()
    assert str(damaged) in str(info.value)
