# SPDX-License-Identifier: GPL-3.0-or-later
"""Rewriting fixed-size fields in a copy: bounds-checked, every other byte unchanged, same compression."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from bpy_run import run_bpy
from samples.fixtures import SampleSet

from bat_core.blendfile import BlendFile, Compression, RawBlend, open_blend, write_rewritten_copy
from bat_core.errors import RewriteError


def _image_view(bf: BlendFile, name: bytes):  # type: ignore[no-untyped-def]
    for block in bf.blocks_with_code(b"IM"):
        view = bf.view(block)
        if view.id_name() == b"IM" + name:
            return view
    raise AssertionError(f"no image {name!r}")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("variant", ["main.blend", "main_zstd.blend", "main_gzip.blend"])
def test_rewritten_copy_changes_only_the_field(bpy50_samples: SampleSet, tmp_path: Path, variant: str) -> None:
    source = tmp_path / "src" / variant
    source.parent.mkdir()
    shutil.copy2(bpy50_samples.folder / variant, source)
    before = _sha(source)
    new_path = b"//elsewhere/renamed_texture.png"
    with open_blend(source) as bf:
        view = _image_view(bf, b"relative_tex")
        edit = view.string_edit("name", new_path)
        copy = tmp_path / "out" / variant
        write_rewritten_copy(bf, copy, [edit])
        original = bf.content()
        compression = bf.compression
    assert _sha(source) == before, "the source file must never change"

    with open_blend(copy) as out:
        assert out.compression is compression
        assert _image_view(out, b"relative_tex").get_bytes("name") == new_path
        changed = out.content()
    assert len(changed) == len(original)
    diff = [i for i, (a, b) in enumerate(zip(original, changed, strict=True)) if a != b]
    assert diff, "the field must have changed"
    assert edit.offset <= diff[0] and diff[-1] < edit.offset + edit.size
    field = changed[edit.offset : edit.offset + edit.size]
    assert field == new_path + b"\0" * (edit.size - len(new_path))


def test_blender_reads_the_rewritten_copy(bpy50_samples: SampleSet, tmp_path: Path) -> None:
    copy = tmp_path / "copy.blend"
    with open_blend(bpy50_samples.folder / "main_zstd.blend") as bf:
        edit = _image_view(bf, b"relative_tex").string_edit("name", b"//textures/abs_tex.png")
        write_rewritten_copy(bf, copy, [edit])
        assert bf.compression is Compression.ZSTD
    shutil.copytree(bpy50_samples.folder / "textures", tmp_path / "textures")
    result = run_bpy(
        """
        bpy.ops.wm.open_mainfile(filepath=args[0])
        result = {i.name: i.filepath for i in bpy.data.images}
        """,
        str(copy),
    )
    assert result["relative_tex"] == "//textures/abs_tex.png"


def test_values_that_do_not_fit_are_refused(bpy50_samples: SampleSet) -> None:
    with open_blend(bpy50_samples.folder / "main.blend") as bf:
        view = _image_view(bf, b"relative_tex")
        size = view.field("name").size
        view.string_edit("name", b"x" * (size - 1))  # exactly fits with its NUL
        with pytest.raises(RewriteError, match="do not fit"):
            view.string_edit("name", b"x" * size)
        with pytest.raises(RewriteError, match="NUL"):
            view.string_edit("name", b"a\0b")
        with pytest.raises(RewriteError, match="not a char array"):
            view.string_edit("flag", b"1")


def test_refuses_to_overwrite_its_source(bpy50_samples: SampleSet, tmp_path: Path) -> None:
    source = tmp_path / "main.blend"
    shutil.copy2(bpy50_samples.folder / "main.blend", source)
    with open_blend(source) as bf, pytest.raises(RewriteError, match="source"):
        write_rewritten_copy(bf, source, [])


def test_a_raw_open_finds_exactly_the_blocks_a_full_open_lists(bpy50_samples: SampleSet) -> None:
    """Rewriting opens files without a block table and reads the headers of the blocks it edits
    where the trace found their data: they must be the headers the full reader lists."""
    main = bpy50_samples.folder / "main.blend"
    with open_blend(main) as bf, RawBlend.open_raw(main) as raw:
        assert raw.decompressed_size == bf.decompressed_size
        for block in list(bf.blocks)[:-1]:  # ENDB has no data
            assert raw.block_with_data_at(block.data_offset) == block
        assert raw.block_with_data_at(0) is None


def test_the_kernel_copy_writes_the_same_bytes_as_the_streamed_copy(
    bpy50_samples: SampleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uncompressed copies on Linux copy unchanged spans with copy_file_range; the result must be
    byte-identical to streaming every byte through the process, edits at the start, the middle
    and the end of the file included."""
    from bat_core.blendfile import rewrite
    from bat_core.blendfile.file import FieldEdit

    source = bpy50_samples.folder / "main.blend"
    size = source.stat().st_size
    with open_blend(source) as bf:
        edits = [
            _image_view(bf, b"relative_tex").string_edit("name", b"//moved/texture.png"),
            FieldEdit(0, 7, b"BLENDER"),  # same bytes: an edit touching the very first byte
            FieldEdit(size - 4, 4, b"\0\0\0\0"),  # the last bytes (the ENDB block's tail)
        ]
        if not rewrite._KERNEL_COPY:
            pytest.skip("no copy_file_range on this platform: only the streamed copy exists")
        kernel = tmp_path / "kernel.blend"
        write_rewritten_copy(bf, kernel, edits)
        monkeypatch.setattr(rewrite, "_KERNEL_COPY", False)
        streamed = tmp_path / "streamed.blend"
        write_rewritten_copy(bf, streamed, edits)
    assert kernel.read_bytes() == streamed.read_bytes()
    assert kernel.stat().st_size == size
    assert b"//moved/texture.png" in kernel.read_bytes()
